"""Behaviour of the web-server, proxy and generic-format parsers beyond their goldens.

``nginx.access``, ``apache.access``, ``squid.access``, ``cef.log``, ``leef.log``: which parser
``--format auto`` picks for each kind of line, third-party corpus lines, timezones, encodings,
escaping rules, and broken or hostile input (dead-lettered with a reason, never an exception).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from corpus_support import CORPUS, make_record
from hypothesis import given
from hypothesis import strategies as st

from collectors.decode import decode_record
from collectors.parse import ParseOutcome, parse_record
from collectors.parsers import PARSERS
from soc_core.events import Event

DATASETS = ("nginx.access", "apache.access", "squid.access", "cef.log", "leef.log")
_WAZUH_LINE = re.compile(r"^log \d+ pass = (.*)$")


_record = make_record  # syslog/udp from 192.0.2.1 at RECEIVED_AT; keywords override


def _parse(line: bytes | str, fmt: str = "auto", *, timezone: str | None = None) -> ParseOutcome:
    return parse_record(_record(line, timezone=timezone), fmt=fmt)


def _one(line: bytes | str, fmt: str = "auto", *, timezone: str | None = None) -> Event:
    outcome = _parse(line, fmt, timezone=timezone)
    assert outcome.dead_letter is None, outcome.dead_letter.to_json().decode()
    assert len(outcome.events) == 1
    return outcome.events[0]


def _corpus(*parts: str) -> Path:
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"third-party corpus file {path} is not present")
    return path


def _wazuh_lines(name: str) -> list[tuple[int, str]]:
    text = _corpus("wazuh", name).read_text("utf-8")
    return [
        (number, m.group(1))
        for number, line in enumerate(text.splitlines(), start=1)
        if (m := _WAZUH_LINE.match(line))
    ]


def _placeholder(dataset: str) -> bool:
    """Whether the parser for ``dataset`` is still the placeholder that claims nothing."""
    module = sys.modules[PARSERS.get(dataset).__module__]
    return "Placeholder" in (module.__doc__ or "")


# -- --format auto: which parser -----------------------------------------------------------------

ACCESS = '192.0.2.10 - - [27/Nov/2026:16:00:00 +0800] "GET /a?b=c HTTP/1.1" 200 123 "-" "curl/8.4.0"'


@pytest.mark.parametrize(
    ("line", "dataset"),
    [
        (ACCESS, "nginx.access"),  # untagged combined: nginx (documented choice)
        (f"<190>Nov 27 16:00:00 web01 nginx: {ACCESS}", "nginx.access"),
        (f"<190>Nov 27 16:00:00 web01 web-frontend: {ACCESS}", "nginx.access"),
        (f"<150>Nov 27 16:00:00 web01 apache2: {ACCESS}", "apache.access"),
        (f"<150>Nov 27 16:00:00 web01 httpd[12]: {ACCESS}", "apache.access"),
        (f"<150>Nov 27 16:00:00 web01 Apache: {ACCESS}", "apache.access"),
        (f"www.example.test:443 {ACCESS}", "apache.access"),  # vhost_combined
        ("2026/11/27 16:00:00 [error] 123#0: *1 open() failed, client: 192.0.2.1", "nginx.access"),
        (
            "[Fri Nov 27 16:00:00.123456 2026] [core:error] [pid 1] [client 192.0.2.1:1234] AH00037: x",
            "apache.access",
        ),
        ("[notice] Apache configured", "apache.access"),
        (
            "1795766400.123 120 192.0.2.5 TCP_MISS/200 1234 GET http://a.test/ - HIER_DIRECT/192.0.2.7 -",
            "squid.access",
        ),
        ("CEF:0|V|P|1|1|n|5|src=192.0.2.1", "cef.log"),
        ("<134>Nov 27 16:00:00 relay01 fw02 CEF:0|V|P|1|1|n|5|src=192.0.2.1", "cef.log"),
        ("LEEF:1.0|V|P|1|E|src=192.0.2.1", "leef.log"),
        ("LEEF:2.0|V|P|1|E|^|src=192.0.2.1", "leef.log"),
    ],
)
def test_auto_detection(line: str, dataset: str) -> None:
    assert _one(line).event.dataset == dataset


@pytest.mark.parametrize(
    "line",
    [
        "msg=forwarded CEF:0|V|P|1|1|n|5| src=192.0.2.1 dst=192.0.2.2",  # key=value mentioning CEF
        "note=see LEEF:1.0|V|P|1|E| src=192.0.2.1 dst=192.0.2.2",
        '{"message": "192.0.2.1 - - [27/Nov/2026:16:00:00 +0800] \\"GET / HTTP/1.1\\" 200 1"}',
    ],
)
def test_auto_detection_leaves_other_formats_alone(line: str) -> None:
    outcome = _parse(line)
    datasets = {e.event.dataset for e in outcome.events}
    assert not datasets & set(DATASETS)


def test_apache_sniff_leaves_modsecurity_lines() -> None:
    line = (
        "[Mon Feb 09 16:47:55.974089 2026] [:error] [pid 17675] [client 192.0.2.87] ModSecurity: Warning. "
        '[id "981205"] [msg "Outbound Anomaly Score Exceeded"] [uri "/index.php"]'
    )
    parser = PARSERS.get("apache.access")()
    assert not parser.sniff(decode_record(_record(line)))
    # forced, the line is still read as an Apache error line
    event = _one(line, "apache.access")
    assert event.source is not None and event.source.ip == "192.0.2.87"


# -- corpora -------------------------------------------------------------------------------------


def test_wazuh_nginx_lines() -> None:
    lines = _wazuh_lines("nginx.ini")
    assert lines
    for number, line in lines:
        outcome = _parse(line)
        assert outcome.dead_letter is None, f"nginx.ini:{number}: {outcome.dead_letter.error}"
        assert {e.event.dataset for e in outcome.events} == {"nginx.access"}, f"nginx.ini:{number}"
        event = outcome.events[0]
        assert event.event.type == ["error"] or event.event.type == ["info"]
        assert event.log is not None and event.log.level is not None
        # a bare error line must not leave the syslog splitter's guess ("[error]" as a host)
        assert event.observer is not None and event.observer.hostname is None


def test_wazuh_apache_lines() -> None:
    lines = _wazuh_lines("apache.ini")
    assert lines
    for number, line in lines:
        outcome = _parse(line)
        if "ModSecurity:" in line:
            # Not ours: ModSecurity lines belong to modsecurity.auditlog (earlier in AUTO_ORDER).
            # Until that parser exists they may dead-letter; afterwards they must not.
            if not _placeholder("modsecurity.auditlog"):
                assert outcome.dead_letter is None, f"apache.ini:{number}"
            continue
        assert outcome.dead_letter is None, f"apache.ini:{number}: {outcome.dead_letter.error}"
        assert {e.event.dataset for e in outcome.events} == {"apache.access"}, f"apache.ini:{number}"
    client = _one("[error] [client 80.230.208.105] Directory index forbidden by rule: /home/")
    assert client.source is not None and client.source.ip == "80.230.208.105"
    proxy = _one(
        "[Tue Sep 30 12:24:22.891366 2014] [proxy:warn] [pid 2331] [client 77.127.180.111:54082] "
        "AH01136: Unescaped URL path matched ProxyPass; ignoring unsafe nocanon, "
        "referer: http://www.easylinker.co.il/he/links.aspx?user=bguyb"
    )
    assert proxy.event.code == "AH01136"
    assert proxy.source is not None and proxy.source.port == 54082
    assert proxy.http is not None and proxy.http.request is not None
    assert proxy.http.request.referrer == "http://www.easylinker.co.il/he/links.aspx?user=bguyb"


def test_wazuh_squid_lines() -> None:
    lines = _wazuh_lines("squid_rules.ini")
    assert lines
    for number, line in lines:
        event = _one(line)
        assert event.event.dataset == "squid.access", f"squid_rules.ini:{number}"
        assert event.event.action == "TCP_DENIED"
        assert event.event.type is not None and "denied" in event.event.type
        assert event.event.outcome == "failure"


def test_elastic_cef_lines() -> None:
    lines = [
        line
        for line in _corpus("elastic", "cef", "log", "test-cef.log").read_bytes().split(b"\n")
        if line.strip()
    ]
    assert len(lines) == 4
    events = [_one(line) for line in lines]
    assert {e.event.dataset for e in events} == {"cef.log"}
    first, second, third, fourth = events
    assert first.get("http.request.method") == "POST"
    assert first.get("url.original") == "https://www.example.com/cart"
    assert first.get("source.port") == 33876
    assert first.get("network.transport") == "tcp"
    assert first.get("observer.vendor") == "Elastic"
    assert first.get("observer.product") == "Vaporware"
    assert first.get("rule.id") == "18"
    assert first.get("event.severity") == 2  # "low"
    assert second.get("destination.nat.ip") == "10.10.10.10"
    assert second.get("source.user.name") == "bob"
    assert second.get("destination.user.name") == "alice"
    assert second.get("file.hash.md5") == "bc8bbe52f041fd17318f08a0f73762ce"
    assert second.get("cef.extensions.old_file_hash") == "a9796280592f86b74b27e370662d41eb"
    assert third.get("cef.extensions.destination_user_privileges") == "root"
    # values are trimmed: the padding at the end of the line is not part of src
    assert fourth.get("source.ip") == "192.168.3.4"
    assert fourth.message == "This event is padded with whitespace"


def test_anhua_jinhe_dbfw_line_is_claimed() -> None:
    lines = _corpus("cn_devices", "other_cn_vendors.log").read_bytes().split(b"\n")
    line = next(line for line in lines if b"DBFW: CEF:" in line)
    event = _one(line)
    assert event.event.dataset == "cef.log"
    assert event.get("observer.vendor") == "Anhua Jinhe"
    assert event.get("observer.product") == "DBFW"
    assert event.get("source.ip") == "192.168.101.1"
    assert event.get("source.port") == 35640
    assert event.get("source.mac") is None  # 000000000000: no address
    assert event.get("destination.ip") == "192.168.101.13"
    assert event.get("destination.port") == 3306
    assert event.get("user.name") == "ELSSP"
    assert event.get("rule.name") == "高危操作_yw"
    assert event.get("rule.category") == "操作违规"
    assert event.event.kind == "alert"
    assert event.event.action == "放行"
    assert event.event.type == ["info", "allowed"]
    assert event.event.severity == 4  # 高
    assert event.timestamp == dt.datetime(2019, 12, 21, 17, 30, 15, tzinfo=dt.UTC)
    assert event.get("anhuajinhe.dbfw.sql_statement") == "DROP TABLE ELSSP.CATALOG_TO_DEL"


def test_dbfw_sql_keeps_its_pipes() -> None:
    line = "CEF:192.0.2.90:514|发生时间:2026-11-27 16:00:00|客户端IP:192.0.2.1|SQL报文:SELECT a || b FROM t"
    event = _one(line)
    assert event.get("anhuajinhe.dbfw.sql_statement") == "SELECT a || b FROM t"
    assert event.event.kind == "event" and event.event.category == ["database"]


# -- time ------------------------------------------------------------------------------------------


def test_explicit_offsets_ignore_the_source_timezone() -> None:
    event = _one(ACCESS, timezone="UTC")
    assert event.timestamp == dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "line",
    [
        "2026/11/27 16:00:00 [error] 123#0: *1 open() failed, client: 192.0.2.1",
        "[Fri Nov 27 16:00:00.000000 2026] [core:error] [pid 1] AH00037: x",
        '192.0.2.10 - - [27/Nov/2026:16:00:00] "GET / HTTP/1.1" 200 1',  # a custom format without offset
        "CEF:0|V|P|1|1|n|5|rt=Nov 27 2026 16:00:00 src=192.0.2.1",
        "LEEF:1.0|V|P|1|E|devTime=2026-11-27 16:00:00\tsrc=192.0.2.1",
    ],
)
def test_local_times_use_the_source_timezone(line: str) -> None:
    shanghai = _one(line)
    assert shanghai.timestamp == dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)
    utc = _one(line, timezone="UTC")
    assert utc.timestamp == dt.datetime(2026, 11, 27, 16, 0, tzinfo=dt.UTC)


def test_cef_time_formats() -> None:
    cases = {
        "rt=1795766400000": dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC),
        "rt=Nov 27 2026 16:00:00.250": dt.datetime(2026, 11, 27, 8, 0, 0, 250000, tzinfo=dt.UTC),
        "rt=Nov 27 2026 08:00:00 UTC": dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC),
        "rt=Nov 27 2026 10:00:00 +0200": dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC),
        "rt=Nov 27 09:00:00 Europe/Berlin": dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC),
        "rt=Nov 27 2026 08:00:00 dtz=UTC": dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC),
        "rt=2026-11-27T08:00:00Z": dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC),
    }
    for extension, want in cases.items():
        assert _one(f"CEF:0|V|P|1|1|n|5|{extension}").timestamp == want, extension
    kept = _one("CEF:0|V|P|1|1|n|5|rt=yesterday")
    assert kept.get("cef.extensions.device_receipt_time") == "yesterday"
    assert kept.timestamp == dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)  # receive time


def test_leef_dev_time_format() -> None:
    event = _one(
        "LEEF:2.0|V|P|1|E|^|devTime=27/11/2026 17:00:00.5 +0900^devTimeFormat=dd/MM/yyyy HH:mm:ss.S Z"
    )
    assert event.timestamp == dt.datetime(2026, 11, 27, 8, 0, 0, 500000, tzinfo=dt.UTC)
    epoch = _one("LEEF:1.0|V|P|1|E|devTime=1795766400000")
    assert epoch.timestamp == dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)


# -- encodings and values --------------------------------------------------------------------------


def test_gbk_request_line() -> None:
    line = '192.0.2.14 - - [27/Nov/2026:16:00:05 +0800] "GET /search?kw=办事指南 HTTP/1.0" 200 512 "-" "-"'
    event = _one(line.encode("gbk"))
    assert event.get("url.query") == "kw=办事指南"


def test_nginx_extensions() -> None:
    line = f'{ACCESS} "203.0.113.7, 10.0.0.1" 0.120 0.118 10.10.0.21:8080'
    event = _one(line)
    assert event.event.duration == 120_000_000
    assert event.get("nginx.access.x_forwarded_for") == "203.0.113.7, 10.0.0.1"
    assert event.get("nginx.access.upstream_response_time") == "0.118"
    assert event.get("nginx.access.upstream_addr") == "10.10.0.21:8080"
    assert event.related is not None and event.related.ip == ["192.0.2.10", "203.0.113.7", "10.0.0.1"]


def test_malformed_request_lines_keep_the_rest() -> None:
    probe = _one(r'203.0.113.50 - - [27/Nov/2026:16:00:07 +0800] "\x16\x03\x01\x02\x00" 400 157 "-" "-"')
    assert probe.get("http.response.status_code") == 400
    assert probe.get("nginx.access.request") == r"\x16\x03\x01\x02\x00"
    assert probe.get("http.request.method") is None
    assert probe.event.outcome == "failure"
    dash = _one('203.0.113.51 - - [27/Nov/2026:16:00:08 +0800] "-" 400 0 "-" "-"')
    assert dash.get("nginx.access.request") is None and dash.url is None
    spaced = _one('192.0.2.1 - - [27/Nov/2026:16:00:08 +0800] "GET /a b.html HTTP/1.1" 200 1')
    assert spaced.get("url.path") == "/a b.html" and spaced.get("http.version") == "1.1"
    bad_time = _one('192.0.2.1 - - [31/Foo/2026:16:00:08 +0800] "GET / HTTP/1.1" 200 1')
    assert bad_time.get("nginx.access.time") == "31/Foo/2026:16:00:08 +0800"


def test_apache_user_with_space_and_ipv6_vhost_client() -> None:
    event = _one(
        'www.example.test:443 2001:db8::5 - zhang san [27/Nov/2026:16:00:00 +0800] "GET / HTTP/1.1" 200 1',
        "apache.access",
    )
    assert event.get("user.name") == "zhang san"
    assert event.get("source.ip") == "2001:db8::5"
    assert event.get("destination.domain") == "www.example.test"
    assert event.get("destination.port") == 443


def test_cef_escapes() -> None:
    line = r"CEF:0|Ven\|dor|Pro\\duct|1|sig|Name with \| pipe|7|msg=a\=b c\\d\nline2 cs2=x cs2Label=Label Two"
    event = _one(line)
    assert event.get("observer.vendor") == "Ven|dor"
    assert event.get("observer.product") == "Pro\\duct"
    assert event.get("rule.name") == "Name with | pipe"
    assert event.message == "a=b c\\d\nline2"
    assert event.get("cef.extensions.label_two") == "x"
    assert event.event.severity == 4


@pytest.mark.parametrize(
    ("severity", "want"),
    [
        ("0", 2),
        ("3", 2),
        ("4", 3),
        ("6", 3),
        ("7", 4),
        ("8", 4),
        ("9", 5),
        ("10", 5),
        ("11", None),
        ("Unknown", None),
        ("Low", 2),
        ("Medium", 3),
        ("High", 4),
        ("Very-High", 5),
    ],
)
def test_cef_severities(severity: str, want: int | None) -> None:
    assert _one(f"CEF:0|V|P|1|1|n|{severity}|src=192.0.2.1").event.severity == want


@pytest.mark.parametrize(
    ("delimiter", "separator"),
    [("^", "^"), ("x5E", "^"), ("0x5e", "^"), ("x09", "\t"), ("", "\t"), ("|", "|")],
)
def test_leef_delimiters(delimiter: str, separator: str) -> None:
    body = separator.join(["src=192.0.2.1", "dst=198.51.100.2", "usrName=li si"])
    event = _one(f"LEEF:2.0|V|P|1|E|{delimiter}|{body}")
    assert event.get("source.ip") == "192.0.2.1"
    assert event.get("destination.ip") == "198.51.100.2"
    assert event.get("user.name") == "li si"


def test_squid_connect_and_parent() -> None:
    connect = _one(
        "1795766402.789  60001 192.0.2.52 TCP_TUNNEL/200 48213 CONNECT www.example.test:443 zhangsan "
        "HIER_DIRECT/198.51.100.71 -"
    )
    assert connect.get("url.domain") == "www.example.test"
    assert connect.get("destination.port") == 443
    assert connect.get("destination.ip") == "198.51.100.71"
    assert connect.get("user.name") == "zhangsan"
    assert connect.event.duration == 60_001_000_000
    parent = _one(
        "1795766404.321    250 192.0.2.53 TCP_MISS/200 512 GET http://www.example.test/ - "
        "FIRST_UP_PARENT/198.51.100.9 text/html"
    )
    assert parent.get("destination.ip") is None  # the parent cache is not the destination
    assert parent.get("squid.access.peer_host") == "198.51.100.9"


# -- broken and hostile input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dataset", "line", "reason"),
    [
        ("nginx.access", "hello world", "not a combined access-log or nginx error-log record"),
        ("apache.access", "hello world", "not a combined access-log or Apache error-log record"),
        ("squid.access", "1795766400.123 12 192.0.2.1", "not a Squid access.log record"),
        ("cef.log", "CEF:0|Vendor|Product", "CEF header incomplete"),
        ("cef.log", "no marker here", "not a CEF record"),
        ("leef.log", "LEEF:1.0|Vendor|Product", "LEEF header incomplete"),
        ("leef.log", "LEEF:3.0|V|P|1|E|a=b", "not a LEEF record"),
    ],
)
def test_broken_lines_are_dead_lettered_with_a_reason(dataset: str, line: str, reason: str) -> None:
    outcome = _parse(line, dataset)
    assert outcome.dead_letter is not None and not outcome.events
    error = outcome.dead_letter.error
    assert error is not None and error.type == "parse_error"
    assert error.message is not None and reason in error.message
    assert "internal error" not in error.message


_NASTY: list[bytes] = [
    b"\x00" * 10,
    b"[" * 5000,
    b" " * 5000 + b"x",
    b"CEF:0|" + b"|" * 6 + b"a=" * 50_000,
    b"CEF:0|a|b|c|d|e|f|" + b"k=v " * 100_000,
    b"LEEF:2.0|a|b|c|d|x|" + b"k=v\t" * 100_000,
    b"LEEF:2.0|a|b|c|d|xZZ|k=v",
    b"192.0.2.1 - - [" + b"a" * 1_000_000,
    b'192.0.2.1 - - [27/Nov/2026:16:00:00 +0800] "' + b"\\" * 1_000_000,
    b'192.0.2.1 - - [27/Nov/2026:16:00:00 +0800] "GET / HTTP/1.1" 200 1 ' + b'"x" ' * 200_000,
    b"1795766400.123 1 192.0.2.1 TCP_MISS/200 " + b"x " * 400_000,
    b"[Fri Nov 27 16:00:00 2026] [error] " + b"[pid 1] " * 100_000,
    b"2026/11/27 16:00:00 [error] 1#0: *1 x" + b", client: a" * 80_000,
    b"CEF:1.2.3.4:5|k:" + b"|k:v" * 200_000,
]


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("data", _NASTY, ids=lambda d: repr(d[:24]))
def test_hostile_lines_never_raise_and_stay_linear(dataset: str, data: bytes) -> None:
    started = time.perf_counter()
    outcome = parse_record(_record(data), fmt=dataset)
    elapsed = time.perf_counter() - started
    assert outcome.events or outcome.dead_letter is not None
    if outcome.dead_letter is not None and outcome.dead_letter.error is not None:
        assert "internal error" not in (outcome.dead_letter.error.message or "")
    assert elapsed < 5.0, f"{dataset}: {elapsed:.1f}s for a {len(data)}-byte line"


@given(st.binary(max_size=512))
def test_random_bytes_never_raise(data: bytes) -> None:
    for dataset in (*DATASETS, "auto"):
        outcome = parse_record(_record(data), fmt=dataset)
        assert outcome.events or outcome.dead_letter is not None
        if outcome.dead_letter is not None and outcome.dead_letter.error is not None:
            assert "internal error" not in (outcome.dead_letter.error.message or ""), dataset


_PIECES = st.sampled_from(
    [
        "CEF:0|",
        "LEEF:2.0|",
        "|",
        "=",
        "\\",
        " ",
        "\t",
        "^",
        '"',
        "[",
        "]",
        "-",
        ":",
        "/",
        "src=",
        "192.0.2.1",
        "2001:db8::1",
        "27/Nov/2026:16:00:00 +0800",
        "GET / HTTP/1.1",
        "200",
        "TCP_MISS/200",
        "1795766400.123",
        "[error]",
        "client: ",
        "rt=",
        "devTime=",
        "cs1Label=",
        "x09",
        "中文",
        "%E4",
    ]
)


@given(st.lists(_PIECES, max_size=40).map("".join))
def test_format_fragments_never_raise(text: str) -> None:
    for dataset in (*DATASETS, "auto"):
        outcome = parse_record(_record(text.encode("utf-8")), fmt=dataset)
        assert outcome.events or outcome.dead_letter is not None
        if outcome.dead_letter is not None and outcome.dead_letter.error is not None:
            assert "internal error" not in (outcome.dead_letter.error.message or ""), (dataset, text)
        for event in outcome.events:
            event.to_json()  # every event serialises


def _doc(event: Event) -> dict[str, Any]:
    return event.to_dict()


def test_ids_events_carry_the_four() -> None:
    """等保 8.1.3.3 d): attack source, type (rule name and category), target, time."""
    for line in (
        "CEF:0|V|WAF|1|942100|SQL Injection|9|src=203.0.113.1 dst=192.0.2.80 cat=/Attack/SQLi act=blocked",
        "LEEF:1.0|V|IDS|1|2100498|src=203.0.113.1\tdst=192.0.2.80\tcat=/Attack/WebShell\tmsg=WebShell",
    ):
        event = _one(line)
        assert event.event.kind == "alert"
        doc = _doc(event)
        assert doc["source"]["ip"] and doc["destination"]["ip"] and doc["@timestamp"]
        assert doc["rule"]["name"] and doc["rule"]["category"]


@pytest.mark.parametrize(
    "line",
    [
        "[2026-11-27 16:00:00] user=zhangsan action=login result=ok",  # some app's kv line
        "[worker] started",
        "[INFO] 2026-11-27 service ready",
    ],
)
def test_apache_sniff_needs_an_apache_shape(line: str) -> None:
    assert not PARSERS.get("apache.access")().sniff(decode_record(_record(line)))
