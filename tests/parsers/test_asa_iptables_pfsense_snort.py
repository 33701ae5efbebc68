"""Behaviour of ``cisco.asa``, ``iptables.log``, ``pfsense.log`` and ``snort.alert`` beyond the goldens.

Field agreement with Elastic's expected documents is checked for every package by
``tests/conformance/test_elastic.py``; here: the corpus lines, message shapes, hostile input.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from pathlib import Path
from typing import Any

import pytest
from corpus_support import CORPUS, RECEIVED_AT

from collectors.parse import parse_record
from collectors.parsers.snort_alert.parser import priority_severity
from soc_core.events import Event, flatten
from soc_core.records import RawRecord


def _doc(event: Event) -> dict[str, Any]:
    return flatten(json.loads(event.to_json()))


def _corpus(relative: str) -> Path:
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"shared corpus not available: {path} (tests read it from ../shared/corpus)")
    return path


def _record(line: bytes, *, received_at: float = RECEIVED_AT, timezone: str | None = None) -> RawRecord:
    return RawRecord(
        data=line,
        received_at=received_at,
        origin="syslog/udp",
        peer="192.0.2.1:514",
        offset=1,
        timezone=timezone,
    )


def _parse(line: str | bytes, fmt: str = "auto", **kwargs: Any) -> Event:
    data = line.encode() if isinstance(line, str) else line
    outcome = parse_record(_record(data, **kwargs), fmt=fmt)
    assert outcome.dead_letter is None, outcome.dead_letter.to_json().decode()
    assert len(outcome.events) == 1
    return outcome.events[0]


def test_iptables_raw_corpus_all_parse() -> None:
    for line in _corpus("elastic/iptables/log/test-iptables-raw.log").read_bytes().split(b"\n"):
        if line.strip():
            assert _parse(line).event.dataset == "iptables.log", line


def _wazuh(name: str) -> list[str]:
    lines = []
    for raw in _corpus(f"wazuh/{name}").read_text("utf-8").splitlines():
        head, sep, line = raw.partition(" pass = ")
        if sep and head.startswith("log "):
            lines.append(line)
    assert lines
    return lines


@pytest.mark.parametrize(
    ("name", "dataset"),
    [("cisco_asa.ini", "cisco.asa"), ("iptables.ini", "iptables.log"), ("pfsense.ini", "pfsense.log")],
)
def test_wazuh_lines_parse_to_our_dataset(name: str, dataset: str) -> None:
    for line in _wazuh(name):
        event = _parse(line)
        assert event.event.dataset == dataset, line
        assert event.observer is not None and event.observer.vendor, line


# -- Cisco ASA -------------------------------------------------------------------------------------


def test_asa_repeat_wrapper_and_interfaces() -> None:
    doc = _doc(
        _parse(
            "Jan 23 15:10:55 192.0.2.1 %ASA-2-106006: message repeated 3 times: "
            "[ Deny inbound UDP from 203.0.113.9/137 to 192.0.2.20/137 on interface outside]",
            timezone="UTC",
        )
    )
    assert doc["@timestamp"] == "2026-01-23T15:10:55Z"
    assert doc["event.action"] == "firewall-rule" and doc["event.code"] == "106006"
    assert doc["event.type"] == ["connection", "denied"] and doc["event.outcome"] == "failure"
    assert doc["observer.ingress.interface.name"] == "outside"
    assert doc["network.direction"] == "inbound" and doc["network.transport"] == "udp"
    assert doc["cisco.asa.message_repeats"] == 3
    assert doc["observer.ip"] == ["192.0.2.1"] and doc["event.severity"] == 4


def test_asa_outbound_built_swaps_to_initiator_and_keeps_nat() -> None:
    doc = _doc(
        _parse(
            "%ASA-6-302013: Built outbound TCP connection 42 for outside:198.51.100.7/443 (198.51.100.7/443) "
            "to inside:10.1.1.5/50000 (203.0.113.5/61000)"
        )
    )
    assert (doc["source.ip"], doc["source.port"]) == ("10.1.1.5", 50000)
    assert (doc["source.nat.ip"], doc["source.nat.port"]) == ("203.0.113.5", 61000)
    assert (doc["destination.ip"], doc["destination.port"]) == ("198.51.100.7", 443)
    assert "destination.nat.ip" not in doc  # unchanged by NAT
    assert doc["observer.ingress.interface.name"] == "inside"
    assert doc["observer.egress.interface.name"] == "outside"
    assert doc["event.type"] == ["connection", "start", "allowed"]


def test_asa_teardown_bytes_duration_reason() -> None:
    doc = _doc(
        _parse(
            "%ASA-6-302014: Teardown TCP connection 42 for outside:198.51.100.7/443 to inside:10.1.1.5/50000 "
            "duration 0:01:05 bytes 6789 TCP FINs from inside"
        )
    )
    assert doc["network.bytes"] == 6789 and doc["event.duration"] == 65 * 10**9
    assert doc["event.reason"] == "TCP FINs" and doc["cisco.asa.initiator"] == "inside"


def test_asa_access_list_permitted_and_denied() -> None:
    line = (
        "%ASA-6-106100: access-list OUT-IN {} tcp outside/198.51.100.7(5555) -> dmz/192.0.2.80(80) "
        "hit-cnt 1 first hit [0x1a2b3c4d, 0x0]"
    )
    allowed, denied = _doc(_parse(line.format("permitted"))), _doc(_parse(line.format("denied")))
    assert allowed["event.type"] == ["connection", "allowed"] and allowed["event.outcome"] == "success"
    assert denied["event.type"] == ["connection", "denied"] and denied["event.outcome"] == "failure"
    assert allowed["rule.name"] == "OUT-IN" and allowed["cisco.asa.hit_count"] == 1


def test_asa_ids_signature_is_an_alert_with_the_four() -> None:
    doc = _doc(
        _parse("%ASA-4-400013: IDS:2003 ICMP redirect from 203.0.113.1 to 192.0.2.5 on interface outside")
    )
    assert doc["event.kind"] == "alert"
    assert doc["event.category"] == ["network", "intrusion_detection"]
    assert doc["source.ip"] == "203.0.113.1" and doc["destination.ip"] == "192.0.2.5"
    assert doc["rule.name"] == "ICMP redirect" and doc["rule.id"] == "2003"
    assert doc["rule.category"] == "informational"


def test_asa_ipv6_and_unknown_id() -> None:
    doc = _doc(
        _parse(
            "%ASA-4-106023: Deny tcp src outside:2001:db8::5/4444 dst inside:2001:db8:1::10/22 by "
            'access-group "acl_out" [0x0, 0x0]'
        )
    )
    assert doc["source.ip"] == "2001:db8::5" and doc["destination.ip"] == "2001:db8:1::10"
    assert doc["destination.port"] == 22
    other = _doc(_parse("%ASA-5-199999: Something new happened"))
    assert other["event.action"] == "199999" and other["event.severity"] == 2


# -- iptables ------------------------------------------------------------------------------------------


def test_iptables_ufw_block_ipv4() -> None:
    doc = _doc(
        _parse(
            "Nov 27 10:00:00 gw01 kernel: [ 3529.289825] [UFW BLOCK] IN=eth0 OUT= "
            "MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 "
            "SRC=203.0.113.9 DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=0 DF PROTO=TCP "
            "SPT=40000 DPT=22 "
            "WINDOW=64240 RES=0x00 SYN URGP=0"
        )
    )
    assert doc["event.action"] == "block" and doc["event.type"] == ["connection", "denied"]
    assert doc["rule.name"] == "UFW BLOCK" and doc["observer.ingress.interface.name"] == "eth0"
    assert doc["source.mac"] == "66-77-88-99-AA-BB" and doc["network.direction"] == "ingress"
    assert doc["netfilter.iptables.kernel_time"] == 3529.289825


def test_iptables_ipv6_icmp_without_verdict() -> None:
    doc = _doc(
        _parse(
            "Nov 27 10:00:00 gw01 kernel: IN= OUT=eth0 SRC=2001:0db8:0000:0000:0000:0000:0000:0001 "
            "DST=2001:db8::2 "
            "LEN=104 TC=0 HOPLIMIT=64 FLOWLBL=1 PROTO=ICMPv6 TYPE=128 CODE=0 ID=7 SEQ=1"
        )
    )
    assert doc["source.ip"] == "2001:db8::1" and doc["network.transport"] == "ipv6-icmp"
    assert doc["event.action"] == "log" and doc["event.type"] == ["connection"] and "event.outcome" not in doc
    assert doc["netfilter.iptables.icmp_type"] == 128 and doc["netfilter.iptables.icmp_id"] == 7


# -- pfSense -----------------------------------------------------------------------------------------------


def test_pfsense_short_record_is_dead_lettered_with_reason() -> None:
    outcome = parse_record(
        _record(b"Nov 27 10:00:00 fw filterlog[1]: 5,,,1000,em0,match,block,in,4,0x0"), fmt="pfsense.log"
    )
    assert outcome.dead_letter is not None
    assert "IPv4 record with only 10 columns" in str(outcome.dead_letter.get("error.message"))


def test_pfsense_ipv6_tcp() -> None:
    doc = _doc(
        _parse(
            "<134>Nov 27 10:00:00 fw filterlog[123]: "
            "7,,,1000000105,igb0,match,pass,out,6,0x00,0x00000,64,tcp,6,40,"
            "2001:db8::10,2001:db8:ff::1,50000,443,0,S,123456,,65535,,mss"
        )
    )
    assert doc["event.action"] == "pass" and doc["event.type"] == ["connection", "allowed"]
    assert doc["network.direction"] == "egress" and doc["observer.egress.interface.name"] == "igb0"
    assert doc["destination.port"] == 443 and doc["rule.id"] == "1000000105"


# -- Snort -------------------------------------------------------------------------------------------------


def test_snort_full_block_multiline_and_cve() -> None:
    block = (
        "[**] [1:2003:8] SQL Worm propagation attempt [**]\n"
        "[Classification: Misc Attack] [Priority: 2]\n"
        "11/26-14:19:53.410389 203.0.113.5:1234 -> 192.0.2.10:1434\n"
        "UDP TTL:118 TOS:0x0 ID:33725 IpLen:20 DgmLen:404\n"
        "Len: 376\n"
        "[Xref => http://cve.mitre.org/cgi-bin/cvename.cgi?name=2002-0649]\n"
    )
    doc = _doc(_parse(block, fmt="snort.alert"))
    assert doc["rule.name"] == "SQL Worm propagation attempt" and doc["rule.category"] == "Misc Attack"
    assert doc["rule.id"] == "2003" and doc["rule.version"] == "8" and doc["snort.snort.gid"] == 1
    assert doc["vulnerability.id"] == ["CVE-2002-0649"] and doc["event.severity"] == 3
    assert doc["@timestamp"] == "2026-11-26T06:19:53.410389Z"  # Asia/Shanghai, year from receipt
    # the same block joined into one line parses the same way
    assert _doc(_parse(block.replace("\n", " "), fmt="snort.alert"))["rule.id"] == "2003"


def test_snort_year_rolls_back_and_timezone_override() -> None:
    line = (
        "12/31-23:59:59.000001  [**] [1:1:1] x [**] [Classification: c] [Priority: 1] {TCP} 192.0.2.1:1 "
        "-> 192.0.2.2:2"
    )
    received = dt.datetime(2027, 1, 1, 1, 0, tzinfo=dt.UTC).timestamp()
    doc = _doc(_parse(line, received_at=received, timezone="UTC"))
    assert doc["@timestamp"] == "2026-12-31T23:59:59.000001Z"
    assert doc["event.severity"] == 4


def test_snort_priority_mapping() -> None:
    assert [priority_severity(p) for p in (0, 1, 2, 3, 4, 9)] == [4, 4, 3, 2, 1, 1]


def test_snort_inline_drop_is_blocked() -> None:
    doc = _doc(
        _parse(
            '11/26-10:00:00.5 [Drop] [**] [1:1000001:1] "SQLi attempt" [**] [Classification: Web '
            "Application Attack] "
            "[Priority: 1] {TCP} 2001:db8::5:51000 -> 2001:db8::1:80"
        )
    )
    assert doc["event.type"] == ["info", "denied"] and doc["observer.type"] == "ips"
    assert doc["rule.name"] == "SQLi attempt" and doc["source.port"] == 51000
    assert doc["destination.ip"] == "2001:db8::1"


# -- robustness --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dataset", ["cisco.asa", "iptables.log", "pfsense.log", "snort.alert"])
def test_garbage_never_raises(dataset: str) -> None:
    rng = random.Random(7)
    samples = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))) for _ in range(200)]
    samples += [
        b"%ASA-6-302013: Built outbound TCP connection",
        b"IN= OUT= SRC=x DST=y",
        b"5,,,1,em0,match,block,in,4," + b"x," * 30,
        b"[**] [1:2:3] m [**] {TCP} a -> b",
        b"A" * (1 << 20),
        b"%ASA-4-106023: Deny " + b"x " * 200_000,
    ]
    for data in samples:
        outcome = parse_record(_record(data), fmt=dataset)
        assert outcome.events or outcome.dead_letter is not None


@pytest.mark.parametrize(
    ("dataset", "line"),
    [
        ("snort.alert", "11/27-16:03:00.1 [**] [1:2:3] " + "[**] " * 20_000),
        ("snort.alert", "[1:2:3] " + "[A: b] " * 20_000 + "{TCP}"),
        ("iptables.log", "[" * 100_000 + "IN= OUT= SRC=192.0.2.1 DST=192.0.2.2"),
        ("cisco.asa", "%ASA-5-199999: " + "from a:1 " * 50_000),
        (
            "cisco.asa",
            "%ASA-6-302014: Teardown TCP connection 1 for a:192.0.2.1/1 to b:192.0.2.2/2 "
            + "x from " * 50_000,
        ),
        ("pfsense.log", "5,,,1,em0,match,block,in,4," + "," * 200_000),
    ],
)
def test_hostile_lines_cost_linear_time(dataset: str, line: str) -> None:
    started = time.perf_counter()
    for fmt in (dataset, "auto"):
        outcome = parse_record(_record(line.encode()), fmt=fmt)
        assert outcome.events or outcome.dead_letter is not None
    assert time.perf_counter() - started < 2.0  # quadratic backtracking would take minutes


def test_lone_line_of_a_full_block_is_refused() -> None:
    outcome = parse_record(_record(b"UDP TTL:118 TOS:0x0 ID:33725 IpLen:20 DgmLen:404"), fmt="snort.alert")
    assert outcome.dead_letter is not None


def test_sniffs_do_not_claim_each_others_lines() -> None:
    lines = {
        "cisco.asa": (
            "%ASA-6-305011: Built dynamic TCP translation from inside:10.0.0.1/1 to outside:203.0.113.1/2"
        ),
        "iptables.log": (
            "Nov 27 10:00:00 h kernel: DROP IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=40 PROTO=TCP "
            "SPT=1 DPT=2"
        ),
        "pfsense.log": "5,,,1000,em0,match,block,in,4,0x0,,64,1,0,DF,17,udp,40,192.0.2.1,192.0.2.2,53,53,20",
        "snort.alert": (
            "11/26-10:00:00.1  [**] [1:2:3] m [**] [Priority: 3] {UDP} 192.0.2.1:53 -> 192.0.2.2:53"
        ),
    }
    for dataset, line in lines.items():
        assert _parse(line).event.dataset == dataset
