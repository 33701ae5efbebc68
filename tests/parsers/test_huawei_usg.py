"""Behaviour of ``huawei.usg`` and ``huawei.ips`` beyond the goldens.

Every Huawei line of the shared corpus parses with ``--format auto`` to the dataset of its kind
(``IPS/4/DETECT`` → ``huawei.ips``, every other VRP line → ``huawei.usg``); per-source
timezones, GBK text, IPv6 and NAT, the hand-over between the two parsers, broken records and
hostile input.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from typing import Any

import pytest
from corpus_support import corpus_path, make_record, one_event

from collectors.decode import decode_record
from collectors.parse import ParseOutcome, parse_record
from collectors.parsers.huawei_ips import HuaweiIpsParser
from collectors.parsers.huawei_usg import HuaweiUsgParser
from collectors.parsers.huawei_usg.parser import HUAWEI_KEYS, collect, find_vrp, split_body
from collectors.parsers.huawei_usg.vrp import SLOTS
from soc_core.events import Event

SAMPLES = Path(__file__).resolve().parents[2] / "collectors" / "parsers"


_record, _one, _corpus = make_record, one_event, corpus_path


def _expected_dataset(line: str) -> str:
    return "huawei.ips" if re.search(r"%%01IPS(?:TRAP)?/\d/", line) else "huawei.usg"


# -- the shared corpus -------------------------------------------------------------------------


def _huawei_log_lines() -> list[str]:
    text = _corpus("cn_devices/huawei.log").read_text("utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _wazuh_lines() -> list[str]:
    text = _corpus("wazuh/huawei_usg.ini").read_text("utf-8")
    return [m.group(1) for m in re.finditer(r"^log \d+ pass = (.*)$", text, re.MULTILINE)]


def _formats_lines() -> list[str]:
    """Huawei lines in the fenced examples of FORMATS.md (its "[anon]" marks removed)."""
    text = _corpus("cn_devices/FORMATS.md").read_text("utf-8")
    blocks = re.findall(r"^```\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    return [line.replace("[anon]", "") for block in blocks for line in block.splitlines() if "%%01" in line]


def test_every_corpus_line_parses_to_its_dataset() -> None:
    lines = _huawei_log_lines() + _wazuh_lines() + _formats_lines()
    assert len(lines) >= 12
    for line in lines:
        event = _one(line)
        assert event.event.dataset == _expected_dataset(line), line
        assert event.observer is not None and event.observer.vendor == "Huawei"
        assert event.event.severity is not None and event.event.action


def test_corpus_policy_permit() -> None:
    line = next(line for line in _huawei_log_lines() if "POLICYPERMIT" in line)
    doc = _one(line).to_dict()
    # time= is device local time (the header, 8 hours behind, is in UTC mode on this box)
    assert doc["@timestamp"] == "2023-05-15T07:09:12Z"
    assert doc["event"]["type"] == ["connection", "allowed"]
    assert doc["event"]["outcome"] == "success"
    assert doc["source"] == {"ip": "10.111.117.49", "port": 34616}
    assert doc["destination"] == {"ip": "10.111.48.230", "port": 50051}
    assert doc["network"]["transport"] == "tcp" and doc["network"]["iana_number"] == "6"
    assert doc["observer"]["ingress"] == {"zone": "untrust"}
    assert doc["observer"]["egress"] == {"zone": "trust"}
    assert doc["huawei"]["usg"] == {
        "module": "POLICY",
        "cid": "0x814f041e",
        "vsys": "CSG_Security",
        "line_name": "HO202212080377705-1",
    }


def test_corpus_switch_lines_are_generic_events() -> None:
    suppress, rpc = _huawei_log_lines()[:2]
    doc = _one(suppress).to_dict()
    assert doc["event"]["action"] == "SUPPRESS_LOG"
    assert doc["event"]["sequence"] == 4048
    assert doc["huawei"]["usg"] == {
        "module": "INFO",
        "info_id": "1092489232",
        "module_name": "MSTP",
        "info_alias": "RECEIVE_MSTITC",
    }
    doc = _one(rpc).to_dict()
    assert doc["event"]["action"] == "RPC_FAILED" and doc["event"]["severity"] == 3
    assert doc["log"]["level"] == "warning"
    assert doc["message"] == "Failed to call synchronization IPC!"


def test_corpus_ips_alert_has_the_four_and_the_vulnerability() -> None:
    line = _formats_lines()[0]
    doc = _one(line, fmt="huawei.usg").to_dict()  # a USG source: the kind of log wins
    assert doc["event"]["dataset"] == "huawei.ips"
    assert doc["event"]["kind"] == "alert"
    assert doc["source"]["ip"] == "192.0.2.3" and doc["destination"]["ip"] == "198.51.100.3"
    assert doc["rule"] == {
        "id": "19740",
        "name": "Sun SDK and JRE Applet Sandbox Security Bypass",
        "category": "Other",
        "ruleset": "hwips",
    }
    assert doc["vulnerability"] == {"id": ["CVE-2004-1029"]}
    assert doc["event"]["severity"] == 4  # Severity=high
    assert doc["event"]["action"] == "Alert" and "allowed" in doc["event"]["type"]
    assert doc["huawei"]["ips"]["target"] == "client"
    assert doc["observer"]["type"] == "ips"


def test_explicit_offset_in_the_header_is_used() -> None:
    line = _formats_lines()[1]
    assert "+08:00" in line
    doc = _one(line, timezone="UTC").to_dict()  # the offset wins over the source's zone
    assert doc["@timestamp"] == "2026-02-28T03:10:52Z"
    assert doc["observer"]["product"] == "USG6585E"
    assert doc["event"]["type"] == ["info", "denied"] and doc["event"]["outcome"] == "failure"


def test_relay_header_keeps_the_device_time_and_name() -> None:
    line = next(line for line in _formats_lines() if "SESSION_TEARDOWN" in line)
    doc = _one(line).to_dict()
    assert doc["@timestamp"] == "2020-09-09T02:05:11Z"  # 10:05:11 in Asia/Shanghai
    assert doc["observer"]["hostname"] == "FW-OUT-01"
    assert doc["source"]["nat"] == {"ip": "203.0.113.54", "port": 3711}
    assert doc["source"]["bytes"] == 74 and doc["destination"]["bytes"] == 120
    assert doc["event"]["start"] == "2020-09-09T10:04:36Z"  # BeginTime, epoch seconds
    assert doc["event"]["reason"] == "aged-out"
    assert doc["rule"]["name"] == "Permit_all"


def test_session_url_page_with_commas() -> None:
    line = next(line for line in _formats_lines() if "SESSION_URL" in line)
    doc = _one(line).to_dict()
    assert doc["url"]["domain"] == "heartbeat.dm.origin.com"
    assert doc["url"]["path"] == "/pulse"
    assert doc["url"]["query"].endswith("db_conn=1,0,0,0,0")
    assert "web" in doc["event"]["category"]


# -- per-source settings, encodings, IPv6 and NAT ------------------------------------------------

POLICY = (
    "<190>Nov 27 15:00:02 fw-edge-01 %%01POLICY/6/POLICYDENY(l):vsys=public, protocol=17, "
    "source-ip=198.51.100.23, source-port=40312, destination-ip=10.20.1.53, destination-port=53, "
    "time=2026/11/27 15:00:02, source-zone=untrust, destination-zone=trust, rule-name=default_deny."
)
BUILT = (
    "<190>Nov 27 15:00:01 fw-edge-01 %%01SECLOG/6/SESSION_BUILT(l):IPVer=4,Protocol=udp,"
    "SourceIP=10.20.1.16,DestinationIP=198.51.100.53,SourcePort=53122,DestinationPort=53,"
    "SourceVpnID=0,DestinationVpnID=0."
)


def test_timezone_override_changes_the_timestamp() -> None:
    shanghai = _one(BUILT).timestamp
    utc = _one(BUILT, timezone="UTC").timestamp
    assert shanghai == dt.datetime(2026, 11, 27, 7, 0, 1, tzinfo=dt.UTC)
    assert utc - shanghai == dt.timedelta(hours=8)
    # the in-line time= of POLICY logs is device time too
    assert _one(POLICY, timezone="UTC").timestamp - _one(POLICY).timestamp == dt.timedelta(hours=8)


def test_missing_year_is_resolved_against_the_receive_time() -> None:
    assert _one(BUILT).timestamp.year == 2026


def test_gbk_line_with_chinese_policy_name() -> None:
    line = POLICY.replace("rule-name=default_deny", "rule-name=研发部访问外网").encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        line.decode("utf-8")
    assert decode_record(_record(line)).encoding == "gb18030"
    event = _one(line)
    assert event.rule is not None and event.rule.name == "研发部访问外网"
    assert event.event.dataset == "huawei.usg"


def test_gbk_sample_lines_exist() -> None:
    for sample in ("huawei_usg/samples/usg.log", "huawei_ips/samples/ips.log"):
        data = (SAMPLES / sample).read_bytes()
        assert any(_not_utf8(line) for line in data.splitlines()), sample


def _not_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def test_ipv6_and_nat_in_the_goldens() -> None:
    golden = (SAMPLES / "huawei_usg/samples/usg-expected.ndjson").read_text("utf-8")
    docs = [Event.from_json(line).to_dict() for line in golden.splitlines()]
    v6 = [d for d in docs if d.get("network", {}).get("type") == "ipv6"]
    nat = [d for d in docs if "nat" in d.get("source", {})]
    assert v6 and v6[0]["source"]["ip"] == "2001:db8:10::15"
    assert len(nat) >= 3
    assert {"allowed", "denied"} <= {t for d in docs for t in d["event"].get("type", [])}


def test_ipv6_alert() -> None:
    line = (
        "<188>Nov 27 2026 15:22:00 fw-edge-01 %%01IPS/4/DETECT(l):An intrusion was detected. (SyslogId=1, "
        'VSys="public", Policy="v6", SrcIp=2001:DB8:66:0::7, DstIp=2001:db8:10::25, SrcPort=51200, '
        'DstPort=80, Protocol=TCP, SignName="X", SignId=1, Severity=low, Category=Malware, Action=Block)'
    )
    doc = _one(line).to_dict()
    assert doc["source"]["ip"] == "2001:db8:66::7"  # canonical form
    assert doc["network"]["type"] == "ipv6"
    assert doc["event"]["severity"] == 2


# -- which parser ------------------------------------------------------------------------------


def test_sniffs() -> None:
    ips = decode_record(_record(_formats_lines()[0]))
    policy = decode_record(_record(POLICY))
    assert HuaweiIpsParser().sniff(ips) and not HuaweiUsgParser().sniff(ips)
    assert HuaweiUsgParser().sniff(policy) and not HuaweiIpsParser().sniff(policy)
    h3c = decode_record(_record("<190>Nov 27 15:00:01 2026 fw %%10SHELL/5/SHELL_LOGIN: VTY logged in."))
    assert not HuaweiUsgParser().sniff(h3c) and not HuaweiIpsParser().sniff(h3c)


def test_each_parser_hands_over_the_other_kind() -> None:
    ips_line = _formats_lines()[0]
    assert _one(ips_line, fmt="huawei.usg").event.dataset == "huawei.ips"
    assert _one(ips_line, hint="huawei.usg").event.dataset == "huawei.ips"
    assert _one(POLICY, fmt="huawei.ips").event.dataset == "huawei.usg"
    assert _one(POLICY, hint="huawei.ips").event.dataset == "huawei.usg"


# -- broken and hostile input ------------------------------------------------------------------


def _dead(line: str | bytes, fmt: str) -> ParseOutcome:
    outcome = parse_record(_record(line), fmt=fmt)
    assert outcome.dead_letter is not None and not outcome.events
    return outcome


@pytest.mark.parametrize("fmt", ["huawei.usg", "huawei.ips"])
def test_not_a_vrp_line_is_dead_lettered_with_a_reason(fmt: str) -> None:
    for line in ("hello world", "%%01 no header here", "<190>Nov 27 15:00:01 fw %%10SHELL/5/X: h3c"):
        outcome = _dead(line, fmt)
        assert outcome.dead_letter is not None
        assert outcome.dead_letter.error is not None
        assert outcome.dead_letter.error.type == "parse_error"
        assert "not a Huawei VRP" in (outcome.dead_letter.error.message or "")


@pytest.mark.parametrize("fmt", ["huawei.usg", "huawei.ips"])
def test_hostile_input_never_raises_and_stays_linear(fmt: str) -> None:
    big = 1024 * 1024 - 64
    lines = [
        "%%01POLICY/6/POLICYPERMIT(l):" + "a=" * (big // 2),
        "%%01IPS/4/DETECT(l):x (" + "SignName=" + "a," * (big // 2 - 8),
        "%%01SECLOG/6/SESSION_BUILT(l):" + "Page=" + "a" * big,
        "%%01URL/4/FILTER(l):(" + '"' * big,
        "%%01" + "A" * big,
        "%%01INFO/6/X:" + "(k=" * (big // 3),
        "%%01SHELL/5/LOGIN:" + " from 1.2." * (big // 10),
    ]
    for line in lines:
        start = time.process_time()
        outcome = parse_record(_record(line), fmt=fmt)
        assert outcome.events or outcome.dead_letter is not None
        assert time.process_time() - start < 2.0, line[:60]


@pytest.mark.parametrize(
    "line",
    [
        "%%01POLICY/6/POLICYPERMIT(l):source-ip=999.1.1.1, source-port=99999, protocol=300, time=bogus.",
        "%%01SECLOG/6/SESSION_TEARDOWN(l):SourceIP=,BeginTime=99999999999999999999,SendBytes=-1.",
        "%%01POLICY/6/POLICYDENY(l):=, ==, ,=x, a=b=c.",
        "%%01IPS/4/DETECT(l):An intrusion was detected. (SrcIp=**, Severity=weird, Reference=)",
        "\x1b[31m%%01INFO/6/X(l)[99999999999]:text\x1b[0m",
    ],
)
def test_odd_values_are_kept_not_fatal(line: str) -> None:
    outcome = parse_record(_record(line))
    assert outcome.dead_letter is None, outcome.dead_letter.to_json().decode()
    assert outcome.events[0].event.dataset in ("huawei.usg", "huawei.ips")


def test_invalid_values_stay_in_the_vendor_namespace() -> None:
    doc = _one(
        "%%01POLICY/6/POLICYPERMIT(l):source-ip=999.1.1.1, source-port=99999, protocol=300, "
        "destination-ip=192.0.2.9, time=bogus."
    ).to_dict()
    kept = doc["huawei"]["usg"]
    assert kept["source_ip"] == "999.1.1.1" and kept["source_port"] == "99999"
    assert kept["protocol"] == "300" and kept["time"] == "bogus"
    assert doc["destination"]["ip"] == "192.0.2.9"


# -- the C-level split agrees with the regex ----------------------------------------------------


def _sample_lines() -> list[str]:
    out: list[str] = []
    for sample in ("huawei_usg/samples/usg.log", "huawei_ips/samples/ips.log"):
        for raw in (SAMPLES / sample).read_bytes().splitlines():
            if raw.strip():
                out.append(decode_record(_record(raw)).message)
    return out


def test_fast_split_agrees_with_the_regex() -> None:
    checked = 0
    for message in _sample_lines() + _huawei_log_lines() + _wazuh_lines():
        line = find_vrp(message)
        assert line is not None
        text, _sentence = split_body(line.body)
        if text is None:
            continue
        fast_extra: dict[str, Any] = {}
        slow_extra: dict[str, Any] = {}
        fast = collect(text, HUAWEI_KEYS, fast_extra)
        slow = collect(text, HUAWEI_KEYS, slow_extra, fast=False)
        assert len(fast) == len(slow) == SLOTS
        assert fast == slow, message
        assert fast_extra == slow_extra, message
        checked += 1
    assert checked >= 20
