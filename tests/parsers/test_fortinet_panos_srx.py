"""FortiGate, PAN-OS and Juniper SRX parsers: third-party corpus lines, time zones, dead
letters and sniffing. Agreement with Elastic's expected documents is checked, for every
package, by ``tests/conformance/test_elastic.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from corpus_support import CORPUS, RECEIVED_AT

from collectors.parse import parse_record
from soc_core.events import flatten
from soc_core.records import RawRecord

WAZUH = (
    ("fortigate.ini", "fortinet.fortigate"),
    ("paloalto.ini", "panw.panos"),
    ("junos.ini", "juniper.srx"),
)


def _corpus(relative: str) -> Path:
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"third-party corpus file {path} is not present")
    return path


def _record(line: bytes, *, timezone: str | None = None, received_at: float = RECEIVED_AT) -> RawRecord:
    return RawRecord(
        data=line,
        received_at=received_at,
        origin="syslog/udp",
        peer="192.0.2.1:514",
        offset=1,
        timezone=timezone,
    )


def _lines(path: Path) -> list[bytes]:
    return [line for line in path.read_bytes().split(b"\n") if line.strip()]


def _wazuh_lines(name: str) -> list[bytes]:
    path = _corpus(f"wazuh/{name}")
    found = []
    for line in path.read_bytes().split(b"\n"):
        head, sep, rest = line.partition(b" pass = ")
        if sep and head.startswith(b"log "):
            found.append(rest)
    return found


@pytest.mark.parametrize(("name", "dataset"), WAZUH, ids=[w[0] for w in WAZUH])
def test_wazuh_lines_parse_to_the_dataset(name: str, dataset: str) -> None:
    lines = _wazuh_lines(name)
    assert lines
    for line in lines:
        outcome = parse_record(_record(line))
        assert outcome.dead_letter is None, f"{line[:120]!r}: {outcome.dead_letter.error}"
        assert {e.event.dataset for e in outcome.events} == {dataset}, line[:120]
        event = outcome.events[0]
        assert event.observer is not None and event.observer.product is not None


def _one(line: str, fmt: str = "auto", **kwargs: Any) -> dict[str, Any]:
    outcome = parse_record(_record(line.encode("utf-8"), **kwargs), fmt=fmt)
    assert outcome.dead_letter is None, outcome.dead_letter.error
    return flatten(json.loads(outcome.events[0].to_json()))


FGT_NO_TZ = (
    'date=2026-11-27 time=15:40:07 devname="FGT-A" devid="FG100FTK20000001" logid="0000000013" '
    'type="traffic" subtype="forward" level="notice" srcip=10.0.0.1 srcport=5000 dstip=198.51.100.7 '
    'dstport=443 proto=6 action="deny" policyid=3'
)


def test_fortigate_time_zone_from_the_line_beats_the_source_setting() -> None:
    # no tz=: device local time in the source's zone (Asia/Shanghai unless configured)
    assert _one(FGT_NO_TZ)["@timestamp"] == "2026-11-27T07:40:07Z"
    assert _one(FGT_NO_TZ, timezone="UTC")["@timestamp"] == "2026-11-27T15:40:07Z"
    with_tz = FGT_NO_TZ.replace('logid="', 'tz="-0500" logid="')
    assert _one(with_tz, timezone="UTC")["@timestamp"] == "2026-11-27T20:40:07Z"
    assert _one(with_tz)["event.timezone"] == "-05:00"
    # an epoch eventtime (ns) wins over the zone when there is no tz=
    with_epoch = FGT_NO_TZ.replace('logid="', 'eventtime=1795765207250000000 logid="')
    assert _one(with_epoch, timezone="UTC")["@timestamp"] == "2026-11-27T07:40:07.250000Z"
    # … unless it contradicts date/time (a wrong clock or a mangled value)
    bad_epoch = FGT_NO_TZ.replace('logid="', 'eventtime=111111111 logid="')
    assert _one(bad_epoch)["@timestamp"] == "2026-11-27T07:40:07Z"


def test_fortios4_legacy_keys_and_split_clock() -> None:
    doc = _one(
        "Nov 27 15:50:02 fgt date=2026-11-27 time=15: 50:01 devname=FGT-B device_id=FGT60C0000000002 "
        "log_id=0038000004 type=traffic subtype=other pri=notice status=accept src=192.168.1.2 "
        "dst=198.51.100.9 src_port=1234 dst_port=53 proto=17 sent=10 rcvd=20"
    )
    assert doc["@timestamp"] == "2026-11-27T07:50:01Z"
    assert (doc["event.action"], doc["event.outcome"]) == ("accept", "success")
    assert (doc["source.ip"], doc["destination.port"], doc["source.bytes"]) == ("192.168.1.2", 53, 10)
    assert doc["observer.serial_number"] == "FGT60C0000000002"


def test_panos_zone_from_rfc5424_header_and_high_res_time() -> None:
    line = (
        "<14>1 2026-11-27T02:52:00-05:00 PA-1 - - - - 1,2026/11/27 02:52:00,0001,TRAFFIC,end,1,"
        "2026/11/27 02:52:00,192.0.2.10,198.51.100.1,,,r1,,,dns,vsys1,trust,untrust,e1,e2,lf,"
        "2026/11/27 02:52:00,5,1,5353,53,0,0,0x0,udp,allow,100,60,40,2,2026/11/27 02:51:59,1,any"
    )
    doc = _one(line, timezone="Asia/Shanghai")
    assert doc["@timestamp"] == "2026-11-27T07:52:00Z"
    assert doc["event.start"] == "2026-11-27T07:51:59Z"
    assert doc["event.timezone"] == "-05:00"


@pytest.mark.parametrize("dataset", ["fortinet.fortigate", "panw.panos", "juniper.srx"])
@pytest.mark.parametrize(
    "line",
    [
        "hello world",
        "date=2026-11-27 time=10:00:00 nothing=here",
        "1,2,3,4,5",
        "RT_FLOW: NOT_A_JUNOS_TAG: x",
        "<14>1 2026-11-27T00:00:00Z h app - - [junos@2636 k=unterminated",
    ],
)
def test_foreign_lines_are_dead_lettered_with_a_reason(dataset: str, line: str) -> None:
    outcome = parse_record(_record(line.encode()), fmt=dataset)
    assert outcome.dead_letter is not None and not outcome.events
    error = outcome.dead_letter.error
    assert error is not None and error.type == "parse_error" and error.message
    assert "internal error" not in (error.message or "")


def test_sniffing_keeps_the_three_formats_apart() -> None:
    samples = Path(__file__).resolve().parents[2] / "collectors" / "parsers"
    for folder, dataset in (
        ("fortinet_fortigate", "fortinet.fortigate"),
        ("panw_panos", "panw.panos"),
        ("juniper_srx", "juniper.srx"),
    ):
        for sample in sorted((samples / folder / "samples").glob("*.log")):
            for line in _lines(sample):
                outcome = parse_record(_record(line))
                assert {e.event.dataset for e in outcome.events} == {dataset}, line[:100]


def test_srx_structured_data_in_log_syslog_is_what_finish_would_give() -> None:
    # The parser reads the [junos@…] element once and fills log.syslog.structured_data itself.
    from collectors.decode import decode_record
    from collectors.parsers.common import parse_structured_data

    sample = Path(__file__).resolve().parents[2] / "collectors/parsers/juniper_srx/samples/srx.log"
    checked = 0
    for line in _lines(sample):
        record = _record(line)
        header = decode_record(record).syslog
        if header is None or not header.structured_data:
            continue
        event = parse_record(record, fmt="juniper.srx").events[0]
        assert event.log is not None and event.log.syslog is not None
        assert event.log.syslog.structured_data == parse_structured_data(header.structured_data)
        checked += 1
    assert checked >= 5


_EVENT_HEAD = (
    'date=2026-04-02 time=17:34:14 devname="FGT60F" devid="FGT60FTK00000001" tz="+0800" '
    'type="event" level="information" vd="root" '
)


def _fortigate_event(body: str) -> dict[str, Any]:
    outcome = parse_record(_record((_EVENT_HEAD + body).encode()))
    assert outcome.dead_letter is None and len(outcome.events) == 1
    return flatten(json.loads(outcome.events[0].to_json()))


def test_fortigate_event_logs_are_named_by_their_message_and_keep_the_vendor_word() -> None:
    doc = _fortigate_event(
        'logid="0100044547" subtype="system" logdesc="Object attribute configured" user="admin" '
        'ui="https(192.0.2.9)" action="Delete" cfgpath="firewall.policy" cfgobj="7" '
        'msg="Delete firewall.policy 7"'
    )
    assert doc["event.action"] == "FortiGate-event-config-objattr"
    assert doc["fortinet.fortigate.action"] == "Delete"
    assert "deletion" in doc["event.type"] and doc["event.category"] == ["configuration"]
    vpn = _fortigate_event(
        'logid="0101037121" subtype="vpn" logdesc="Negotiate IPsec phase 1" msg="negotiate IPsec phase 1" '
        'action="negotiate" remip=198.51.100.7 locip=203.0.113.1 remport=500 locport=500 status="failure"'
    )
    assert vpn["event.action"] == "FortiGate-event-neg-generic-p1-error"
    assert vpn["event.outcome"] == "failure" and vpn["source.ip"] == "198.51.100.7"


def test_fortigate_authentication_and_unlisted_event_logs_keep_the_vendor_word() -> None:
    login = _fortigate_event(
        'logid="0100032002" subtype="system" logdesc="Admin login failed" user="admin" '
        'ui="https(192.0.2.9)" action="login" status="failed" reason="passwd_invalid" '
        'msg="Administrator admin login failed"'
    )
    assert login["event.action"] == "login" and login["event.category"] == ["authentication"]
    unlisted = _fortigate_event(
        'logid="0100099999" subtype="system" action="frobnicate" msg="a message id no table lists"'
    )
    assert unlisted["event.action"] == "frobnicate"
    traffic = parse_record(
        _record(
            b'date=2026-04-02 time=17:34:14 devid="FGT60FTK00000001" logid="0000000013" type="traffic" '
            b'subtype="forward" srcip=192.0.2.10 dstip=198.51.100.20 action="deny" policyid=3'
        )
    )
    traffic_doc = flatten(json.loads(traffic.events[0].to_json()))
    assert traffic_doc["event.action"] == "deny" and traffic_doc["fortinet.fortigate.action"] == "deny"


def test_fortios_message_table_is_well_formed_and_errors_name_the_line() -> None:
    from collectors.parsers.fortinet_fortigate import messages

    assert messages.event_action("0100044547") == "FortiGate-event-config-objattr"
    assert messages.event_action("0101037141") == "FortiGate-event-conn-stats"
    assert messages.event_action("44547") is None and messages.event_action("01000x4547") is None
    assert (
        messages.action_name("LOG_ID_EVENT_SSL_VPN_SESSION_ALERT") == "FortiGate-event-ssl-vpn-session-alert"
    )
    assert messages.action_name("LOG_ID_IPSEC_TUNNEL_UP") == "FortiGate-event-ipsec-tunnel-up"
    assert all(
        re.fullmatch(r"FortiGate-event-[a-z0-9]+(?:-[a-z0-9]+)*", n) for n in messages.EVENT_ACTIONS.values()
    )
    with pytest.raises(messages.TableError, match=r"t\.tsv:3: expected"):
        messages.parse_table(
            "# comment\n44547\tLOGID_EVENT_CONFIG_OBJATTR\n44548 lower_case\n", source="t.tsv"
        )
    with pytest.raises(messages.TableError, match=r"t\.tsv:2: message id 1 is listed twice"):
        messages.parse_table("1\tLOG_ID_A\n1\tLOG_ID_B\n", source="t.tsv")
