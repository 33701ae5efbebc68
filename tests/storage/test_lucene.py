"""Lucene query string -> DuckDB filter: behaviour checked against a real table, not SQL text."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soc_core.errors import QuerySyntaxError
from soc_core.storage.lucene import SqlFilter, compile_query, register_functions

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(UTC)


COLUMNS = {
    "id": "INTEGER",
    "@timestamp": "TIMESTAMP WITH TIME ZONE",
    "event.created": "TIMESTAMP",
    "event.category": "VARCHAR[]",
    "event.action": "VARCHAR",
    "event.original": "VARCHAR",
    "message": "VARCHAR",
    "error.message": "VARCHAR",
    "source.ip": "VARCHAR",
    "related.ip": "VARCHAR[]",
    "destination.port": "BIGINT",
    "event.risk_score": "DOUBLE",
    "user.name": "VARCHAR",
    "tags": "VARCHAR[]",
    "shaowang.blocked": "BOOLEAN",
    "shaowang.ports": "BIGINT[]",
    'shaowang.odd"name': "VARCHAR",
}

# Only documentation addresses (RFC 5737 / RFC 3849).
ROWS: list[dict[str, Any]] = [
    {
        "id": 1,
        "@timestamp": ts("2026-11-27T11:55:00Z"),
        "event.created": dt.datetime(2026, 11, 27, 11, 55),
        "event.category": ["network"],
        "event.action": "deny",
        "event.original": "Firewall DENY tcp 192.0.2.10:51515 -> 198.51.100.7:22",
        "message": "Connection denied",
        "source.ip": "192.0.2.10",
        "related.ip": ["192.0.2.10", "198.51.100.7"],
        "destination.port": 22,
        "event.risk_score": 73.5,
        "user.name": "alice",
        "tags": ["fw", "edge"],
        "shaowang.blocked": True,
        "shaowang.ports": [22, 2222],
        'shaowang.odd"name': "v",
    },
    {
        "id": 2,
        "@timestamp": ts("2026-11-27T11:30:00Z"),
        "event.category": ["network"],
        "event.action": "allow",
        "event.original": "Firewall ALLOW tcp 192.0.2.200:40000 -> 203.0.113.5:443",
        "message": "Connection allowed",
        "source.ip": "192.0.2.200",
        "related.ip": ["192.0.2.200", "203.0.113.5"],
        "destination.port": 443,
        "event.risk_score": 10.0,
        "user.name": "bob",
        "tags": ["fw"],
        "shaowang.blocked": False,
        "shaowang.ports": [443],
    },
    {
        "id": 3,
        "@timestamp": ts("2026-11-27T10:00:00Z"),
        "event.category": ["authentication"],
        "event.action": "login-failed",
        "event.original": "sshd[811]: Failed password for root from 198.51.100.23",
        "message": "Failed password for root",
        "source.ip": "198.51.100.23",
        "related.ip": ["198.51.100.23"],
        "destination.port": 22,
        "event.risk_score": 55.0,
        "user.name": "root",
        "tags": ["ssh"],
    },
    {
        "id": 4,
        "@timestamp": ts("2026-11-26T12:00:00Z"),
        "event.category": ["authentication"],
        "event.action": "logon",
        "event.original": "用户 张三 登录成功",
        "message": "登录成功",
        "source.ip": "203.0.113.9",
        "related.ip": ["203.0.113.9"],
        "event.risk_score": 5.0,
        "user.name": "张三",
    },
    {
        "id": 5,
        "@timestamp": ts("2026-11-27T00:00:00Z"),
        "event.category": ["intrusion_detection", "network"],
        "event.action": "alert",
        "event.original": "IDS 拒绝访问 from 2001:db8::1",
        "message": "拒绝访问",
        "source.ip": "2001:db8::1",
        "related.ip": ["2001:db8::1", "2001:db8:1::5"],
        "destination.port": 80,
        "event.risk_score": 90.0,
        "user.name": "alice",
        "tags": ["ids"],
        "shaowang.blocked": True,
    },
    {
        "id": 6,
        "@timestamp": ts("2026-11-27T23:59:59Z"),
        "event.category": ["network"],
        "event.action": "deny",
        "event.original": "payload '; DROP TABLE ev; -- end",
        "message": "quote ' and 100% done_ok",
        "source.ip": "2001:db8:2::2",
        "destination.port": 3389,
        "event.risk_score": 0.0,
        "user.name": "o'brien",
        "tags": [],
    },
    {
        "id": 7,
        "@timestamp": ts("2026-11-28T00:00:00Z"),
        "event.category": ["process"],
        "event.action": "start",
        "event.original": r"C:\Windows\System32\cmd.exe /c whoami",
        "message": "process started",
        "user.name": "SYSTEM",
    },
    {
        "id": 8,
        "@timestamp": ts("2026-11-20T08:00:00Z"),
        "event.category": ["file"],
        "event.action": "create",
        "event.original": "path a:b*c?d",
        "message": "literal star * and question ?",
        "user.name": "user*star",
        "error.message": "Disk QUOTA exceeded",
    },
    {
        "id": 9,
        "@timestamp": ts("2026-11-27T11:00:00Z"),
        "event.category": ["authentication"],
        "event.action": "logon",
        "event.original": "Accepted password for Alice",
        "message": "Accepted password",
        "source.ip": "198.51.100.255",
        "user.name": "Alice",
    },
    {
        "id": 10,
        "@timestamp": ts("2026-10-01T00:00:00Z"),
        "event.category": ["network"],
        "event.action": "deny",
        "event.original": "blocked 203.0.113.128",
        "message": "blocked",
        "source.ip": "203.0.113.128",
        "destination.port": 8080,
        "event.risk_score": -1.5,
    },
    {"id": 11, "event.category": []},
    {
        "id": 12,
        "@timestamp": ts("2026-11-27T11:59:00Z"),
        "event.category": ["network"],
        "event.action": "deny",
        "event.original": "Firewall deny udp",
        "message": "Connection denied again",
        "source.ip": "192.0.2.1",
        "destination.port": 53,
        "event.risk_score": 20.0,
        "user.name": "alice",
        "tags": ["fw"],
        "shaowang.blocked": False,
        "error.message": "timeout while connecting",
    },
    {
        "id": 13,
        "@timestamp": ts("2026-11-27T11:50:00Z"),
        "event.category": ["web"],
        "event.action": "access",
        "event.original": "GET /index.html 200",
        "message": "GET /index.html",
        "source.ip": "203.0.113.77",
        "destination.port": 80,
        "user.name": "bob smith",
        "tags": ["web", "prod"],
    },
    {
        "id": 14,
        "@timestamp": ts("2026-11-25T00:00:00Z"),
        "event.category": ["malware"],
        "event.action": "detect",
        "event.original": "Trojan.Win32 detected",
        "message": "malware detected",
        "source.ip": "2001:db8:1::abcd",
        "related.ip": ["2001:db8:1::abcd"],
        "user.name": "alice",
    },
    {
        "id": 15,
        "@timestamp": ts("2026-11-27T06:00:00Z"),
        "event.category": ["network"],
        "event.action": "deny",
        "event.original": "dns query evil.example",
        "message": "DNS blocked",
        "source.ip": "198.51.100.7",
        "destination.port": 53,
        "tags": ["dns"],
        "shaowang.ports": [53],
    },
    {
        "id": 16,
        "@timestamp": ts("2026-11-01T00:00:00Z"),
        "event.action": "under_score%",
        "user.name": "a%b_c",
        "event.original": "100% sure",
    },
    {"id": 17, "@timestamp": ts("2025-12-31T23:59:59Z"), "event.action": "a:b", "user.name": "back\\slash"},
    {
        "id": 18,
        "@timestamp": ts("2026-11-27T03:30:00+08:00"),
        "source.ip": "192.0.2.255",
        "user.name": "ALICE",
    },
    {"id": 19, "destination.port": 65535, "event.risk_score": 100.0},
    {
        "id": 20,
        "@timestamp": ts("2026-11-27T12:00:00Z"),
        "event.category": ["authentication"],
        "event.original": "拒绝 登录",
        "message": "访问被拒绝",
    },
]
ALL = {r["id"] for r in ROWS}


def where(field: str, pred: Any = None) -> set[int]:
    """Ids of rows whose ``field`` is set (and satisfies ``pred``): keeps expectations honest."""
    return {r["id"] for r in ROWS if r.get(field) not in (None, []) and (pred is None or pred(r[field]))}


def make_con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    register_functions(c)
    register_functions(c)  # idempotent: the store calls it on every connection it opens
    cols = ", ".join(f'"{n.replace(chr(34), chr(34) * 2)}" {t}' for n, t in COLUMNS.items())
    c.execute(f"CREATE TABLE ev ({cols})")
    marks = ", ".join("?" for _ in COLUMNS)
    c.executemany(f"INSERT INTO ev VALUES ({marks})", [[r.get(n) for n in COLUMNS] for r in ROWS])
    return c


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = make_con()
    described = {row[0]: row[1] for row in c.execute("DESCRIBE ev").fetchall()}
    assert described == COLUMNS  # the mapping the store passes comes from DESCRIBE
    yield c
    c.close()


def run(con: duckdb.DuckDBPyConnection, f: SqlFilter) -> set[int]:
    return {r[0] for r in con.execute(f"SELECT id FROM ev WHERE {f.sql}", f.params).fetchall()}


def ids(con: duckdb.DuckDBPyConnection, query: str) -> set[int]:
    return run(con, compile_query(query, COLUMNS, now=NOW))


DENY = {1, 6, 10, 12, 15}
ALICE = {1, 5, 12, 14}
TODAY = {1, 2, 3, 5, 6, 9, 12, 13, 15, 20}
V4 = {1, 2, 3, 4, 9, 10, 12, 13, 15, 18}

CASES: list[tuple[str, set[int]]] = [
    # match-all
    ("*", ALL),
    ("", ALL),
    ("   ", ALL),
    ("*:*", ALL),
    # keyword: exact and case-sensitive
    ("user.name:alice", ALICE),
    ("user.name:Alice", {9}),
    ("user.name:ALICE", {18}),
    ("user.name:alic", set()),
    ('user.name:"bob smith"', {13}),
    ("user.name:bob", {2}),
    ("event.action:deny", DENY),
    # boolean operators, both spellings, and default OR
    ("event.action:deny AND user.name:alice", {1, 12}),
    ("event.action:deny && user.name:alice", {1, 12}),
    ("event.action:deny OR event.action:allow", DENY | {2}),
    ("event.action:deny || event.action:allow", DENY | {2}),
    ("event.action:deny event.action:allow", DENY | {2}),
    ("event.action:(deny OR allow)", DENY | {2}),
    ("event.action:(deny allow)", DENY | {2}),
    ("NOT event.action:deny", ALL - DENY),
    ("!event.action:deny", ALL - DENY),
    ("-event.action:deny", ALL - DENY),
    ("!(event.action:deny)", ALL - DENY),
    ("NOT user.name:alice", ALL - ALICE),
    ("event.action:deny -user.name:alice", {6, 10, 15}),
    ("event.action:deny NOT user.name:alice", {6, 10, 15}),
    ("event.action:deny AND NOT user.name:alice", {6, 10, 15}),
    ("event.action:deny && !user.name:alice", {6, 10, 15}),
    ("+event.action:deny user.name:bob", DENY),  # with a "+" clause the others only score in ES
    ("+event.action:deny +user.name:alice", {1, 12}),
    ("user.name:alice AND (event.action:deny OR event.action:alert)", {1, 5, 12}),
    # AND binds tighter than OR, as in luqum
    ("user.name:bob OR user.name:alice AND event.action:deny", {1, 2, 12}),
    ("user.name:bob || user.name:alice && event.action:deny", {1, 2, 12}),
    ("(user.name:bob OR user.name:alice) AND event.action:deny", {1, 12}),
    ("user.name:alice AND event.action:deny OR user.name:bob", {1, 2, 12}),
    ("user.name:bob user.name:alice AND event.action:deny", {1, 2, 12}),
    # explicit NOT inside OR is plain boolean logic (ES would make it a must_not of the whole level)
    ("event.action:deny OR NOT user.name:alice", ALL - {5, 14}),
    ("user.name:alice^2", ALICE),  # boosts only affect scoring
    # unknown fields are FALSE, never errors
    ("missing.field:x", set()),
    ("NOT missing.field:x", ALL),
    ("missing.field:*", set()),
    ("missing.field:[1 TO 2]", set()),
    # keyword wildcards, LIKE escaping, Lucene escapes
    ("user.name:al*", ALICE),
    ("user.name:?lice", ALICE | {9}),
    ("user.name:*LICE", {18}),
    ("user.name:user\\*star", {8}),
    ("user.name:user*", {8}),
    ("user.name:a%b_c", {16}),
    ("user.name:a%*", {16}),
    ("user.name:a?b_c", {16}),
    ("user.name:*_*", {16}),
    ("event.action:*%", {16}),
    ("event.action:a\\:b", {17}),
    ('event.action:"a:b"', {17}),
    ("user.name:back\\\\slash", {17}),
    ('user.name:"back\\\\slash"', {17}),
    ("user.name:o'brien", {6}),
    ('user.name:"o\'brien"', {6}),
    ('shaowang.odd"name:v', {1}),
    # text fields: case-insensitive containment
    ("message:denied", {1, 12}),
    ("message:DENIED", {1, 12}),
    ('message:"connection denied"', {1, 12}),
    ('message:"denied again"', {12}),
    ("message:conn*ed", {1, 2, 12}),
    ("message:st*r", {7, 8}),
    ('message:"star * and"', {8}),
    ("error.message:quota", {8}),
    ("event.original:*", where("event.original")),
    # bare terms search event.original and message
    ("password", {3, 9}),
    ("PASSWORD", {3, 9}),
    ('"failed password"', {3}),
    ("firewall", {1, 2, 12}),
    ("firewall deny", {1, 2, 12}),
    ("firewall AND udp", {12}),
    ("%", {6, 16}),
    ("_", {6}),
    ("fire*deny", {1, 12}),
    ("-firewall", ALL - {1, 2, 12}),
    # Chinese
    ('event.original:"拒绝"', {5, 20}),
    ("拒绝", {5, 20}),
    ("message:登录*", {4}),
    ("user.name:张三", {4}),
    # injection attempts are plain values
    ('event.original:"\'; DROP TABLE ev; --"', {6}),
    ('"DROP TABLE ev"', {6}),
    ('user.name:"x\\" OR 1=1 --"', set()),
    # numbers
    ("destination.port:22", {1, 3}),
    ('destination.port:"22"', {1, 3}),
    ("destination.port:[1 TO 1024]", {1, 2, 3, 5, 12, 13, 15}),
    ("destination.port:{22 TO 443}", {5, 12, 13, 15}),
    ("destination.port:[22 TO 443}", {1, 3, 5, 12, 13, 15}),
    ("destination.port:>=3389", {6, 10, 19}),
    ("destination.port:>3389", {10, 19}),
    ("destination.port:<53", {1, 3}),
    ("destination.port:<=53", {1, 3, 12, 15}),
    ("destination.port:[8080 TO *]", {10, 19}),
    ("destination.port:[* TO 22]", {1, 3}),
    ("destination.port:[* TO *]", where("destination.port")),
    ("destination.port:*", where("destination.port")),
    ("NOT destination.port:22", ALL - {1, 3}),
    ("destination.port:99999999999999999999999", set()),
    ("event.risk_score:73.5", {1}),
    ("event.risk_score:<0", {10}),
    ("event.risk_score:[50 TO 100]", {1, 3, 5, 19}),
    ("event.risk_score:>=1e2", {19}),
    ("shaowang.ports:2222", {1}),
    ("shaowang.ports:53", {15}),
    ("shaowang.ports:[400 TO 500]", {2}),
    # booleans
    ("shaowang.blocked:true", {1, 5}),
    ("shaowang.blocked:false", {2, 12}),
    ("NOT shaowang.blocked:true", ALL - {1, 5}),
    # timestamps (NOW = 2026-11-27T12:00Z)
    ("@timestamp:>now-15m", {1, 6, 7, 12, 13, 20}),
    ("@timestamp:[now-15m TO now]", {1, 12, 13, 20}),
    ("@timestamp:[now-1h TO now}", {1, 2, 9, 12, 13}),
    ("@timestamp:2026-11-27", TODAY),
    ("@timestamp:now/d", TODAY),
    ('@timestamp:"2026-11-27"', TODAY),
    ("@timestamp:[2026-11-25 TO 2026-11-26]", {4, 14, 18}),
    ("@timestamp:{2026-11-25 TO 2026-11-27}", {4, 18}),
    ('@timestamp:"2026-11-27T11:00:00Z"', {9}),
    ("@timestamp:2026-11-27T11:00:00Z", {9}),
    ('@timestamp:"2026-11-27T19:00:00+08:00"', {9}),
    ('@timestamp:"2026-11-27T11:00:00"', {9}),
    ("@timestamp:<2026", {17}),
    ("@timestamp:2026-10", {10}),
    ("@timestamp:>=now/d", TODAY | {7}),
    ("@timestamp:>now/d", {7}),
    ("@timestamp:<now/d", ALL - TODAY - {7, 11, 19}),
    ("@timestamp:<now-7d", {8, 10, 16, 17}),
    ("@timestamp:[now-1M TO now-7d]", {8, 16}),
    ("@timestamp:[now-1d/d TO now-1d/d]", {4, 18}),
    ('@timestamp:"2026-11-27||-1d"', {4, 18}),
    ("@timestamp:1795777200000", {9}),  # epoch milliseconds
    ("event.created:[now-10m TO now]", {1}),  # TIMESTAMP without time zone holds UTC
    # IP addresses and CIDR
    ("source.ip:192.0.2.0/24", {1, 2, 12, 18}),
    ("source.ip:192.0.2.128/25", {2, 18}),
    ("source.ip:192.0.2.0/31", {12}),
    ("source.ip:198.51.100.0/22", {3, 9, 15}),
    ("source.ip:203.0.113.64/26", {13}),
    ("source.ip:0.0.0.0/0", V4),
    ("source.ip:192.0.2.10", {1}),
    ("source.ip:192.0.2.1", {12}),
    ("source.ip:192.0.2.10/32", {1}),
    ('source.ip:"2001:db8::/32"', {5, 6, 14}),
    ('source.ip:"2001:db8:1::/48"', {14}),
    ("source.ip:2001\\:db8\\:\\:1", {5}),
    ('source.ip:"2001:0db8:0000::0001"', {5}),
    ('source.ip:"::/0"', {5, 6, 14}),
    ("source.ip:[192.0.2.0 TO 192.0.2.100]", {1, 12}),
    ("source.ip:[192.0.2.10 TO 192.0.2.200}", {1}),
    ('source.ip:["2001:db8::" TO "2001:db8:1::ffff"]', {5, 14}),
    ("source.ip:>=203.0.113.100", {10}),
    ("source.ip:192.0.2.*", {1, 2, 12, 18}),
    ("NOT source.ip:192.0.2.0/24", ALL - {1, 2, 12, 18}),
    ("related.ip:198.51.100.7", {1}),
    ("related.ip:198.51.100.0/24", {1, 3}),
    ('related.ip:"2001:db8:1::/48"', {5, 14}),
    ("related.ip:*", where("related.ip")),
    ("related.ip:203.0.113.*", {2, 4}),
    # lists: any element
    ("event.category:network", {1, 2, 5, 6, 10, 12, 15}),
    ('event.category:"network"', {1, 2, 5, 6, 10, 12, 15}),
    ("event.category:intrusion_detection", {5}),
    ("event.category:auth*", {3, 4, 9, 20}),
    ("event.category:*", where("event.category")),
    ("NOT event.category:network", ALL - {1, 2, 5, 6, 10, 12, 15}),
    ("tags:fw", {1, 2, 12}),
    ("tags:(edge OR prod)", {1, 13}),
    ("tags:/pro./", {13}),
    # existence
    ("_exists_:source.ip", where("source.ip")),
    ("NOT _exists_:source.ip", ALL - where("source.ip")),
    ("_exists_:nope", set()),
    ("_exists_:error.message", {8, 12}),
    ("_exists_:tags", {1, 2, 3, 5, 12, 13, 15}),
    ("_exists_:(error.message OR shaowang.ports)", {1, 2, 8, 12, 15}),
    # field-name patterns (format errors on the other matched fields are ignored, as in ES)
    ("source.*:192.0.2.10", {1}),
    ("*.ip:192.0.2.10", {1}),
    ("*:22", {1, 3}),
    # regular expressions (RE2; anchored on keywords, searched within text)
    ("user.name:/al.*/", ALICE),
    ("user.name:/lic/", set()),
    ("message:/conn.*denied/", {1, 12}),
    ("/pass[a-z]+/", {3, 9}),
]


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[q or "<empty>" for q, _ in CASES])
def test_query_matches(con: duckdb.DuckDBPyConnection, query: str, expected: set[int]) -> None:
    assert ids(con, query) == expected


def test_values_never_reach_sql_text(con: duckdb.DuckDBPyConnection) -> None:
    f = compile_query('event.original:"\'; DROP TABLE ev; --" OR user.name:alice', COLUMNS, now=NOW)
    assert "DROP" not in f.sql and "alice" not in f.sql
    assert run(con, f) == {1, 5, 6, 12, 14}
    assert con.execute("SELECT count(*) FROM ev").fetchall() == [(len(ROWS),)]


def test_default_now_is_current_time(con: duckdb.DuckDBPyConnection) -> None:
    f = compile_query("@timestamp:[now-1000y TO now+1000y]", COLUMNS)
    assert run(con, f) == where("@timestamp")


def test_bare_terms_without_text_columns_match_nothing() -> None:
    assert compile_query("alice", {"user.name": "VARCHAR"}).sql == "FALSE"


@pytest.mark.parametrize(
    ("query", "message", "where_"),
    [
        ("user.name:alice AND", "ends unexpectedly", "column 20"),
        ("(user.name:alice", "ends unexpectedly", "column 17"),
        ("user.name:alice )", "unexpected ')'", "column 17"),
        ('message:"unclosed', "unclosed quote", "column 9"),
        ("AND x", "unexpected 'AND'", "column 1"),
        ("a:b OR OR c", "unexpected 'OR'", "column 8"),
        ("x && && y", "unexpected '&&'", "column 6"),
        ("user.name:'; DROP TABLE ev; --", "double quotes", "column 11"),
        ("message:/unclosed", "unclosed regular expression", "column 9"),
        ("destination.port:abc", "'abc' is not a number", "column 18"),
        ("destination.port:2*", "wildcards", "column 18"),
        ("destination.port:/2.*/", "regular expressions", "column 18"),
        ("shaowang.blocked:maybe", "true or false", "column 18"),
        ("shaowang.blocked:[true TO false]", "ranges", "column 18"),
        ("@timestamp:yesterday", "is a date", "column 12"),
        ("@timestamp:2026-13-01", "is a date", "column 12"),
        ("@timestamp:>now-99999999999y", "is a date", "column 12"),
        ("source.ip:not-an-ip", "not an IP address", "column 11"),
        ('source.ip:["192.0.2.1" TO "2001:db8::1"]', "mixes IPv4 and IPv6", "column 11"),
        ("user.name:/(/", "invalid regular expression", "column 11"),
        ("message:denied~2", "fuzzy", "column 9"),
        ('message:"connection denied"~2', "proximity", "column 9"),
        ("_exists_:[a TO b]", "_exists_ needs a field name", "column 10"),
        ("a AND (b OR (c", "ends unexpectedly", "column 15"),
    ],
)
def test_syntax_errors_say_where(query: str, message: str, where_: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        compile_query(query, COLUMNS, now=NOW)
    assert message in info.value.message
    assert info.value.where == where_


def test_deep_nesting(con: duckdb.DuckDBPyConnection) -> None:
    assert run(con, compile_query("(" * 40 + "NOT user.name:alice" + ")" * 40, COLUMNS)) == ALL - ALICE
    with pytest.raises(QuerySyntaxError, match="nested too deeply"):
        compile_query("(" * 500 + "a" + ")" * 500, COLUMNS)


_TOKENS = [
    "user.name",
    "message",
    "destination.port",
    "@timestamp",
    "source.ip",
    "related.ip",
    "event.category",
    "shaowang.blocked",
    "_exists_",
    "*",
    ":",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    " TO ",
    " AND ",
    " OR ",
    "NOT ",
    "&&",
    "||",
    "!",
    "+",
    "-",
    '"',
    "'",
    "?",
    "\\",
    "/",
    "^",
    "~",
    ">",
    ">=",
    "<",
    " ",
    "%",
    "_",
    "2",
    "1.5",
    "192.0.2.0/24",
    "2001\\:db8\\:\\:1",
    "now-1d/d",
    "now",
    "2026-11-27",
    "true",
    "拒绝",
    "a",
    "*.ip",
]


@settings(max_examples=400)
@given(st.lists(st.sampled_from(_TOKENS) | st.text(max_size=3), max_size=14).map("".join))
def test_garbage_compiles_to_valid_sql_or_raises_syntax_error(query: str) -> None:
    con = _FUZZ_CON
    try:
        f = compile_query(query, COLUMNS, now=NOW)
    except QuerySyntaxError:
        return
    con.execute(f"SELECT count(*) FROM ev WHERE {f.sql}", f.params).fetchall()


_FUZZ_CON = make_con()  # hypothesis and function-scoped fixtures do not mix


def _filter_addresses(f: SqlFilter, addresses: list[str]) -> set[str]:
    sql = f'SELECT "source.ip" FROM (SELECT unnest(?::VARCHAR[]) AS "source.ip") WHERE {f.sql}'
    return {r[0] for r in _FUZZ_CON.execute(sql, [addresses, *f.params]).fetchall()}


# Octet values at digit-count boundaries stress the string comparisons behind IPv4 filters.
_OCTET = st.sampled_from([0, 1, 2, 9, 10, 16, 31, 99, 100, 128, 199, 200, 254, 255]) | st.integers(0, 255)
_V4 = st.one_of(
    st.integers(0, 2**32 - 1).map(lambda n: str(ipaddress.IPv4Address(n))),
    st.tuples(_OCTET, _OCTET, _OCTET, _OCTET).map(lambda o: ".".join(map(str, o))),
)
_V6 = st.one_of(
    st.integers(0, 2**128 - 1),
    st.lists(st.sampled_from([0, 0, 1, 0xDB8, 0x2001, 0xFFFF]), min_size=8, max_size=8).map(
        lambda hs: int("".join(f"{h:04x}" for h in hs), 16)
    ),
).map(lambda n: str(ipaddress.IPv6Address(n)))


@settings(max_examples=300)
@given(_V4, _V4, st.booleans(), st.booleans(), st.lists(_V4, max_size=20))
def test_ipv4_ranges_agree_with_ipaddress(
    a: str, b: str, incl_lo: bool, incl_hi: bool, extra: list[str]
) -> None:
    lo, hi = sorted((ipaddress.IPv4Address(a), ipaddress.IPv4Address(b)))
    query = f"source.ip:{'[' if incl_lo else '{'}{lo} TO {hi}{']' if incl_hi else '}'}"
    near = [str(lo + d) for d in (-1, 0, 1) if 0 <= int(lo) + d < 2**32]
    near += [str(hi + d) for d in (-1, 0, 1) if 0 <= int(hi) + d < 2**32]
    addresses = [*near, *extra, "2001:db8::1"]
    expected = {
        x
        for x in addresses
        if ":" not in x
        and (lo <= ipaddress.IPv4Address(x) if incl_lo else lo < ipaddress.IPv4Address(x))
        and (ipaddress.IPv4Address(x) <= hi if incl_hi else ipaddress.IPv4Address(x) < hi)
    }
    assert _filter_addresses(compile_query(query, COLUMNS), addresses) == expected


@settings(max_examples=300)
@given(st.one_of(_V4, _V6), st.integers(0, 128), st.lists(st.one_of(_V4, _V6), max_size=20))
def test_cidr_agrees_with_ipaddress(address: str, bits: int, extra: list[str]) -> None:
    net = ipaddress.ip_network(
        f"{address}/{min(bits, ipaddress.ip_address(address).max_prefixlen)}", strict=False
    )
    inside = [str(net.network_address), str(net.broadcast_address)]
    top = 2**net.max_prefixlen - 1
    ends = (int(net.network_address) - 1, int(net.broadcast_address) + 1)
    outside = [
        str(ipaddress.ip_address(n) if net.version == 4 else ipaddress.IPv6Address(n))
        for n in ends
        if 0 <= n <= top
    ]
    addresses = [*inside, *outside, *extra]
    expected = {x for x in addresses if ipaddress.ip_address(x) in net}
    assert _filter_addresses(compile_query(f'source.ip:"{net}"', COLUMNS), addresses) == expected
