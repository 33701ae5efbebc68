"""Declarative (YAML) parsers: shipped definitions and their goldens, every validation error with
its ``file:line``, override rules, verdict/intrusion/severity, ``--format auto``, and random bytes.

Goldens of the shipped definitions are ``shipped/<id>-expected.ndjson`` (one event per sample
line, in order). Regenerate after an intended change with

    SOC_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/parsers/test_declarative.py

and review the diff: the goldens are the contract.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from corpus_support import CORPUS
from hypothesis import given
from hypothesis import strategies as st
from padding_support import padded

from collectors.decode import decode_record
from collectors.parse import parse_record, parser_for
from collectors.parsers import PARSERS, auto_order
from collectors.parsers.declarative import (
    SHIPPED_DIR,
    DefinitionError,
    LoadResult,
    declared,
    load_declarative,
    load_dirs,
    load_shipped,
    read_definition,
    unload,
)
from collectors.parsers.declarative.loader import registry_snapshot, sample_record
from soc_core.errors import ConfigError, InvalidEventError, ParseError
from soc_core.events import Event
from soc_core.records import RawRecord

UPDATE = os.environ.get("SOC_UPDATE_GOLDEN") == "1"
SHIPPED_FILES = sorted(SHIPPED_DIR.glob("*.yaml"))
SHIPPED_IDS = {
    "sangfor.ac",
    "sangfor.sip",
    "nsfocus.nips",
    "venustech.ids",
    "netentsec.icg",
    "huawei.av",
    "qianxin.skyeye",
    "qianxin.secssl",
    "nsfocus.ads",
    "dptech.fw",
    "juniper.netscreen",
    "openssh.sshd",
    "f5.bigip",
    "checkpoint.firewall",
    "microsoft.iis",
    "sophos.xg",
}

# shipped without a real device line to check them against (the rest of SHIPPED_IDS were)
UNVERIFIED_IDS = {"sangfor.ac", "nsfocus.nips", "venustech.ids", "huawei.av", "qianxin.skyeye", "dptech.fw"}


@pytest.fixture(autouse=True)
def _isolated_registry() -> Iterator[None]:
    """Every test leaves the parser registry as it found it."""
    with registry_snapshot():
        yield


@pytest.fixture
def shipped() -> LoadResult:
    return load_shipped()


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), "utf-8")
    return path


def _record(line: str | bytes, **kw: Any) -> RawRecord:
    data = line.encode() if isinstance(line, str) else line
    return RawRecord(
        data=data,
        received_at=sample_record(b"x").received_at,
        origin="syslog/udp",
        peer="192.0.2.1:514",
        **kw,
    )


def _doc(line: str, fmt: str = "auto", **kw: Any) -> dict[str, Any]:
    outcome = parse_record(_record(line, **kw), fmt=fmt)
    assert outcome.dead_letter is None, outcome.dead_letter.to_json().decode()
    assert len(outcome.events) == 1
    doc: dict[str, Any] = json.loads(outcome.events[0].to_json())
    return doc


def _errors(path: Path) -> list[DefinitionError]:
    definition, errors = read_definition(path)
    assert definition is None, "expected the definition to be refused"
    return errors


def _one_error(path: Path, line: int, *needles: str) -> DefinitionError:
    errors = _errors(path)
    found = [e for e in errors if e.where == f"{path}:{line}" and all(n in e.message for n in needles)]
    assert found, f"no error at line {line} with {needles}; got: {[str(e) for e in errors]}"
    assert isinstance(found[0], ConfigError)
    return found[0]


# A valid definition the error tests start from (line numbers below refer to it).
BASE = """
id: acme.fw
title: ACME test firewall
observer: {vendor: ACME, product: FW, type: firewall}
match:
  contains: ["ACMEFW"]
extract:
  kind: kv
fields:
  src: source.ip
  dst: destination.ip
  dport: destination.port
  act: event.action
samples:
  - '<134>Nov 27 16:00:00 fw1 ACMEFW src=192.0.2.1 dst=198.51.100.2 dport=443 act=permit'
"""


def _base(tmp_path: Path, replace: dict[str, str] | None = None, extra: str = "") -> Path:
    text = textwrap.dedent(BASE).lstrip("\n")
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    return _write(tmp_path, "acme.yaml", text + textwrap.dedent(extra))


# -- shipped definitions ---------------------------------------------------------------------


def test_shipped_definitions_load_cleanly(shipped: LoadResult) -> None:
    assert shipped.errors == []
    assert set(shipped.loaded) == SHIPPED_IDS
    for dataset in SHIPPED_IDS:
        assert dataset in PARSERS
        assert PARSERS.get(dataset).dataset == dataset
        assert dataset in auto_order()


def test_shipped_definitions_say_whether_they_were_verified() -> None:
    for path in SHIPPED_FILES:
        definition, errors = read_definition(path)
        assert definition is not None, errors
        assert definition.samples, f"{path.name} has no samples"
        # verified = its shape was checked against real device lines in ../shared/corpus
        # (tests/conformance/test_corpus_datasets.py expects those lines in these datasets)
        if definition.id not in UNVERIFIED_IDS:
            assert definition.verified
        else:
            assert not definition.verified
            text = path.read_text("utf-8")
            assert "NOT VERIFIED" in text, f"{path.name} must say in its notes why it is unverified"


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.stem)
def test_shipped_golden(path: Path, shipped: LoadResult) -> None:
    definition = declared()[path.stem]
    events: list[Event] = []
    for sample in definition.samples:
        outcome = parse_record(sample_record(sample.data), fmt=definition.id)
        assert outcome.dead_letter is None, f"{sample.where}: {outcome.dead_letter.to_json().decode()}"
        for event in outcome.events:
            assert event.event.dataset == definition.id
            assert event.event.original is not None
        events.extend(outcome.events)
    golden = path.with_name(f"{definition.id}-expected.ndjson")
    if UPDATE:
        golden.write_bytes(b"".join(e.to_json() + b"\n" for e in events))
    assert golden.exists(), f"missing {golden.name}; run with SOC_UPDATE_GOLDEN=1"
    expected = [json.loads(line) for line in golden.read_text("utf-8").splitlines() if line.strip()]
    got = [json.loads(e.to_json()) for e in events]
    assert len(got) == len(expected)
    for index, (doc, want) in enumerate(zip(got, expected, strict=True)):
        assert doc == want, f"{golden.name}: event {index + 1} differs from the golden"
        assert json.loads(Event.from_dict(doc).to_json()) == doc  # round trip


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.stem)
def test_shipped_samples_auto_detected_or_clash_reported(path: Path, shipped: LoadResult) -> None:
    """``--format auto`` picks the definition, unless the loader warned that a built-in claims the line."""
    definition = declared()[path.stem]
    warned = {w.where for w in shipped.warnings}
    for sample in definition.samples:
        outcome = parse_record(sample_record(sample.data))
        assert outcome.dead_letter is None
        datasets = {e.event.dataset for e in outcome.events}
        if sample.where not in warned:
            assert datasets == {definition.id}, sample.where


def test_intrusion_definitions_carry_the_dengbao_fields(shipped: LoadResult) -> None:
    for definition in declared().values():
        if definition.intrusion is None:
            continue
        for sample in definition.samples:
            doc = _doc(sample.data.decode(), fmt=definition.id)
            assert doc["event"]["kind"] == "alert"
            assert "intrusion_detection" in doc["event"]["category"]
            assert doc["source"]["ip"] and doc["destination"]["ip"] and doc["@timestamp"]
            assert doc["rule"]["name"] and doc["rule"]["category"]


def _corpus_lines(name: str, needle: str) -> list[bytes]:
    path = CORPUS / "cn_devices" / name
    if not path.exists():
        pytest.skip(f"corpus not found at {path} (it lives in ../shared/corpus next to the repo)")
    return [line for line in path.read_bytes().splitlines() if needle.encode() in line]


def test_netentsec_real_corpus_lines(shipped: LoadResult) -> None:
    lines = _corpus_lines("other_cn_vendors.log", "NS : 操作日志")
    assert len(lines) == 2
    for line in lines:
        for fmt in ("auto", "netentsec.icg"):
            doc = _doc(line.decode(), fmt=fmt)
            assert doc["event"]["dataset"] == "netentsec.icg"
            assert doc["@timestamp"] == "2019-10-22T02:18:00Z"  # 10:18 Asia/Shanghai
            assert doc["user"]["name"] == "ns25000"
            assert doc["source"]["ip"] == "2.74.24.23"
            assert doc["event"]["action"] == "系统配置"
            assert doc["event"]["category"] == ["configuration"]
            assert doc["message"].startswith("系统设置:syslog配置")
            assert doc["message"].endswith("上传日志类型：操作日志，系统报警日志")
            assert doc["netentsec"]["icg"] == {"log_type": "操作日志", "来源": "用户(UI)"}


def test_netentsec_sample_lines_are_not_claimed_by_others(shipped: LoadResult) -> None:
    assert not [w for w in shipped.warnings if "netentsec" in (w.where or "")]


def test_timezone_of_definition_and_per_source_override(shipped: LoadResult) -> None:
    line = "<182>Nov 27 16:02:11 NS : 操作日志, 时间:2026-11-27 16:02:10, 类型:系统配置, 描述:x"
    assert _doc(line)["@timestamp"] == "2026-11-27T08:02:10Z"
    assert _doc(line, timezone="UTC")["@timestamp"] == "2026-11-27T16:02:10Z"


# -- the engine ------------------------------------------------------------------------------


def test_format_auto_asks_declared_parsers_before_the_generic_ones(tmp_path: Path) -> None:
    line = "<134>Nov 27 16:00:00 fw1 ACMEFW src=192.0.2.1 dst=198.51.100.2 dport=443 act=deny"
    assert _doc(line)["event"]["dataset"] == "syslog.kv"
    result = load_dirs([_base(tmp_path)])
    assert result.ok and result.loaded == ["acme.fw"]
    order = auto_order()
    assert order.index("acme.fw") < order.index("json.log") < order.index("syslog.kv")
    doc = _doc(line)
    assert doc["event"]["dataset"] == "acme.fw"
    assert doc["source"]["ip"] == "192.0.2.1"
    assert doc["destination"] == {"ip": "198.51.100.2", "port": 443}
    assert doc["observer"]["vendor"] == "ACME"
    unload("acme.fw")
    assert "acme.fw" not in PARSERS
    assert _doc(line)["event"]["dataset"] == "syslog.kv"


def test_verdict_map_and_shared_words(tmp_path: Path) -> None:
    path = _base(tmp_path, extra="verdict: {from: act, map: {记录: allowed, quarantine: denied}}\n")
    assert load_dirs([path]).ok
    head = "<134>Nov 27 16:00:00 fw1 ACMEFW src=192.0.2.1 dst=198.51.100.2 dport=443"
    for word, decision, outcome in (
        ("记录", "allowed", "success"),
        ("QUARANTINE", "denied", "failure"),
        ("拒绝", "denied", "failure"),  # the shared word list
        ("permit", "allowed", "success"),
    ):
        event = _doc(f"{head} act={word}")["event"]
        assert event["action"] == word
        assert event["category"] == ["network"]
        assert event["type"] == ["connection", decision]
        assert event["outcome"] == outcome
    event = _doc(f"{head} act=whatever")["event"]
    assert event["type"] == ["connection"] and "outcome" not in event


def test_intrusion_blocked_when_and_severity_map(tmp_path: Path) -> None:
    path = _base(
        tmp_path,
        {"  act: event.action\n": "  act: event.action\n  sig: rule.name\n  cat: rule.category\n"},
        extra="""\
        intrusion: {blocked_when: {act: [阻断, drop]}, web: true}
        severity: {from: lvl, map: {高: 4, 严重的: 5}}
        """,
    )
    path.write_text(path.read_text("utf-8").replace("act=permit", "act=permit sig=x cat=y"), "utf-8")
    result = load_dirs([path])
    assert result.ok, [str(e) for e in result.errors]
    head = "<134>Nov 27 16:00:00 fw1 ACMEFW src=192.0.2.1 dst=198.51.100.2 sig=SQL注入 cat=web"
    doc = _doc(f"{head} act=阻断 lvl=高")
    assert doc["event"]["kind"] == "alert"
    assert doc["event"]["category"] == ["network", "intrusion_detection", "web"]
    assert doc["event"]["type"] == ["info", "denied"]
    assert doc["event"]["outcome"] == "failure"
    assert doc["event"]["severity"] == 4
    assert doc["log"]["level"] == "高"
    assert "lvl" not in doc.get("acme", {}).get("fw", {})
    doc = _doc(f"{head} act=alert lvl=严重的")
    assert doc["event"]["type"] == ["info", "allowed"] and doc["event"]["severity"] == 5
    doc = _doc(f"{head} lvl=warning")  # no action word: not known whether blocked; shared severity words
    assert doc["event"]["type"] == ["info"] and doc["event"]["severity"] == 3


def test_intrusion_blocked_from_the_verdict_when_no_blocked_when(tmp_path: Path) -> None:
    path = _base(
        tmp_path,
        {"  act: event.action\n": "  sig: rule.name\n  cat: rule.category\n"},
        extra="intrusion: true\nverdict: {from: act, map: {拦截了: denied}}\n",
    )
    path.write_text(path.read_text("utf-8").replace("act=permit", "act=permit sig=x cat=y"), "utf-8")
    assert load_dirs([path]).ok
    head = "<134>Nov 27 16:00:00 fw1 ACMEFW src=192.0.2.1 dst=198.51.100.2 sig=扫描 cat=scan"
    event = _doc(f"{head} act=拦截了")["event"]
    assert (event["kind"], event["type"], event["outcome"], event["action"]) == (
        "alert",
        ["info", "denied"],
        "failure",
        "拦截了",
    )
    event = _doc(f"{head} act=pass")["event"]
    assert event["type"] == ["info", "allowed"] and event["action"] == "pass"


def test_unmapped_and_unfit_values_go_to_the_vendor_namespace(tmp_path: Path) -> None:
    assert load_dirs([_base(tmp_path)]).ok
    doc = _doc(
        "<134>Nov 27 16:00:00 fw1 ACMEFW src=not-an-ip dst=198.51.100.2 dport=99999 Zone-In=trust zone-in=x"
    )
    assert "source" not in doc
    assert doc["acme"]["fw"] == {"src": "not-an-ip", "dport": "99999", "zone_in": ["trust", "x"]}
    assert doc["related"] == {"ip": ["198.51.100.2"]}


def test_repeated_key_first_value_wins(tmp_path: Path) -> None:
    assert load_dirs([_base(tmp_path)]).ok
    doc = _doc("<134>Nov 27 16:00:00 fw1 ACMEFW src=192.0.2.1 src=192.0.2.9 dst=198.51.100.2")
    assert doc["source"]["ip"] == "192.0.2.1"
    assert doc["acme"]["fw"]["src"] == "192.0.2.9"


def test_keep_unmapped_false_drops_unknown_keys(tmp_path: Path) -> None:
    assert load_dirs([_base(tmp_path, extra="keep_unmapped: false\n")]).ok
    doc = _doc("<134>Nov 27 16:00:00 fw1 ACMEFW src=192.0.2.1 other=1")
    assert "acme" not in doc


def test_conversions_maps_lists_constants_and_vendor_targets(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "conv.yaml",
        """
        id: acme.conv
        observer: {vendor: ACME, product: Conv, type: proxy}
        match: {starts_with: "CONV|"}
        framing: {strip_prefix: 'CONV\\|(?P<kind>[a-z]+)\\|'}
        extract: {kind: kv, pair_separator: [";"], kv_separator: ["="]}
        fields:
          kind:
            - {to: event.category, map: {web: web, auth: authentication}}
            - acme.conv.kind
          t: {to: "@timestamp", type: epoch_ms}
          start: {to: event.start, format: "%d/%m/%Y %H.%M.%S"}
          p: network.transport
          cves: {to: vulnerability.id, split: ","}
          ips: {to: related.ip, split: " "}
          n: {to: source.bytes, type: int}
          risk: {to: event.risk_score, type: float}
          u: {to: user.name, type: lower}
          m: {to: http.request.method, type: upper}
          dir: network.direction
          lab: labels.site
          raw: {to: acme.conv.raw_number, type: int}
        constants:
          network.protocol: http
          event.severity: 2
          event.category: [network]
          acme.conv.constant: yes
        event: {kind: event, type: [info]}
        """,
    )
    result = load_dirs([path])
    assert result.ok, [str(e) for e in result.errors]
    doc = _doc(
        "CONV|web|t=1795766400123;start=27/11/2026 16.00.00;p=6;cves=CVE-2021-1, CVE-2021-2;"
        "ips=192.0.2.1 2001:DB8::0001 junk;n=1024;risk=7.5;u=Bob;m=get;dir=Inbound;lab=hq;raw=12"
    )
    assert doc["@timestamp"] == "2026-11-27T08:00:00.123000Z"
    assert doc["event"]["start"] == "2026-11-27T08:00:00Z"
    assert doc["event"]["category"] == ["web", "network"]
    assert doc["event"]["type"] == ["info"]
    assert doc["event"]["severity"] == 2
    assert doc["network"] == {"transport": "tcp", "protocol": "http", "direction": "inbound"}
    assert doc["vulnerability"]["id"] == ["CVE-2021-1", "CVE-2021-2"]
    assert doc["related"]["ip"] == ["192.0.2.1", "2001:db8::1"]
    assert doc["source"]["bytes"] == 1024 and doc["event"]["risk_score"] == 7.5
    assert doc["user"]["name"] == "bob" and doc["http"]["request"]["method"] == "GET"
    assert doc["labels"] == {"site": "hq"}
    assert doc["acme"]["conv"] == {"kind": "web", "raw_number": 12, "constant": True}
    doc = _doc("CONV|other|t=1795766400123")  # not in the category map: no invented category
    assert doc["event"]["category"] == ["network"]


def test_json_regex_and_csv_extractors(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "j.yaml",
        """
        id: acme.json
        observer: {vendor: ACME, product: JSON, type: waf}
        match: {contains: ['"acme_waf"']}
        extract: {kind: json}
        fields:
          src.ip: source.ip
          src.port: source.port
          attack.name: rule.name
          attack.type: rule.category
          host: url.domain
          ts: {to: "@timestamp", type: epoch}
        intrusion: {web: true}
        """,
    )
    _write(
        tmp_path,
        "r.yaml",
        """
        id: acme.re
        observer: {vendor: ACME, product: RE, type: ids}
        match: {regex: '^ALERT \\['}
        extract:
          kind: regex
          patterns:
            - '^ALERT \\[(?P<sig>[^\\]]+)\\] (?P<src>\\S+) -> (?P<dst>\\S+)$'
            - '^ALERT \\[(?P<sig>[^\\]]+)\\]'
        fields: {sig: rule.name, src: source.ip, dst: destination.ip}
        """,
    )
    _write(
        tmp_path,
        "c.yaml",
        """
        id: acme.csv
        observer: {vendor: ACME, product: CSV, type: firewall}
        match: {starts_with: "ACSV,"}
        extract: {kind: csv, delimiter: ",", columns: [tag, src, null, note]}
        fields: {src: source.ip, note: message, column_5: acme.csv.fifth}
        """,
    )
    result = load_dirs([tmp_path])
    assert result.ok, [str(e) for e in result.errors]
    doc = _doc(
        '{"acme_waf": 1, "src": {"ip": "203.0.113.5", "port": 4444}, "attack": {"name": "XSS", '
        '"type": "xss"}, "host": "www.example.com", "ts": 1795766400, "tags": ["a", "b"]}'
    )
    assert doc["event"]["dataset"] == "acme.json"
    assert doc["source"] == {"ip": "203.0.113.5", "port": 4444}
    assert doc["event"]["category"] == ["network", "intrusion_detection", "web"]
    assert doc["@timestamp"] == "2026-11-27T08:00:00Z"
    assert doc["acme"]["json"] == {"acme_waf": 1, "tags": ["a", "b"]}
    doc = _doc("ALERT [ET SCAN] 192.0.2.7 -> 198.51.100.9")
    assert doc["rule"]["name"] == "ET SCAN" and doc["destination"]["ip"] == "198.51.100.9"
    assert _doc("ALERT [only a name]")["rule"]["name"] == "only a name"
    doc = _doc('ACSV,192.0.2.8,skipped,"a, quoted note",five')
    assert doc["source"]["ip"] == "192.0.2.8" and doc["message"] == "a, quoted note"
    assert doc["acme"]["csv"] == {"tag": "ACSV", "fifth": "five"}


def test_kv_values_run_to_the_next_key_and_tail_keys(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "cn.yaml",
        """
        id: acme.cn
        observer: {vendor: ACME, product: CN, type: proxy}
        match: {contains: ["说明"]}
        extract: {kind: cn_kv, tail: [描述]}
        fields: {源IP: source.ip, 类型: event.action, 描述: message, 说明: event.reason}
        """,
    )
    assert load_dirs([tmp_path]).ok
    doc = _doc("类型：登录， 源IP:2001:db8::7, 说明: a, b and c；描述:x:y，z; w=1")
    assert doc["event"]["action"] == "登录"
    assert doc["source"]["ip"] == "2001:db8::7"
    assert doc["event"]["reason"] == "a, b and c"
    assert doc["message"] == "x:y，z; w=1"


def test_broken_lines_are_dead_lettered_with_a_reason(tmp_path: Path) -> None:
    path = _base(tmp_path, extra="require: [src]\nframing: {strip_prefix: 'ACMEFW '}\n")
    assert load_dirs([path]).ok
    for line, reason in (
        ("<134>Nov 27 16:00:00 fw1 something else", "framing prefix does not match"),
        ("ACMEFW no pairs at all", "no kv fields found"),
        ("ACMEFW dst=198.51.100.2", "'src' is missing"),
    ):
        outcome = parse_record(_record(line), fmt="acme.fw")
        assert outcome.dead_letter is not None and outcome.dead_letter.error is not None
        assert reason in (outcome.dead_letter.error.message or ""), outcome.dead_letter.error.message
        assert outcome.dead_letter.error.type == "parse_error"


# -- loading, overrides --------------------------------------------------------------------------


def test_site_definition_replaces_a_shipped_one(tmp_path: Path) -> None:
    site = _base(tmp_path, {"id: acme.fw": "id: sangfor.ac", "ACMEFW": "SITEAC"})
    result = load_declarative([tmp_path])
    assert result.ok, [str(e) for e in result.errors]
    assert result.loaded.count("sangfor.ac") == 1
    assert declared()["sangfor.ac"].path == str(site)
    doc = _doc("<134>Nov 27 16:00:00 ac1 SITEAC src=192.0.2.1 dst=198.51.100.2 act=permit", fmt="sangfor.ac")
    assert doc["observer"]["vendor"] == "ACME"
    # a later load of the shipped definitions does not undo the site's choice
    assert "sangfor.ac" not in load_shipped().loaded
    assert declared()["sangfor.ac"].path == str(site)


def test_builtin_id_needs_override(tmp_path: Path) -> None:
    path = _base(tmp_path, {"id: acme.fw": "id: huawei.usg"})
    builtin = PARSERS.get("huawei.usg")
    result = load_dirs([path])
    assert result.loaded == []
    assert [(e.where, e.message) for e in result.errors] == [
        (f"{path}:1", "id 'huawei.usg' is a built-in parser; set override: true to replace it")
    ]
    assert PARSERS.get("huawei.usg") is builtin
    path.write_text(path.read_text("utf-8") + "override: true\n", "utf-8")
    result = load_dirs([path])
    assert result.ok and result.loaded == ["huawei.usg"]
    assert PARSERS.get("huawei.usg") is not builtin
    assert auto_order().count("huawei.usg") == 1  # keeps the built-in's place
    assert type(parser_for("huawei.usg")).__name__ == "Declared_huawei_usg"
    unload("huawei.usg")
    assert PARSERS.get("huawei.usg") is builtin


def test_override_without_a_builtin_is_a_warning(tmp_path: Path) -> None:
    result = load_dirs([_base(tmp_path, extra="override: true\n")])
    assert result.ok
    assert [w.message for w in result.warnings] == [
        "override: true, but there is no built-in parser 'acme.fw'"
    ]


def test_duplicate_ids_in_one_load(tmp_path: Path) -> None:
    first = _base(tmp_path)
    second = _write(tmp_path, "zz-second.yaml", first.read_text("utf-8"))
    result = load_dirs([tmp_path])
    assert result.loaded == ["acme.fw"]
    assert [(e.where, e.message) for e in result.errors] == [
        (f"{second}:1", f"id 'acme.fw' is already defined at {first}:1")
    ]


def test_a_broken_file_does_not_stop_the_others(tmp_path: Path) -> None:
    _base(tmp_path)
    _write(tmp_path, "broken.yaml", "id: acme.broken\nmatch: [\n")
    _write(tmp_path, "also-broken.yml", "id: acme.other\nobserver: 3\n")
    (tmp_path / "notes.txt").write_text("not a definition")
    result = load_dirs([tmp_path, tmp_path / "missing"])
    assert result.loaded == ["acme.fw"]
    wheres = sorted(e.where or "" for e in result.errors)
    assert f"{tmp_path}/broken.yaml:3" in wheres
    assert any(w.startswith(f"{tmp_path}/also-broken.yml:") for w in wheres)
    assert str(tmp_path / "missing") in wheres


def test_sample_problems_refuse_the_definition(tmp_path: Path) -> None:
    path = _base(
        tmp_path,
        extra="""\
        require: [src]
          # (comment)
        """,
    )
    path.write_text(
        path.read_text("utf-8").replace(
            "samples:\n",
            "samples:\n  - 'something unrelated'\n  - '<134>Nov 27 16:00:00 fw1 ACMEFW dst=198.51.100.2'\n",
        ),
        "utf-8",
    )
    result = load_dirs([path])
    assert result.loaded == []
    messages = {(e.where, e.message.split(" (")[0].split(":")[0]) for e in result.errors}
    assert (f"{path}:14", "sample is not recognised by match") in messages
    assert (f"{path}:15", "sample does not parse") in messages


def test_samples_file_gbk(tmp_path: Path) -> None:
    (tmp_path / "acme-samples.log").write_bytes(
        "<134>Nov 27 16:00:00 fw1 ACMEFW src=192.0.2.1 act=拒绝\n".encode("gb18030")
    )
    path = _base(tmp_path, extra="samples_file: acme-samples.log\n")
    definition, errors = read_definition(path)
    assert definition is not None, errors
    assert [s.where for s in definition.samples][-1] == f"{tmp_path / 'acme-samples.log'}:1"
    assert load_dirs([path]).ok


# -- validation errors, each naming file:line -------------------------------------------------


def test_error_unknown_top_level_key(tmp_path: Path) -> None:
    _one_error(_base(tmp_path, extra="colour: blue\n"), 15, "unknown key 'colour' in the definition")


def test_error_unknown_ecs_field(tmp_path: Path) -> None:
    path = _base(tmp_path, {"src: source.ip": "src: source.ipp"})
    _one_error(path, 9, "unknown ECS field 'source.ipp'", "did you mean source.ip")
    path = _base(tmp_path, {"src: source.ip": "src: sourc.ip"})
    _one_error(path, 9, "unknown ECS field", "vendor fields go under acme.fw.*")
    path = _base(tmp_path, {"src: source.ip": "src: source"})
    _one_error(path, 9, "source is an object")
    path = _base(tmp_path, {"src: source.ip": "src: otherco.x"})
    _one_error(path, 9, "unknown ECS field 'otherco.x'")


def test_error_reserved_targets(tmp_path: Path) -> None:
    path = _base(tmp_path, {"src: source.ip": "src: event.dataset"})
    _one_error(path, 9, "event.dataset cannot be mapped")
    path = _base(tmp_path, {"src: source.ip": "src: event.severity"})
    _one_error(path, 9, "severity: section")
    path = _base(tmp_path, {"src: source.ip": "src: log.syslog.hostname"})
    _one_error(path, 9, "log.syslog")


def test_error_bad_regexes(tmp_path: Path) -> None:
    path = _base(tmp_path, {'contains: ["ACMEFW"]': "regex: 'ACME(FW'"})
    _one_error(path, 5, "regex: bad regular expression", "missing )")
    path = _base(tmp_path, extra="framing:\n  strip_prefix: '[a-'\n")
    _one_error(path, 16, "strip_prefix: bad regular expression")
    path = _base(tmp_path, {"kind: kv": "kind: kv\n  key_pattern: '(a|b)'"})
    _one_error(path, 8, "key_pattern: use (?:...)")
    path = _base(tmp_path, extra="derive:\n  src: '(\\d+)'\n")
    _one_error(path, 16, "needs named groups")


def test_error_types_and_conversions(tmp_path: Path) -> None:
    path = _base(tmp_path, {"dport: destination.port": "dport: {to: destination.port, type: ip}"})
    _one_error(path, 11, "type ip gives ip; destination.port takes an integer")
    path = _base(tmp_path, {"dport: destination.port": "dport: {to: destination.port, type: number}"})
    _one_error(path, 11, "type 'number' unknown")
    path = _base(tmp_path, {"src: source.ip": "src: {to: source.ip, type: str}"})
    _one_error(path, 9, "source.ip takes an IP address")
    path = _base(tmp_path, {"act: event.action": "act: {to: '@timestamp', format: '%H:%M:%S'}"})
    _one_error(path, 12, "has no year")
    path = _base(tmp_path, {"act: event.action": "act: {to: event.action, format: '%Y'}"})
    _one_error(path, 12, "format: only goes with type: time")
    path = _base(tmp_path, {"act: event.action": "act: {to: event.action, split: ','}"})
    _one_error(path, 12, "split: text, only for list fields")


def test_error_maps(tmp_path: Path) -> None:
    path = _base(tmp_path, {"act: event.action": "act:\n    to: event.category\n    map: {a: web, b: webby}"})
    _one_error(path, 14, "'webby' is not an ECS value of event.category")
    path = _base(tmp_path, {"act: event.action": "act: {to: destination.port, map: {https: 443, x: many}}"})
    _one_error(path, 12, "map value 'many' does not fit destination.port")
    path = _base(tmp_path, extra="severity:\n  from: lvl\n  map: {high: 9}\n")
    _one_error(path, 17, "severity map: 'high' → expected 1..5")
    path = _base(tmp_path, extra="verdict:\n  from: act\n  map: {ok: yes}\n")
    _one_error(path, 17, "verdict map: 'ok' → expected allowed or denied")
    path = _base(tmp_path, extra="constants: {event.kind: incident}\n")
    _one_error(path, 15, "constant event.kind", "not an ECS value")
    path = _base(tmp_path, extra="constants: {event.severity: 7}\n")
    _one_error(path, 15, "constant event.severity: expected 1..5")


def test_error_yaml_problems(tmp_path: Path) -> None:
    path = _base(tmp_path, {"  dst: destination.ip\n": "  dst: destination.ip\n  src: source.port\n"})
    _one_error(path, 11, "key 'src' is written twice (first at line 9)")
    path = _write(tmp_path, "bad.yaml", "id: acme.fw\nfields:\n  a: b\n c: d\n")
    errors = _errors(path)
    assert len(errors) == 1 and errors[0].where == f"{path}:4" and "invalid YAML" in errors[0].message
    path = _write(tmp_path, "list.yaml", "- id: acme.fw\n")
    _one_error(path, 1, "a definition is a YAML mapping")


def test_error_ids(tmp_path: Path) -> None:
    _one_error(_base(tmp_path, {"id: acme.fw": "id: ACME"}), 1, "expected <vendor>.<product>")
    _one_error(_base(tmp_path, {"id: acme.fw": "id: source.thing"}), 1, "'source' is an ECS or platform name")
    _one_error(_base(tmp_path, {"id: acme.fw\n": ""}), 1, "id: required")


def test_error_required_sections(tmp_path: Path) -> None:
    path = _write(tmp_path, "empty.yaml", "id: acme.fw\n")
    messages = {e.message for e in _errors(path)}
    assert {
        "observer: required (a mapping)",
        "match: required (a mapping)",
        "extract: required (a mapping)",
        "fields: required (a mapping)",
    } <= messages
    _one_error(_base(tmp_path, {"kind: kv": "kind: xml"}), 7, "extract.kind: expected one of")
    _one_error(
        _base(tmp_path, {'contains: ["ACMEFW"]': "auto: true"}), 4, "give contains, starts_with or regex"
    )
    _one_error(_base(tmp_path, {"type: firewall": "type: Fire Wall"}), 3, "observer.type")
    _one_error(_base(tmp_path, extra="timezone: Mars/Base\n"), 15, "unknown timezone")


def test_error_intrusion_without_the_dengbao_fields(tmp_path: Path) -> None:
    path = _base(tmp_path, extra="intrusion: {blocked_when: {act: [deny]}}\n")
    error = _one_error(path, 15, "intrusion:", "等保")
    assert "rule.name" in error.message and "rule.category" in error.message
    assert "source.ip" not in error.message.split("nothing maps")[1]
    path = _base(
        tmp_path,
        {"src: source.ip": "src: acme.fw.src"},
        extra="intrusion: true\nconstants: {rule.name: x, rule.category: y}\n",
    )
    assert "source.ip" in _one_error(path, 15, "等保").message


def test_error_regex_and_csv_keys_must_exist(tmp_path: Path) -> None:
    path = _base(
        tmp_path,
        {
            "kind: kv": "kind: regex\n  pattern: 'ACMEFW src=(?P<src>\\S+) dst=(?P<dst>\\S+)"
            " dport=(?P<dport>\\d+)'"
        },
    )
    _one_error(path, 13, "source key 'act' is not a named group")
    path = _base(tmp_path, {"kind: kv": "kind: csv\n  delimiter: ' '\n  columns: [h, tag, src, dst, dport]"})
    _one_error(path, 14, "source key 'act' is not a column name")


def test_error_nested_targets(tmp_path: Path) -> None:
    path = _base(tmp_path, {"act: event.action": "act: acme.fw.x\n  act2: acme.fw.x.y"})
    _one_error(path, 8, "acme.fw.x is a value, so acme.fw.x.y cannot be set below it")


# -- the command-line check ---------------------------------------------------------------------


def test_python_m_check_reports_file_and_line(tmp_path: Path) -> None:
    _base(tmp_path, {"src: source.ip": "src: source.ipp"})
    proc = subprocess.run(
        [sys.executable, "-m", "collectors.parsers.declarative", "--no-shipped", str(tmp_path)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    assert f"{tmp_path / 'acme.yaml'}:9: error: field 'src': unknown ECS field" in proc.stderr.decode()
    (tmp_path / "acme.yaml").unlink()
    _base(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "collectors.parsers.declarative", "--print-samples", str(tmp_path)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    datasets = {json.loads(line)["event"]["dataset"] for line in proc.stdout.splitlines()}
    assert datasets == {"acme.fw", *SHIPPED_IDS}


# -- random input -------------------------------------------------------------------------------


def _shipped_parsers() -> list[str]:
    return sorted(SHIPPED_IDS)


def _parse_directly(dataset: str, data: bytes) -> None:
    """Decode and parse; only ParseError may come out (never another exception)."""
    record = _record(data)
    try:
        envelope = decode_record(record)
    except ParseError:
        return
    parser = parser_for(dataset)
    assert parser is not None
    try:
        events = parser.parse(envelope, record)
    except ParseError:
        return
    except InvalidEventError as exc:  # the definition let a value of the wrong type through
        raise AssertionError(f"{dataset}: {exc}") from exc
    for event in events:
        event.to_json()


@given(data=st.binary(max_size=512))
def test_random_bytes_never_raise(data: bytes) -> None:
    with registry_snapshot():
        load_shipped()
        for dataset in _shipped_parsers():
            _parse_directly(dataset, data)
            outcome = parse_record(_record(data), fmt=dataset)
            if outcome.dead_letter is not None:
                assert "internal error" not in (outcome.dead_letter.error.message or "")  # type: ignore[union-attr]


@given(index=st.integers(min_value=0), cut=st.integers(min_value=0), noise=st.text(max_size=40))
def test_mutated_samples_never_raise(index: int, cut: int, noise: str) -> None:
    with registry_snapshot():
        load_shipped()
        for dataset in _shipped_parsers():
            samples = declared()[dataset].samples
            line = samples[index % len(samples)].data.decode()
            at = cut % (len(line) + 1)
            _parse_directly(dataset, (line[:at] + noise + line[at:]).encode())
            _parse_directly(dataset, line[:at].encode())


def test_one_mebibyte_line(shipped: LoadResult) -> None:
    line = ("<134>Nov 27 16:00:00 h 日志类型:上网访问, 用户组:x, " + "描述:" + "，a:b" * 250_000)[: 1 << 20]
    for dataset in SHIPPED_IDS:
        _parse_directly(dataset, line.encode())
        _parse_directly(dataset, b"tag:ips_log " + b"k:v " * 200_000)


def test_replacing_a_parser_drops_the_cached_instances() -> None:
    """``collectors.parse`` caches parser instances; a replaced class must not be served stale."""
    from collectors.parse import parser_for
    from collectors.parsers import PARSERS, register, unregister

    class Stub(type(parser_for("syslog.kv"))):  # type: ignore[misc]
        dataset = "test.stub"

    with registry_snapshot():
        register("test.stub", Stub)
        first = parser_for("test.stub")
        assert isinstance(first, Stub)

        class Other(Stub):
            pass

        register("test.stub", Other, replace=True)
        assert isinstance(parser_for("test.stub"), Other)
        unregister("test.stub")
        assert parser_for("test.stub") is None and "test.stub" not in PARSERS


def test_url_original_is_composed_from_path_and_query(tmp_path: Path) -> None:
    """Sigma's URI fields read url.original: a log that splits the request into path and query
    (IIS's cs-uri-stem / cs-uri-query) gets it composed; a line's own original is kept."""
    path = _base(
        tmp_path,
        {"  act: event.action\n": "  act: event.action\n  p: url.path\n  q: url.query\n  u: url.original\n"},
    )
    assert load_dirs([path]).ok
    both = _doc("<134>Nov 27 16:00:00 fw1 ACMEFW src=192.0.2.1 p=/a/b.aspx q=id=1%27 act=permit")
    assert both["url"] == {"path": "/a/b.aspx", "query": "id=1%27", "original": "/a/b.aspx?id=1%27"}
    bare = _doc("<134>Nov 27 16:00:00 fw1 ACMEFW src=192.0.2.1 p=/a/b.aspx act=permit")
    assert bare["url"] == {"path": "/a/b.aspx", "original": "/a/b.aspx"}
    own = _doc("<134>Nov 27 16:00:00 fw1 ACMEFW src=192.0.2.1 p=/x u=https://h.example/x act=permit")
    assert own["url"]["original"] == "https://h.example/x"


def test_quoted_values_with_single_spaces_between_pairs(tmp_path: Path) -> None:
    """With " " as the pair separator, the one space after a closing quote is the separator
    (Sophos XG: 'status="Deny" priority=Information'): the value loses its quotes."""
    path = _base(tmp_path, {"  kind: kv\n": '  kind: kv\n  pair_separator: [" "]\n'})
    assert load_dirs([path]).ok
    doc = _doc('<134>Nov 27 16:00:00 fw1 ACMEFW act="permit" src="192.0.2.1" dst=198.51.100.2 dport="443"')
    assert doc["event"]["action"] == "permit"
    assert doc["source"]["ip"] == "192.0.2.1"
    assert doc["destination"] == {"ip": "198.51.100.2", "port": 443}


_PADDINGS: tuple[bytes, ...] = (b" ", b"\t", b' a="b"', b" a=", b", ", b"; ", b":", b"=", b"|", b"[x] ")


@pytest.mark.timeout(600)  # linear scans take well under a second each; a quadratic one, hours
def test_samples_padded_to_a_mebibyte_stay_linear(shipped: LoadResult) -> None:
    """Every shipped definition's samples, cut anywhere and padded to 1 MiB with repeated
    separators, blanks and quotes, parse or dead-letter (the regexes have no quadratic path:
    a space run after a quoted value once made the key=value scan quadratic)."""
    for dataset in sorted(SHIPPED_IDS):
        for sample in declared()[dataset].samples[:2]:
            for line in padded(sample.data, _PADDINGS):
                _parse_directly(dataset, line)
