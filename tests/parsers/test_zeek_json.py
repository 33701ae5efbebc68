"""Behaviour of ``zeek.log``: Zeek JSON logs, the dataset named by the kind of log.

Corpus: every line of Elastic's ``zeek/connection/test-conn.log`` and ``zeek/dns/test-dns.log``
(one of them a Splunk export wrapping the Zeek line) parses with ``--format auto`` to
``zeek.connection`` / ``zeek.dns``; the values Elastic's pipeline test expects for the first
conn line (community ID, duration, IP-level bytes, direction) are ours too.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
from typing import Any

import pytest
from corpus_support import CORPUS, make_record
from hypothesis import example, given, settings
from hypothesis import strategies as st

from collectors.parse import ParseOutcome, parse_record
from collectors.parsers import AUTO_ORDER, PARSERS
from collectors.parsers.zeek_json.community import community_id, packed_address
from collectors.parsers.zeek_json.kinds import DATASETS, KINDS
from collectors.parsers.zeek_json.parser import ZeekParser
from soc_core.events import Event

ZEEK = CORPUS / "elastic" / "zeek"


_record = make_record  # syslog/udp from 192.0.2.1 at RECEIVED_AT; keywords override


def _parse(data: bytes | str | dict[str, Any], fmt: str = "zeek.log", **kwargs: Any) -> ParseOutcome:
    if isinstance(data, dict):
        data = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return parse_record(_record(data, **kwargs), fmt=fmt)


def _event(data: bytes | str | dict[str, Any], fmt: str = "zeek.log", **kwargs: Any) -> Event:
    outcome = _parse(data, fmt, **kwargs)
    assert outcome.dead_letter is None, outcome.dead_letter.to_json()
    assert len(outcome.events) == 1
    return outcome.events[0]


def _corpus_lines(relative: str) -> list[bytes]:
    path = ZEEK / relative
    if not path.exists():
        pytest.skip(f"corpus file {path} is absent (the shared corpus is not mounted here)")
    return [line for line in path.read_bytes().split(b"\n") if line.strip()]


# -- corpus -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relative", "dataset"),
    [("connection/test-conn.log", "zeek.connection"), ("dns/test-dns.log", "zeek.dns")],
)
@pytest.mark.parametrize("fmt", ["auto", "zeek.log"])
def test_every_corpus_line_parses_to_its_dataset(relative: str, dataset: str, fmt: str) -> None:
    lines = _corpus_lines(relative)
    assert len(lines) >= 8
    for number, line in enumerate(lines, start=1):
        outcome = parse_record(_record(line, offset=number), fmt=fmt)
        assert outcome.dead_letter is None, f"{relative}:{number}: {outcome.dead_letter.to_json()!r}"
        [event] = outcome.events
        assert event.event.dataset == dataset, f"{relative}:{number}"
        assert event.observer is not None and event.observer.vendor == "Zeek"
        assert event.source is not None and event.source.ip is not None, f"{relative}:{number}"
        assert event.destination is not None and event.destination.ip is not None
        assert event.network is not None and event.network.community_id is not None
        assert event.get("zeek.session_id"), f"{relative}:{number}"


def test_conn_line_matches_elastics_pipeline_test() -> None:
    first = _corpus_lines("connection/test-conn.log")[0]
    event = _event(first, "auto")
    assert event.timestamp == dt.datetime(2019, 1, 11, 6, 33, 35, 857497, tzinfo=dt.UTC)
    assert event.event.duration == 76_967_000
    assert event.event.type == ["connection", "start", "end"]
    assert event.event.category == ["network"]
    assert event.source is not None and event.destination is not None and event.network is not None
    assert (event.source.ip, event.source.port, event.source.bytes, event.source.packets) == (
        "192.168.86.167",
        38339,
        103,
        1,
    )
    assert (event.destination.ip, event.destination.port, event.destination.bytes) == (
        "192.168.86.1",
        53,
        206,
    )
    assert event.network.community_id == "1:Z26DBGVYoBKQ1FT6qfPaAqBnJik="
    assert (event.network.transport, event.network.protocol, event.network.direction) == (
        "udp",
        "dns",
        "internal",
    )
    assert (event.network.bytes, event.network.packets) == (309, 2)
    assert event.get("zeek.connection.state") == "SF"
    assert event.get("zeek.connection.history") == "Dd"
    assert event.get("zeek.connection.orig_bytes") == 75  # payload bytes are kept too
    assert event.event.id is None  # the uid is not unique per event: it is zeek.session_id


def test_iso_timestamp_and_icmp_from_the_corpus() -> None:
    lines = _corpus_lines("connection/test-conn.log")
    iso = next(line for line in lines if b'"ts":"' in line)
    assert _event(iso, "auto").timestamp == dt.datetime(2021, 6, 9, 20, 55, 13, 160328, tzinfo=dt.UTC)
    icmp = _event(next(line for line in lines if b'"proto":"icmp"' in line), "auto")
    assert icmp.source is not None and icmp.source.port is None
    assert icmp.get("zeek.connection.icmp.type") == 3 and icmp.get("zeek.connection.icmp.code") == 3


def test_dns_corpus_answers_and_splunk_export() -> None:
    lines = _corpus_lines("dns/test-dns.log")
    event = _event(lines[0], "auto")
    assert event.dns is not None and event.dns.question is not None
    assert event.dns.question.name == "dd625ffb4fc54735b281862aa1cd6cd4.us-west1.gcp.cloud.es.io"
    assert (event.dns.question.type, event.dns.question.class_) == ("A", "IN")
    assert (event.dns.response_code, event.dns.id, event.dns.type) == ("NOERROR", "15209", "answer")
    assert event.dns.header_flags == ["RD", "RA"]
    assert event.dns.resolved_ip == ["89.160.20.156"]
    assert [(a.data, a.ttl) for a in event.dns.answers or []][-1] == ("89.160.20.156", 59)
    splunk = _event(lines[-1], "auto")
    assert splunk.event.dataset == "zeek.dns"
    assert splunk.observer is not None and splunk.observer.hostname == "Lees-MBP.localdomain"
    assert splunk.get("log.file.path") == "/usr/local/var/log/zeek/dns.log"
    assert splunk.event.original == lines[-1].decode()


def test_owlh_lines_from_the_wazuh_corpus() -> None:
    path = CORPUS / "wazuh" / "owlh.ini"
    if not path.exists():
        pytest.skip(f"corpus file {path} is absent (the shared corpus is not mounted here)")
    lines = [
        line.split(" = ", 1)[1]
        for line in path.read_text("utf-8").splitlines()
        if " = {" in line and '"uid"' in line
    ]
    datasets = [_event(line, "auto").event.dataset for line in lines]
    assert datasets == ["zeek.ssh", "zeek.ssl", "zeek.dns", "zeek.connection"]
    event = _event(lines[-1], "auto")
    assert event.get("zeek.connection.bro_engine") is None  # used as the log's name
    assert event.event.outcome == "failure"  # SH: no SYN-ACK seen


@pytest.mark.parametrize(
    ("inner", "dataset"),
    [
        ({"ts": 1795765860.0, "note": "Scan::Port_Scan", "msg": "m", "src": "198.51.100.23"}, "zeek.notice"),
        (
            {"ts": 1795765860.0, "name": "non_ip_packet_in_ethernet", "notice": False, "peer": "p"},
            "zeek.weird",
        ),
    ],
)
def test_splunk_exports_of_lines_without_a_connection_are_claimed(
    inner: dict[str, Any], dataset: str
) -> None:
    raw = json.dumps(inner, separators=(",", ":"))
    line = json.dumps({"preview": False, "result": {"_raw": raw, "host": "sensor-3"}}, separators=(",", ":"))
    event = _event(line, "auto")
    assert event.event.dataset == dataset
    assert event.observer is not None and event.observer.hostname == "sensor-3"


# -- detection ------------------------------------------------------------------------------------

_ID = {"uid": "CzW1Qd3bqvF0Hs4Xk1", "id.orig_h": "192.0.2.1", "id.orig_p": 50000}
_ID |= {"id.resp_h": "198.51.100.2", "id.resp_p": 80}
_LINES: list[tuple[dict[str, Any], str]] = [
    ({**_ID, "proto": "tcp", "conn_state": "SF", "history": "ShADadFf"}, "zeek.connection"),
    ({**_ID, "proto": "udp", "query": "example.org", "qtype_name": "A"}, "zeek.dns"),
    ({**_ID, "trans_depth": 1, "method": "GET", "host": "example.org", "uri": "/"}, "zeek.http"),
    ({**_ID, "trans_depth": 1, "status_code": 200}, "zeek.http"),
    ({**_ID, "version": "TLSv12", "server_name": "example.org", "established": True}, "zeek.ssl"),
    ({"fuid": "FqR2sT4uVw6Xy8Za0b", "source": "HTTP", "seen_bytes": 10}, "zeek.files"),
    ({"note": "Scan::Port_Scan", "msg": "scan", "src": "198.51.100.9"}, "zeek.notice"),
    ({**_ID, "fuid": "Fx", "note": "SSL::Invalid_Server_Cert", "msg": "bad cert"}, "zeek.notice"),
    ({"name": "non_ip_packet_in_ethernet", "notice": False, "peer": "w-1"}, "zeek.weird"),
    ({"id": "Fx", "certificate.version": 3, "certificate.subject": "CN=a"}, "zeek.x509"),
    ({**_ID, "auth_success": True, "client": "SSH-2.0-x", "server": "SSH-2.0-y"}, "zeek.ssh"),
    ({"uids": ["Cx"], "mac": "00:00:5e:00:53:01", "msg_types": ["DISCOVER"]}, "zeek.dhcp"),
    ({**_ID, "trans_depth": 1, "helo": "mail.example", "mailfrom": "a@example.org"}, "zeek.smtp"),
    ({**_ID, "user": "anonymous", "command": "RETR", "reply_code": 226, "fuid": "Fx"}, "zeek.ftp"),
    (
        {**_ID, "fuid": "Fx", "action": "SMB::FILE_OPEN", "name": "a.txt", "times.modified": 1.0},
        "zeek.smb_files",
    ),
    ({**_ID, "path": "\\\\srv\\IPC$", "share_type": "PIPE"}, "zeek.smb_mapping"),
    ({**_ID, "request_type": "AS", "client": "u/REALM", "success": False, "cipher": "rc4"}, "zeek.kerberos"),
    ({**_ID, "username": "u", "domainname": "D", "success": True}, "zeek.ntlm"),
    ({**_ID, "seen.indicator": "198.51.100.2", "matched": ["Intel::ADDR"], "fuid": "Fx"}, "zeek.intel"),
    (
        {
            "src_addr": "192.0.2.1",
            "sig_id": "s-1",
            "event_msg": "m",
            "note": "Signatures::Sensitive_Signature",
        },
        "zeek.signature",
    ),
    ({"ts_delta": 900.0, "peer": "w-1", "gaps": 0, "acks": 10, "percent_lost": 0.0}, "zeek.capture_loss"),
    ({**_ID, "proto": "tcp", "conn_state": "SF", "_path": "weird", "name": "x"}, "zeek.weird"),  # _path wins
    ({"_path": "conn", **_ID, "proto": "tcp"}, "zeek.connection"),
    ({"_path": "quic", **_ID, "version": "1"}, "zeek.log"),  # a log we have no name for
    ({**_ID, "proto": "tcp", "something_new": 1}, "zeek.log"),
]


@pytest.mark.parametrize(("fields", "dataset"), _LINES, ids=[d + str(i) for i, (_, d) in enumerate(_LINES)])
def test_log_type_detection(fields: dict[str, Any], dataset: str) -> None:
    event = _event({"ts": 1795765800.25, **fields}, "auto")
    assert event.event.dataset == dataset
    assert dataset in {"zeek.log", *ZeekParser().emits}


def test_emits_names_every_kind_like_elastic() -> None:
    cls = PARSERS.get("zeek.log")
    assert cls.emits == DATASETS
    assert {"zeek.connection", "zeek.dns", "zeek.http", "zeek.ssl", "zeek.files"} <= set(cls.emits)
    assert {"zeek.notice", "zeek.weird", "zeek.x509", "zeek.ssh", "zeek.smb_files"} <= set(cls.emits)
    assert len(set(KINDS)) == len(KINDS)
    assert AUTO_ORDER.index("zeek.log") < AUTO_ORDER.index("chaitin.safeline")


# -- mapping details ------------------------------------------------------------------------------


def test_notice_is_an_intrusion_alert_with_the_four_fields() -> None:
    event = _event(
        {
            "ts": 1795765860.0,
            "note": "Scan::Port_Scan",
            "msg": "198.51.100.23 scanned at least 15 unique ports of host 192.0.2.10 in 0m12s",
            "src": "198.51.100.23",
            "dst": "192.0.2.10",
            "dropped": True,
        }
    )
    assert event.event.kind == "alert"
    assert event.event.category == ["network", "intrusion_detection"]
    assert event.event.type == ["info", "denied"] and event.event.outcome == "failure"
    assert event.rule is not None and (event.rule.name, event.rule.category) == ("Scan::Port_Scan", "Scan")
    assert event.source is not None and event.source.ip == "198.51.100.23"
    assert event.destination is not None and event.destination.ip == "192.0.2.10"
    assert event.message is not None and event.message.startswith("198.51.100.23 scanned")


def test_weird_is_an_event_not_an_alert() -> None:
    event = _event(
        {"ts": 1795765860.0, "name": "bad_HTTP_request", "addl": "x", "notice": False, "peer": "w"}
    )
    assert event.event.kind == "event" and event.event.category == ["network"]
    assert event.rule is not None and event.rule.name == "bad_HTTP_request"
    assert event.get("zeek.weird.additional_info") == "x"


def test_http_url_parts_and_ipv6_host() -> None:
    event = _event(
        {
            "ts": 1795765860.0,
            **_ID,
            "id.resp_h": "2001:db8::80",
            "trans_depth": 1,
            "method": "GET",
            "host": "[2001:db8::80]:8080",
            "uri": "/a/b.php?x=1#frag",
            "status_code": 500,
        }
    )
    assert event.url is not None
    assert (event.url.domain, event.url.port, event.url.path, event.url.query, event.url.fragment) == (
        "[2001:db8::80]",
        8080,
        "/a/b.php",
        "x=1",
        "frag",
    )
    assert event.event.outcome == "failure" and event.event.action == "GET"
    assert event.destination is not None and event.destination.ip == "2001:db8::80"


def test_ssl_version_and_dtls() -> None:
    event = _event({"ts": 1795765860.0, **_ID, "version": "DTLSv12", "established": True, "resumed": False})
    assert event.tls is not None and (event.tls.version, event.tls.version_protocol) == ("1.2", "dtls")
    assert event.network is not None and event.network.transport == "udp"


def test_files_old_format_source_is_the_connection_originator() -> None:
    upload = _event(
        {
            "ts": 1795765860.0,
            "fuid": "Fx",
            "tx_hosts": ["192.0.2.1"],
            "rx_hosts": ["198.51.100.2"],
            "is_orig": True,
        }
    )
    assert upload.source is not None and upload.source.ip == "192.0.2.1"
    download = _event(
        {
            "ts": 1795765860.0,
            "fuid": "Fx",
            "tx_hosts": ["198.51.100.2"],
            "rx_hosts": ["192.0.2.1"],
            "is_orig": False,
        }
    )
    assert download.source is not None and download.source.ip == "192.0.2.1"
    assert download.destination is not None and download.destination.ip == "198.51.100.2"


def test_conn_states_and_direction() -> None:
    base = {"ts": 1795765860.0, **_ID, "proto": "tcp"}
    rejected = _event({**base, "conn_state": "REJ", "local_orig": False, "local_resp": True})
    assert rejected.event.type == ["connection", "start", "denied"] and rejected.event.outcome == "failure"
    assert rejected.network is not None and rejected.network.direction == "inbound"
    one_way_udp = _event({**base, "proto": "udp", "conn_state": "S0"})
    assert one_way_udp.event.outcome is None
    assert _event({**base, "conn_state": "OTH"}).event.outcome is None


def test_vendor_fields_nest_dotted_names_and_survive_collisions() -> None:
    event = _event(
        {"ts": 1795765860.0, **_ID, "reply_code": 226, "data_channel.passive": True, "a": 1, "a.b": 2, "A": 3}
    )
    assert event.event.dataset == "zeek.ftp"
    assert event.get("zeek.ftp.data_channel.passive") is True
    ftp = event.get("zeek.ftp")
    assert ftp["a"] == 1 and 2 in ftp.values() and 3 in ftp.values()
    assert Event.from_dict(json.loads(event.to_json())).to_json() == event.to_json()


def test_iso_time_without_offset_is_utc_whatever_the_source_timezone() -> None:
    event = _event({"ts": "2026-11-27T07:50:00.5", **_ID, "conn_state": "SF"}, timezone="Asia/Shanghai")
    assert event.timestamp == dt.datetime(2026, 11, 27, 7, 50, 0, 500000, tzinfo=dt.UTC)


def test_syslog_wrapped_line() -> None:
    line = '<134>Nov 27 15:56:10 zeek-sensor-02 zeek: {"ts":1795766170.5,"uid":"Cx","id.orig_h":"192.0.2.77",'
    line += '"id.orig_p":123,"id.resp_h":"203.0.113.123","id.resp_p":123,"proto":"udp","conn_state":"SF"}'
    event = _event(line, "auto")
    assert event.event.dataset == "zeek.connection"
    assert event.observer is not None and event.observer.hostname == "zeek-sensor-02"
    assert event.timestamp == dt.datetime(2026, 11, 27, 7, 56, 10, 500000, tzinfo=dt.UTC)


def test_community_id_spec_vectors() -> None:
    assert community_id("128.232.110.120", "66.35.250.204", 34855, 80, 6) == "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
    assert community_id("66.35.250.204", "128.232.110.120", 80, 34855, 6) == "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
    echo = community_id("192.168.0.89", "192.168.0.1", 8, 0, 1)
    assert echo == "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" == community_id("192.168.0.1", "192.168.0.89", 0, 8, 1)
    assert community_id("192.0.2.1", "2001:db8::1", 1, 2, 6) is None
    assert community_id("fe80::1%eth0", "fe80::2", 1, 2, 6) == community_id("fe80::1", "fe80::2", 1, 2, 6)
    assert community_id("not an address", "192.0.2.1", 1, 2, 6) is None


@settings(max_examples=2000, derandomize=True)
@given(st.one_of(st.ip_addresses().map(str), st.text(alphabet="0123456789abcdef.:%x", max_size=40)))
@example("fe80::1%eth0")
@example("::ffff:192.0.2.1")
@example("01.2.3.4")
def test_address_bytes_are_ipaddresss_bytes(text: str) -> None:
    try:
        expected: bytes | None = ipaddress.ip_address(text).packed
    except ValueError:
        expected = None
    try:
        got: bytes | None = packed_address.__wrapped__(text)
    except ValueError:
        got = None
    assert got == expected


# -- sniffing and refusals -------------------------------------------------------------------------

NOT_ZEEK = [
    '{"timestamp":"2026-11-27T15:00:00.000000+0800","flow_id":1,"event_type":"alert","src_ip":"192.0.2.1",'
    '"src_port":1,"dest_ip":"198.51.100.2","dest_port":80,"proto":"TCP","alert":{"signature":"x"}}',
    '{"time":"2026-11-27 15:59:59","src_ip":"192.0.2.10","dst_ip":"198.51.100.7","action":"allow"}',
    '{"ts":1795766281.25,"client":"192.0.2.55","request":"GET / HTTP/1.1","status":200,"message":"served"}',
    '{"ts":1795766281,"uid":"u-1","name":"login","user":"zhangsan","note":"first login"}',
    '{"@timestamp":"2026-11-27T07:00:00Z","event":{"dataset":"x"},"source":{"ip":"192.0.2.1"}}',
    "<134>Nov 27 15:56:10 host app: ts=1 uid=C1 id.orig_h=192.0.2.1",
]


@pytest.mark.parametrize("line", NOT_ZEEK)
def test_sniff_leaves_other_json_alone(line: str) -> None:
    outcome = _parse(line, "auto")
    datasets = {e.event.dataset for e in outcome.events}
    assert not any(d and d.startswith("zeek.") for d in datasets)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"ts":1795765800.0,"uid":"C', "invalid JSON"),
        ("[1,2,3]", "where an object was expected"),
        ('{"uid":"C1","id.orig_h":"192.0.2.1"}', "no ts field"),
        ('{"ts":"yesterday","uid":"C1"}', "is not a time"),
        ('{"ts":true,"uid":"C1"}', "is not a time"),
        ('{"ts":1795765800000,"uid":"C1"}', "is not epoch seconds"),
        ('{"result":{"_raw":"not json"}}', "invalid JSON"),
        ('{"result":{"_raw":"{\\"uid\\":\\"C1\\"}"}}', "no ts field in the Splunk"),
        ('{"ts":1795765800.0,"a":' + "[" * 100 + "]" * 100 + "}", "nested deeper"),
    ],
)
def test_broken_lines_are_dead_lettered_with_a_reason(line: str, reason: str) -> None:
    outcome = _parse(line)
    assert not outcome.events and outcome.dead_letter is not None
    error = outcome.dead_letter.error
    assert error is not None and error.type == "parse_error"
    assert (
        error.message is not None
        and "not a Zeek JSON log record" in error.message
        and reason in error.message
    )
    assert "internal error" not in error.message


@pytest.mark.parametrize(
    "value",
    [None, "", 1.5, -3, 70000, True, [], {}, ["x", 1], "999.1.1.1", "a" * 5000, {"a": [1, {"b": None}]}],
)
def test_odd_field_values_never_break_the_parser(value: Any) -> None:
    keys = ["id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "uid", "duration", "conn_state"]
    keys += [
        "query",
        "answers",
        "TTLs",
        "qclass",
        "trans_id",
        "status_code",
        "host",
        "uri",
        "version",
        "note",
    ]
    keys += ["src", "p", "tx_hosts", "is_orig", "local_orig", "service", "orig_ip_bytes", "not_valid_before"]
    keys += ["msg_types", "client", "_path", "_system_name", "community_id", "established", "name", "action"]
    for key in keys:
        for base in ({"conn_state": "SF", "local_resp": True}, {"query": "a", "answers": ["192.0.2.1"]}, {}):
            doc = {"ts": 1795765800.0, **_ID, **base, key: value}
            outcome = _parse(doc)
            if outcome.dead_letter is not None:
                error = outcome.dead_letter.error
                assert error is not None and error.message is not None
                assert "internal error" not in error.message, (key, value, error.message)
            else:
                assert outcome.events[0].to_json()
