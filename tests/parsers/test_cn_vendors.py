"""Behaviour of the Chinese-vendor parsers beyond their goldens.

Parsers: ``hillstone.stoneos``, ``sangfor.af``, ``qianxin.nsg``, ``qianxin.waf``, ``topsec.tos``,
``venustech.leadsec``, ``nsfocus.waf``. The real lines come from ``/work/shared/corpus/cn_devices``
(read in place, never copied). Those files also hold lines of other products of the same
vendors; which ones are not ours, what they become instead and why, is spelled out in
``NOT_OURS`` below.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from corpus_support import CORPUS, RECEIVED_AT

from collectors.decode import decode_record
from collectors.parse import parse_record, parser_for
from collectors.parsers.declarative import load_shipped
from collectors.parsers.declarative.loader import registry_snapshot
from soc_core.events import Event
from soc_core.records import RawRecord
from soc_core.vocabulary import MAX_RECORD_BYTES

CN = CORPUS / "cn_devices"
PARSERS_DIR = Path(__file__).resolve().parents[2] / "collectors" / "parsers"
MINE = (
    "hillstone.stoneos",
    "sangfor.af",
    "qianxin.nsg",
    "qianxin.waf",
    "topsec.tos",
    "venustech.leadsec",
    "nsfocus.waf",
)
FOLDERS = {
    "hillstone.stoneos": "hillstone_stoneos",
    "sangfor.af": "sangfor_af",
    "qianxin.nsg": "qianxin_nsg",
    "qianxin.waf": "qianxin_waf",
    "topsec.tos": "topsec_tos",
    "venustech.leadsec": "venustech_leadsec",
    "nsfocus.waf": "nsfocus_waf",
}
GENERIC = ("syslog.kv", "json.log")

# Which of our datasets each corpus line belongs to, decided by what the line carries.
OURS: dict[str, list[tuple[Callable[[bytes], bool], str]]] = {
    "hillstone.log": [(lambda line: True, "hillstone.stoneos")],
    "sangfor.log": [(lambda line: "fwlog: 日志类型:".encode() in line, "sangfor.af")],
    "qianxin_360_wangshen.log": [
        (lambda line: b" WAF: " in line, "qianxin.waf"),
        (lambda line: b'devid="' in line, "qianxin.nsg"),
    ],
    "topsec.log": [(lambda line: True, "topsec.tos")],
    "venustech_leadsec.log": [(lambda line: True, "venustech.leadsec")],
    "nsfocus.log": [(lambda line: b"tag:waf_log_" in line, "nsfocus.waf")],
}
# Lines of those files that are other products: (marker, why not ours). They must not become
# one of our datasets; today they go to a generic parser or are dead-lettered as unrecognised.
NOT_OURS: dict[str, list[tuple[bytes, str]]] = {
    "sangfor.log": [
        (
            "日志类型=未知程序告警".encode(),
            "Sangfor server-blade EDR: 键=值; pairs, the generic syslog.kv parser reads them",
        ),
        (b"|!secevent|!", "Sangfor 安全感知平台 (SIP) '|!'-framed JSON: no parser of ours; dead-lettered"),
    ],
    "qianxin_360_wangshen.log": [
        (b" Gateway |5|", "Qi-anxin SecSSL VPN gateway pipe-separated admin log: qianxin.secssl (YAML)"),
        (b" SecSSL3600 |5|", "Qi-anxin SecSSL3600 VPN pipe-separated admin log: qianxin.secssl (YAML)"),
        (b"\\u5929\\u64ce", "Qi-anxin 天擎 endpoint-security (EDR) JSON, Chinese \\u-escaped: json.log"),
    ],
    "nsfocus.log": [
        (b"user:weboper;loginip:", "NSFOCUS SAS bastion login ('user:…;loginip:…;'), no tag:waf_log_"),
        (b"Hardware CPU:", "NSFOCUS ADS hardware status line, no tag:waf_log_: nsfocus.ads (YAML)"),
    ],
}


def _record(line: bytes, offset: int = 1, **more: Any) -> RawRecord:
    return RawRecord(
        data=line, received_at=RECEIVED_AT, origin="syslog/udp", peer="192.0.2.1:514", offset=offset, **more
    )


def _corpus_lines(name: str) -> list[tuple[int, bytes]]:
    path = CN / name
    if not path.exists():
        pytest.skip(f"corpus file {path} is not available (the shared corpus is not mounted)")
    return [
        (number, line)
        for number, line in enumerate(path.read_bytes().split(b"\n"), start=1)
        if line.strip() and not line.startswith(b"#")
    ]


def _one(line: bytes, fmt: str = "auto", **more: Any) -> Event:
    outcome = parse_record(_record(line, **more), fmt=fmt)
    assert outcome.dead_letter is None, outcome.dead_letter.to_json().decode()
    assert len(outcome.events) == 1
    return outcome.events[0]


def _sample_lines(dataset: str) -> list[bytes]:
    folder = PARSERS_DIR / FOLDERS[dataset] / "samples"
    return [
        line
        for path in sorted(folder.glob("*.log"))
        for line in path.read_bytes().split(b"\n")
        if line.strip()
    ]


def _doc(event: Event) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(event.to_json())
    return doc


# -- the real lines ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(OURS))
def test_every_corpus_line_goes_where_it_belongs(name: str) -> None:
    for number, line in _corpus_lines(name):
        outcome = parse_record(_record(line, number))
        datasets = {event.event.dataset for event in outcome.events}
        expected = next((dataset for claims, dataset in OURS[name] if claims(line)), None)
        known_other = next((why for marker, why in NOT_OURS.get(name, []) if marker in line), None)
        if known_other is not None:
            # another product of the vendor: never one of ours; a generic parser or a dead letter
            assert not datasets & set(MINE), f"{name}:{number} ({known_other}) went to {datasets}"
            continue
        assert expected is not None, f"{name}:{number} is neither ours nor a known other product"
        assert outcome.dead_letter is None, f"{name}:{number}: {outcome.dead_letter}"
        assert datasets == {expected}, f"{name}:{number} went to {datasets}, expected {expected}"
        # the same line, forced through our parser, gives the same event
        forced = parse_record(_record(line, number), fmt=expected)
        assert [e.to_json() for e in forced.events] == [e.to_json() for e in outcome.events]


def test_the_not_ours_lines_end_where_documented() -> None:
    """Today's destination of the other products' lines, with the shipped YAML definitions
    loaded as the platform loads them: a generic parser, a declared one, or a dead letter."""
    found: dict[str, str] = {}
    with registry_snapshot():
        load_shipped()
        for name, markers in NOT_OURS.items():
            for number, line in _corpus_lines(name):
                if not any(marker in line for marker, _ in markers):
                    continue
                outcome = parse_record(_record(line, number))
                if outcome.events:
                    found[f"{name}:{number}"] = outcome.events[0].event.dataset or ""
                else:
                    assert outcome.dead_letter is not None and outcome.dead_letter.error is not None
                    found[f"{name}:{number}"] = f"dead:{outcome.dead_letter.error.type}"
    assert len(found) == 11, found  # 3 Sangfor, 3 Qi-anxin, 5 NSFOCUS lines
    for where, destination in found.items():
        assert destination in (*GENERIC, "sangfor.sip", "qianxin.secssl", "nsfocus.ads"), (
            f"{where} → {destination}"
        )
    assert found["sangfor.log:2"] == "syslog.kv"  # EDR 键=值; pairs
    assert found["sangfor.log:4"] == "sangfor.sip"  # 安全感知平台 |!secevent|! (a shipped YAML definition)
    assert found["qianxin_360_wangshen.log:7"] == "json.log"  # 天擎 JSON
    assert found["nsfocus.log:2"] == "json.log"  # SAS line wrapped in a collector's JSON
    assert found["nsfocus.log:7"] == found["nsfocus.log:8"] == "nsfocus.ads"  # hardware status (YAML)
    assert found["qianxin_360_wangshen.log:3"] == found["qianxin_360_wangshen.log:6"] == "qianxin.secssl"


def test_no_other_corpus_line_is_claimed_by_our_sniffs() -> None:
    if not CORPUS.exists():
        pytest.skip(f"corpus {CORPUS} is not available")
    parsers = {dataset: parser_for(dataset) for dataset in MINE}
    own_files = {CN / name for name in OURS}
    wrong: list[str] = []
    checked = 0
    for path in sorted(CORPUS.rglob("*")):
        if not path.is_file() or path in own_files or path.suffix in (".json", ".md", ".yml", ".yaml"):
            continue
        lines = path.read_bytes().split(b"\n")
        if path.suffix == ".ini":  # wazuh: "log N pass = <line>"
            lines = [line.split(b" pass = ", 1)[1] for line in lines if b" pass = " in line]
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                envelope = decode_record(_record(line, number))
            except Exception:  # undecodable lines are the decoder's business
                continue
            checked += 1
            for dataset, parser in parsers.items():
                assert parser is not None
                if parser.sniff(envelope):
                    wrong.append(f"{dataset} claims {path.relative_to(CORPUS)}:{number}")
    assert checked > 1000
    assert not wrong, wrong[:20]


# -- what every event of ours carries -----------------------------------------------------------


@pytest.mark.parametrize("dataset", MINE)
def test_every_sample_event_has_the_contract_fields(dataset: str) -> None:
    for line in _sample_lines(dataset):
        event = _one(line, fmt=dataset)
        doc = _doc(event)
        assert doc["@timestamp"]
        assert doc["event"]["kind"] in ("event", "alert", "metric")
        assert doc["event"]["category"] and doc["event"]["type"], line
        assert doc["observer"]["vendor"] and doc["observer"]["product"] and doc["observer"]["type"]
        assert doc["event"]["original"]
        for side in ("source", "destination"):
            for key in ("ip", "port", "bytes", "packets"):
                value = doc.get(side, {}).get(key)
                if key == "ip" and value is not None:
                    assert value == value.lower()
                elif value is not None:
                    assert isinstance(value, int)
        transport = doc.get("network", {}).get("transport")
        assert transport is None or transport == transport.lower()


@pytest.mark.parametrize("dataset", MINE)
def test_detections_carry_the_dengbao_four(dataset: str) -> None:
    """等保 8.1.3.3 d): attack source, attack type (rule name and category), target, time."""
    for line in _sample_lines(dataset):
        event = _one(line, fmt=dataset)
        info = event.event
        if info.category is None or "intrusion_detection" not in info.category:
            continue
        assert info.kind == "alert"
        assert event.rule is not None and event.rule.name and event.rule.category, line
        assert event.destination is not None and event.destination.ip, line
        assert event.timestamp is not None
        # Only NSFOCUS DDoS and anti-defacement logs name no attacker: they protect a target.
        if b"waf_log_ddos" not in line and b"waf_log_deface" not in line:
            assert event.source is not None and event.source.ip, line
        if "web" in info.category and (
            b"URL:" in line or b"url=" in line or b"uri:" in line or b"url:" in line
        ):
            assert event.url is not None and event.url.original, line


def test_hillstone_session_end_is_an_allowed_connection_with_counters() -> None:
    for _, line in _corpus_lines("hillstone.log"):
        if b"SESSION:" not in line:
            continue
        event = _one(line)
        assert event.event.category == ["network"]
        assert event.event.type == ["connection", "allowed", "end"]
        assert event.event.reason == "Ageout"
        assert event.observer is not None and event.observer.serial_number == "1304415172004335"
        assert event.observer.hostname is None  # "SN(root)" names no host
        assert event.source is not None and event.source.bytes == 0 and event.source.packets == 0
        assert event.network is not None and event.network.transport == "tcp"
        # the close time carries the year the header lacks
        assert event.timestamp == dt.datetime(2019, 9, 25, 7, 11, 42, tzinfo=dt.UTC)
        assert event.get("hillstone.stoneos.vsys") == "root"
        assert event.event.code == "44243624"


def test_hillstone_nat_goes_to_the_translated_side() -> None:
    for _, line in _corpus_lines("hillstone.log"):
        if b"NAT:" in line:
            event = _one(line)
            assert event.destination is not None and event.destination.nat is not None
            assert event.destination.nat.ip is not None and event.destination.nat.port == 80
            assert event.event.action == "dnat"


def test_qianxin_nsg_emits_no_nat_for_the_no_translation_markers() -> None:
    for _, line in _corpus_lines("qianxin_360_wangshen.log"):
        if b'devid="' in line:
            event = _one(line)
            assert event.source is not None and event.source.nat is None
            assert event.destination is not None and event.destination.nat is None
            assert event.event.type == ["connection", "allowed", "end"]
            assert event.event.duration is not None


def test_qianxin_waf_maps_the_real_server_as_destination_nat() -> None:
    for _, line in _corpus_lines("qianxin_360_wangshen.log"):
        if b" WAF: " in line:
            event = _one(line)
            assert event.destination is not None and event.destination.nat is not None
            assert (
                event.rule is not None and event.rule.name and event.rule.name.startswith("Signature Rule ")
            )
            assert event.event.type == ["info", "allowed"]  # CONTINUE: not blocked


def test_sangfor_kilobytes_become_bytes_and_stay_as_reported() -> None:
    for _, line in _corpus_lines("sangfor.log"):
        if "流量审计".encode() in line:
            event = _one(line)
            assert event.source is not None and event.source.bytes == 14450 * 1024
            assert event.destination is not None and event.destination.bytes == 38055 * 1024
            assert event.get("sangfor.af.上行流量_kb") == "14450"


# -- encodings, time zones, broken lines --------------------------------------------------------


@pytest.mark.parametrize(
    ("dataset", "text"),
    [
        (
            "sangfor.af",
            "<134>Nov 27 15:42:00 af-gw-01 fwlog: 日志类型:WAF应用防护日志, 源IP:198.51.100.91, "
            "源端口:53464, 目的IP:10.1.1.35, 目的端口:80, 攻击类型:WEBSHELL, 严重级别:高, 系统动作:拒绝, "
            "URL:www.example.gov.cn/a.php",
        ),
        (
            "venustech.leadsec",
            '<158>webui: devid=4 date="2026/09/04 01:34:09" dname=边界墙 logtype=9 pri=6 ver=0.3.0 mod=webui '
            'from=192.0.2.155 admin=administrator act=登录 result=0 dsp_msg="administrator 登录" fwlog=0',
        ),
        (
            "topsec.tos",
            'id=tos time="2026-10-31 14:24:40" fw=边界防火墙 pri=5 type=sv_netacc user=赵六 op=connect',
        ),
    ],
)
def test_gbk_lines_are_read(dataset: str, text: str) -> None:
    data = text.encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    event = _one(data)
    assert event.event.dataset == dataset
    assert event.event.original == text
    found = json.dumps(_doc(event), ensure_ascii=False)
    assert any(word in found for word in ("WEBSHELL", "登录", "赵六"))


def test_sangfor_full_width_punctuation() -> None:
    line = (
        "<134>Nov 27 15:40:00 af-gw-01 fwlog: 日志类型：服务控制或应用控制，用户：张三，源IP：192.168.30.15，"
        "源端口：51020，目的IP：203.0.113.80，目的端口：443，应用类型：HTTPS，应用名称：网站浏览，系统动作：允许"
    ).encode()
    event = _one(line)
    assert event.source is not None and event.source.ip == "192.168.30.15" and event.source.port == 51020
    assert event.user is not None and event.user.name == "张三"
    assert event.event.type == ["connection", "allowed"]


@pytest.mark.parametrize(
    ("line", "local"),
    [
        (b'id=tos time="2026-09-19 14:35:34" fw=TopsecOS pri=5 type=mgmt user=superman result=0', "14:35:34"),
        (b"<189>Oct 24 15:23:37 2306612345000001(root) 43240507 Event@NET: ARP entry is deleted", "15:23:37"),
        (
            "<134>Nov 27 09:00:00 localhost fwlog: 日志类型:流量审计, 用户名/主机:192.0.2.7".encode(),
            "09:00:00",
        ),
        (
            b"<14>Aug 3 10:26:10 localhost waf: tag:waf_log_wafstat stat_time:2026-08-03 10:25:00 cpu:1",
            "10:25:00",
        ),
    ],
)
def test_timezone_override(line: bytes, local: str) -> None:
    shanghai = _one(line)
    utc = _one(line, timezone="UTC")
    assert utc.timestamp.strftime("%H:%M:%S") == local
    assert utc.timestamp - shanghai.timestamp == dt.timedelta(hours=8)


def test_epoch_time_ignores_the_timezone() -> None:
    line = next(line for _, line in _corpus_lines("qianxin_360_wangshen.log") if b'devid="' in line)
    assert _one(line).timestamp == _one(line, timezone="UTC").timestamp


@pytest.mark.parametrize(
    ("dataset", "line", "why"),
    [
        (
            "hillstone.stoneos",
            b"<190>Sep 25 15:11:42 1304415172004335(root) 44243624 Traffic@FLOW: SESSION: 198.51.100.24:80",
            "tuple",
        ),
        (
            "qianxin.nsg",
            b'<6> Jan  6 14:19:10 2026 NSG devid="3" dname="NSG" module="flow" addr_src="192.168.',
            "truncated",
        ),
        (
            "qianxin.waf",
            b"<188>Nov  1 18:59:50 SecOS 2026-11-01 18:59:50 WAF: 192.0.2.1:60921->198.51.100.253 url=/a",
            "truncated",
        ),
        ("sangfor.af", "<134>Dec  1 18:37:58 localhost fwlog: 日志类型:流量审".encode(), "truncated"),
        ("topsec.tos", b'id=tos time="2026-09-19 14:35:34" fw=TopsecOS pri=5 ty', "truncated"),
        (
            "venustech.leadsec",
            b'<157>logserver: devid=0 date="2026/07/02 16:39:32" dname=themis logtype=9 pri',
            "truncated",
        ),
        ("nsfocus.waf", b"<11>Oct 17 07:05:00 localhost waf: tag:waf_log_websec", "truncated"),
    ],
)
def test_truncated_lines_are_dead_lettered_with_a_reason(dataset: str, line: bytes, why: str) -> None:
    for fmt in (dataset, "auto"):
        outcome = parse_record(_record(line), fmt=fmt)
        assert not outcome.events
        assert outcome.dead_letter is not None and outcome.dead_letter.error is not None
        assert outcome.dead_letter.error.type == "parse_error", outcome.dead_letter.error
        assert why in (outcome.dead_letter.error.message or ""), outcome.dead_letter.error.message


@pytest.mark.parametrize("dataset", MINE)
def test_hostile_input_never_breaks_the_parser(dataset: str) -> None:
    generator = random.Random(dataset)
    # cut at a character boundary: a head cut inside a UTF-8 character would be undecodable
    heads = [line.decode("utf-8", "ignore")[:80].encode() for line in _sample_lines(dataset)[:3]]
    room = MAX_RECORD_BYTES - 200  # just under the decoder's limit, so the parser sees it
    inputs = [
        *(head + bytes(generator.randrange(32, 127) for _ in range(300)) for head in heads),
        *(head + b"a" * room for head in heads[:1]),
        *(head + (b', :=" ' * (room // 6)) for head in heads[:1]),
        *(head + ("，源IP：" * (room // 12)).encode() for head in heads[:1]),
        *((line + b" ") * (room // (len(line) + 1)) for line in _sample_lines(dataset)[:1]),
        *(bytes(generator.randrange(256) for _ in range(200)) for _ in range(20)),
        b"\x00" * 10,
    ]
    for data in inputs:
        assert len(data) <= MAX_RECORD_BYTES
        started = time.perf_counter()
        outcome = parse_record(_record(data), fmt=dataset)
        assert time.perf_counter() - started < 5.0, f"{dataset}: {len(data)} bytes took too long"
        if outcome.dead_letter is not None:
            assert outcome.dead_letter.error is not None
            assert "internal error" not in (outcome.dead_letter.error.message or ""), (
                outcome.dead_letter.error
            )
        for event in outcome.events:
            assert event.event.dataset == dataset
            Event.from_json(event.to_json())
