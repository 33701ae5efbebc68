"""Behaviour of ``h3c.secpath`` and ``h3c.ips`` beyond the goldens.

Every H3C line of the shared corpus parses with ``--format auto`` to the dataset of its kind
(IPS/AV/ATK → ``h3c.ips``, other Comware lines → ``h3c.secpath``; the A2020 bastion and
``System_ID=H3C`` lines are not Comware and go to ``syslog.kv``); per-source timezones, GBK
text, IPv6 and NAT, the hand-over between the two parsers, broken records and hostile input.
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
from collectors.parse import parse_record
from collectors.parsers.h3c_ips import H3cIpsParser
from collectors.parsers.h3c_secpath import H3cSecpathParser
from collectors.parsers.h3c_secpath.comware import collect, find_comware
from collectors.parsers.huawei_usg.vrp import SLOTS
from soc_core.events import Event

SAMPLES = Path(__file__).resolve().parents[2] / "collectors" / "parsers"


_record, _one, _corpus = make_record, one_event, corpus_path


def _h3c_lines() -> list[str]:
    text = _corpus("cn_devices/h3c_secpath.log").read_text("utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _formats_lines() -> list[str]:
    """H3C lines in the fenced examples of FORMATS.md (its "[anon]" marks removed)."""
    text = _corpus("cn_devices/FORMATS.md").read_text("utf-8")
    blocks = re.findall(r"^```\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    return [line.replace("[anon]", "") for block in blocks for line in block.splitlines() if "%%10" in line]


def _expected_dataset(line: str) -> str:
    if "%%10" not in line:
        return "syslog.kv"  # A2020 bastion, System_ID=H3C: not Comware
    if re.search(r"%%10(?:IPS/\d/IPS_IPV|ANTIVIRUS/\d/ANTIVIRUS_IPV|ATK/)", line):
        return "h3c.ips"
    return "h3c.secpath"


# -- the shared corpus -------------------------------------------------------------------------


def test_every_corpus_line_parses_to_its_dataset() -> None:
    lines = _h3c_lines() + _formats_lines()
    assert len(lines) >= 12
    found = {}
    for line in lines:
        event = _one(line)
        found[line] = event.event.dataset
        assert event.event.dataset == _expected_dataset(line), line
        if event.event.dataset != "syslog.kv":
            assert event.observer is not None and event.observer.vendor == "H3C"
    assert set(found.values()) == {"h3c.secpath", "h3c.ips", "syslog.kv"}


def test_non_comware_h3c_lines_go_to_the_generic_parser() -> None:
    a2020 = [line for line in _h3c_lines() if "H3C-A2020-G" in line]
    system = [line for line in _h3c_lines() if "System_ID=H3C" in line]
    assert len(a2020) == 2 and len(system) == 1
    for line in (*a2020, *system):
        envelope = decode_record(_record(line))
        assert not H3cSecpathParser().sniff(envelope) and not H3cIpsParser().sniff(envelope)
        event = _one(line)
        assert event.event.dataset == "syslog.kv"
    doc = _one(system[0]).to_dict()
    assert doc["syslog"]["kv"] == {"system_id": "H3C", "toplevel": "Notification"}
    doc = _one(a2020[0]).to_dict()
    assert doc["syslog"]["kv"]["identity"] == "h3cadmin"


def test_corpus_session_flow_with_nat() -> None:
    line = _h3c_lines()[0]
    doc = _one(line).to_dict()
    assert doc["@timestamp"] == "2019-12-01T08:15:43Z"  # header: Asia/Shanghai
    assert doc["event"]["start"] == "2019-12-01T08:15:43Z"  # BeginTime_e: UTC
    assert doc["event"]["action"] == "Session created"
    assert doc["event"]["type"] == ["connection", "allowed", "start"]
    assert doc["source"] == {
        "ip": "192.168.187.12",
        "port": 40912,
        "bytes": 60,
        "packets": 1,
        "nat": {"ip": "112.35.18.188", "port": 9460},
    }
    assert doc["destination"]["nat"] == {"ip": "47.95.12.238", "port": 80}
    assert doc["destination"]["bytes"] == 0 and doc["destination"]["packets"] == 0
    assert doc["network"]["transport"] == "tcp" and doc["network"]["application"] == "http"
    assert doc["h3c"]["secpath"] == {"module": "session", "event_code": "8", "mnemonic": "SESSION_IPV4_FLOW"}
    assert doc["observer"] == {
        "vendor": "H3C",
        "product": "SecPath",
        "type": "firewall",
        "hostname": "GB-ZWY-HLWQ-J1J2-S-FW-F1050-1&2",
    }


def test_corpus_filter_permit() -> None:
    line = next(line for line in _h3c_lines() if "hanbang_514" in line)
    doc = _one(line).to_dict()
    assert doc["event"]["action"] == "Permit" and doc["event"]["outcome"] == "success"
    assert doc["rule"] == {"id": "174", "name": "hanbang_514"}
    assert doc["observer"]["ingress"] == {"zone": "Untrust"}
    assert doc["observer"]["egress"] == {"zone": "Trust"}
    assert doc["h3c"]["secpath"]["match_count"] == "1"


def test_corpus_ips_alert() -> None:
    line = next(line for line in _h3c_lines() if "IPS_IPV4_INTERZONE" in line)
    doc = _one(line, fmt="h3c.secpath").to_dict()  # a SecPath source: the kind of log wins
    assert doc["event"]["dataset"] == "h3c.ips" and doc["event"]["kind"] == "alert"
    assert doc["rule"]["name"] == "INFOMATION_GATHER__Robot_Spider_Crawler(Baidu)"
    assert doc["rule"]["id"] == "23302" and doc["rule"]["category"] == "InformationDisclosure"
    assert doc["source"]["ip"] == "192.168.221.39" and doc["destination"]["ip"] == "192.168.187.12"
    assert doc["event"]["severity"] == 2  # Severity(1087)=LOW
    assert doc["event"]["action"] == "Permit & Logging" and "allowed" in doc["event"]["type"]
    assert "vulnerability" not in doc  # CVE(1075)=--
    assert doc["h3c"]["ips"]["real_src_ip"] == "220.181.108.78"
    assert "220.181.108.78" in doc["related"]["ip"]
    assert doc["h3c"]["ips"]["hit_direction"] == "original"
    assert "bid" not in doc["h3c"]["ips"]  # "--" is Comware's none


def test_corpus_attack_defence_ipv6() -> None:
    line = next(line for line in _formats_lines() if "ATK_ICMPV6" in line)
    doc = _one(line).to_dict()
    assert doc["event"]["dataset"] == "h3c.ips"
    assert doc["source"]["ip"] == "2001:db8:6002::27"
    assert doc["destination"]["ip"] == "2001:db8:a001:1:8000::5"
    assert doc["rule"] == {"name": "ATK_ICMPV6_TRACEROUTE_SZ", "category": "single-packet attack"}
    assert doc["event"]["start"] == "2021-02-24T00:40:13Z"  # BeginTime_c: device local time
    assert doc["h3c"]["ips"]["chassis"] == "1" and doc["h3c"]["ips"]["slot"] == "3.1"


# -- per-source settings, encodings, IPv6 and NAT ------------------------------------------------

FILTER = (
    "<190>Nov 27 15:35:00 2026 fw-dc-01 %%10FILTER/6/FILTER_ZONE_IPV4_EXECUTION: SrcZoneName(1025)=Trust;"
    "DstZoneName(1035)=DB;Type(1067)=ACL;SecurityPolicy(1072)=db_deny;RuleID(1078)=9;Protocol(1001)=TCP;"
    "Application(1002)=mysql;SrcIPAddr(1003)=10.40.1.77;SrcPort(1004)=50123;DstIPAddr(1007)=10.40.9.3;"
    "DstPort(1008)=3306;MatchCount(1069)=3;Event(1048)=Deny;"
)


def test_timezone_override_changes_the_timestamp() -> None:
    shanghai = _one(FILTER).timestamp
    utc = _one(FILTER, timezone="UTC").timestamp
    assert shanghai == dt.datetime(2026, 11, 27, 7, 35, tzinfo=dt.UTC)
    assert utc - shanghai == dt.timedelta(hours=8)


def test_deny_decision() -> None:
    doc = _one(FILTER).to_dict()
    assert doc["event"]["type"] == ["connection", "denied"] and doc["event"]["outcome"] == "failure"


def test_gbk_line_with_chinese_policy_name() -> None:
    line = FILTER.replace("db_deny", "禁止访问数据库").encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        line.decode("utf-8")
    assert decode_record(_record(line)).encoding == "gb18030"
    event = _one(line)
    assert event.rule is not None and event.rule.name == "禁止访问数据库"


def test_gbk_sample_lines_exist() -> None:
    for sample in ("h3c_secpath/samples/secpath.log", "h3c_ips/samples/ips.log"):
        data = (SAMPLES / sample).read_bytes()
        assert any(_not_utf8(line) for line in data.splitlines()), sample


def _not_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def test_ipv6_and_nat_in_the_goldens() -> None:
    golden = (SAMPLES / "h3c_secpath/samples/secpath-expected.ndjson").read_text("utf-8")
    docs = [Event.from_json(line).to_dict() for line in golden.splitlines()]
    v6 = [d for d in docs if d.get("network", {}).get("type") == "ipv6"]
    nat = [d for d in docs if "nat" in d.get("source", {}) or "nat" in d.get("destination", {})]
    assert len(v6) >= 2 and v6[0]["source"]["ip"] == "2001:db8:40::12"
    assert len(nat) >= 3
    assert {"allowed", "denied"} <= {t for d in docs for t in d["event"].get("type", [])}


def test_nat_keys_are_case_insensitive() -> None:
    line = (
        "<190>Nov 27 15:36:00 2026 fw %%10nat/6/NAT_IPV4_MATCH: Protocol(1001)=TCP;"
        "SrcIPAddr(1003)=10.40.1.90;SrcPort(1004)=52314;NATSrcIPAddr(1005)=198.51.100.9;"
        "NatSrcPort(1006)=1030;DstIPAddr(1007)=203.0.113.200;DstPort(1008)=443;"
        "Event(1048)=(8)Session created;"
    )
    doc = _one(line).to_dict()
    assert doc["source"]["nat"] == {"ip": "198.51.100.9", "port": 1030}
    assert doc["event"]["action"] == "Session created"


def test_dnat_destination_and_teardown() -> None:
    golden = (SAMPLES / "h3c_secpath/samples/secpath-expected.ndjson").read_text("utf-8")
    doc = Event.from_json(golden.splitlines()[1]).to_dict()
    assert doc["destination"]["nat"] == {"ip": "10.40.2.10", "port": 8443}
    assert doc["event"]["type"] == ["connection", "allowed", "end"]
    assert doc["event"]["end"] == "2026-11-27T07:31:10Z"
    assert doc["network"]["bytes"] == 920 + 3477


# -- which parser ------------------------------------------------------------------------------


def test_sniffs() -> None:
    ips = decode_record(_record(next(line for line in _h3c_lines() if "IPS_IPV4" in line)))
    flow = decode_record(_record(_h3c_lines()[0]))
    assert H3cIpsParser().sniff(ips) and not H3cSecpathParser().sniff(ips)
    assert H3cSecpathParser().sniff(flow) and not H3cIpsParser().sniff(flow)
    huawei = decode_record(_record("<190>Nov 27 2026 15:00:01 fw %%01SHELL/5/LOGIN(l):x"))
    assert not H3cSecpathParser().sniff(huawei) and not H3cIpsParser().sniff(huawei)


def test_each_parser_hands_over_the_other_kind() -> None:
    ips_line = next(line for line in _h3c_lines() if "IPS_IPV4" in line)
    assert _one(ips_line, fmt="h3c.secpath").event.dataset == "h3c.ips"
    assert _one(ips_line, hint="h3c.secpath").event.dataset == "h3c.ips"
    assert _one(FILTER, fmt="h3c.ips").event.dataset == "h3c.secpath"
    assert _one(FILTER, hint="h3c.ips").event.dataset == "h3c.secpath"


# -- broken and hostile input ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["h3c.secpath", "h3c.ips"])
def test_not_a_comware_line_is_dead_lettered_with_a_reason(fmt: str) -> None:
    for line in ("hello", "%%10 no header", "<20> Dec 28 15:00:01 2019 System_ID=H3C Toplevel=Notification"):
        outcome = parse_record(_record(line), fmt=fmt)
        assert outcome.dead_letter is not None and not outcome.events
        assert outcome.dead_letter.error is not None
        assert outcome.dead_letter.error.type == "parse_error"
        assert "not a H3C Comware" in (outcome.dead_letter.error.message or "")


@pytest.mark.parametrize("fmt", ["h3c.secpath", "h3c.ips"])
def test_hostile_input_never_raises_and_stays_linear(fmt: str) -> None:
    big = 1024 * 1024 - 64
    lines = [
        "%%10SESSION/6/SESSION_IPV4_FLOW:" + "A(1)=" * (big // 5),
        "%%10IPS/4/IPS_IPV4_INTERZONE:" + "A(1)=;" * (big // 6),
        "%%10FILTER/6/X: SrcIPAddr(1003)=" + "a" * big,
        "%%10SHELL/6/SHELL_CMD:" + "-a=" * (big // 3),
        "%%10DPI/4/X: text " + "B(2)=(" * (big // 6),
        "%%10" + "A" * big,
        "%%10ATK/3/ATK_X:" + "a" * big + "(1)=",
    ]
    for line in lines:
        start = time.process_time()
        outcome = parse_record(_record(line), fmt=fmt)
        assert outcome.events or outcome.dead_letter is not None
        assert time.process_time() - start < 2.0, line[:60]


@pytest.mark.parametrize(
    "line",
    [
        "%%10session/6/SESSION_IPV4_FLOW: SrcIPAddr(1003)=**;SrcPort(1004)=x;BeginTime_e(1013)=1345201908;",
        "%%10FILTER/6/FILTER_ZONE_IPV4_EXECUTION: Event(1048)=Maybe;Protocol(1001)=255;",
        "%%10IPS/4/IPS_IPV4_INTERZONE: Severity(1087)=WEIRD;RealSrcIP(1100)=a,b;HttpFirstLine(1118)=x=y;z",
        "%%10ATK/3/ATK_IP4_SYN_FLOOD: BeginTime_c(1011)=20261399999999.",
        "%%10SHELL/6/SHELL_CMD: -Line=vty0-IPAddr=**-User=; Command is ;;==",
    ],
)
def test_odd_values_are_kept_not_fatal(line: str) -> None:
    outcome = parse_record(_record(line))
    assert outcome.dead_letter is None, outcome.dead_letter.to_json().decode()
    assert outcome.events[0].event.dataset in ("h3c.secpath", "h3c.ips")


def test_value_holding_separators_takes_the_regex() -> None:
    line = (
        "%%10IPS/4/IPS_IPV4_INTERZONE:SrcIPAddr(1003)=198.51.100.1;DstIPAddr(1007)=10.0.0.1;"
        "AttackName(1088)=X;Category(1090)=Web;HttpHost(1117)=a.example;"
        "HttpFirstLine(1118)=GET /q?a=1;b=2 HTTP/1.1;Action(1053)=Drop & Logging;"
    )
    doc = _one(line).to_dict()
    assert doc["url"]["query"] == "a=1;b=2"
    assert doc["http"]["request"]["method"] == "GET"
    assert doc["event"]["action"] == "Drop & Logging"


# -- the C-level split agrees with the regex ----------------------------------------------------


def test_fast_split_agrees_with_the_regex() -> None:
    messages: list[str] = []
    for sample in ("h3c_secpath/samples/secpath.log", "h3c_ips/samples/ips.log"):
        for raw in (SAMPLES / sample).read_bytes().splitlines():
            if raw.strip():
                messages.append(decode_record(_record(raw)).message)
    messages += [decode_record(_record(text)).message for text in _h3c_lines() if "%%10" in text]
    checked = 0
    for message in messages:
        line = find_comware(message)
        assert line is not None
        fast_extra: dict[str, Any] = {}
        slow_extra: dict[str, Any] = {}
        fast, fast_sentence = collect(line.body, fast_extra)
        slow, slow_sentence = collect(line.body, slow_extra, fast=False)
        assert len(fast) == len(slow) == SLOTS
        assert (fast, fast_extra, fast_sentence) == (slow, slow_extra, slow_sentence), message
        checked += fast_sentence is None
    assert checked >= 15
