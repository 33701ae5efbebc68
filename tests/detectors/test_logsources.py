"""Logsource routing: which events a rule's ``logsource`` lets it see, and which rules are live.

Events come from our parsers' own samples (Zeek) and from keyword arguments; SigmaHQ's rules
(corpus) check that every network rule we can serve is live and every Windows one is not.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from corpus_support import CORPUS, make_record

from collectors.parse import parse_record
from detectors.sigma.logsources import event_keys, is_live, known_datasets, rule_keys
from soc_core.events import Event
from soc_core.vocabulary import DATASETS

ZEEK_SAMPLES = Path(__file__).resolve().parents[2] / "collectors" / "parsers" / "zeek_json" / "samples"


def _keys(
    dataset: str | None,
    categories: tuple[str, ...] = (),
    *,
    kind: str | None = "event",
    observer: str | None = None,
    dns: bool = False,
    url: bool = False,
    types: tuple[str, ...] = (),
) -> frozenset[str]:
    return event_keys(
        dataset=dataset,
        categories=categories,
        kind=kind,
        observer_type=observer,
        has_dns=dns,
        has_url=url,
        types=types,
    )


def _keys_of(event: Event) -> frozenset[str]:
    return event_keys(
        dataset=event.event.dataset,
        categories=event.event.category or (),
        kind=event.event.kind,
        observer_type=event.observer.type if event.observer else None,
        has_dns=bool(event.dns and event.dns.question and event.dns.question.name),
        has_url=event.url is not None,
        types=event.event.type or (),
    )


def _fits(rule: dict[str, str], keys: frozenset[str]) -> bool:
    return (
        rule_keys(category=rule.get("category"), product=rule.get("product"), service=rule.get("service"))
        <= keys
    )


@pytest.mark.parametrize(
    ("keys", "present", "absent"),
    [
        (
            _keys("huawei.usg", ("network",), observer="firewall", types=("connection", "denied")),
            {"category:firewall", "category:network_connection", "product:huawei", "service:usg"},
            {"category:ids", "category:proxy"},
        ),
        (
            _keys("huawei.ips", ("intrusion_detection",), kind="alert", observer="ips"),
            {"category:ids", "product:huawei", "service:ips"},
            {"category:firewall", "category:network_connection"},
        ),
        (
            _keys("cef.log", ("network",), observer="firewall", types=("info",)),
            {"category:firewall", "product:cef"},
            {"category:network_connection"},
        ),
        (
            _keys("squid.access", ("web",), url=True),
            {"category:proxy", "category:webserver"},
            {"category:waf"},
        ),
        (_keys("syslog.kv", observer="proxy"), {"category:proxy"}, set()),
        (
            _keys("nginx.access", ("web",), url=True),
            {"category:webserver", "product:nginx"},
            {"category:waf"},
        ),
        (
            _keys("modsecurity.auditlog", ("web",), kind="alert"),
            {"category:webserver", "category:waf"},
            set(),
        ),
        (
            _keys("suricata.eve", ("network",), dns=True, types=("protocol",)),
            {"category:dns", "category:ids", "product:suricata", "service:eve"},
            {"category:network_connection"},
        ),
        (_keys("network.dns", ("network",)), {"category:dns"}, {"category:webserver"}),
        (_keys("network.http", ("network", "web"), url=True), {"category:webserver"}, {"category:dns"}),
        (_keys("network.flow", ("network",)), {"category:network_connection"}, {"category:firewall"}),
        (_keys("json.log", ("web",), url=True), {"category:webserver"}, set()),
        (_keys("json.log", ("web",)), set(), {"category:webserver"}),
        (
            _keys("zeek.connection", ("network",), observer="ids", types=("connection", "start")),
            {"product:zeek", "service:connection", "service:conn", "category:network_connection"},
            {"category:ids", "category:firewall"},
        ),
        (
            _keys("zeek.notice", ("intrusion_detection",), kind="alert", observer="ids"),
            {"category:ids"},
            set(),
        ),
        (_keys("zeek.weird", ("network",), observer="ids"), {"service:weird"}, {"category:ids"}),
        (_keys("zeek.ssl", ("network",)), {"service:ssl", "service:tls"}, set()),
        (
            _keys("zeek.signature", kind="alert", observer="ids"),
            {"service:signatures", "category:ids"},
            set(),
        ),
        (_keys("sangfor.af", ("authentication",)), {"category:authentication", "category:firewall"}, set()),
        (_keys("h3c.secpath", ("configuration",)), {"category:configuration"}, set()),
        (_keys("shaowang.health"), {"product:shaowang", "service:health"}, {"service:audit"}),
        (_keys("shaowang.audit"), {"product:shaowang", "service:audit"}, set()),
        (_keys(None), set(), {"category:firewall"}),
    ],
)
def test_event_keys(keys: frozenset[str], present: set[str], absent: set[str]) -> None:
    assert present <= keys
    assert not absent & keys


def test_network_connection_needs_a_connection_type_when_types_are_given() -> None:
    for kind in ("connection", "start", "end", "allowed", "denied"):
        assert "category:network_connection" in _keys("json.log", ("network",), types=(kind,))
    assert "category:network_connection" not in _keys("json.log", ("network",), types=("info",))
    assert "category:network_connection" not in _keys("json.log", ("network",))  # no types, not a flow set
    assert "category:network_connection" not in _keys("huawei.usg", ("configuration",), types=("change",))


def test_event_keys_is_pure_and_order_free() -> None:
    first = _keys("zeek.http", ("web", "network"), url=True)
    assert _keys("zeek.http", ("network", "web"), url=True) == first
    assert _keys("ZEEK.HTTP", ("network", "web"), url=True) == first


def test_rule_keys() -> None:
    assert rule_keys(category=None, product=None, service=None) == frozenset()
    assert rule_keys(category="WebServer", product=None, service="") == {"category:webserver"}
    assert rule_keys(category=None, product="Zeek", service="DNS") == {"product:zeek", "service:dns"}


def test_product_names_the_vendor_across_its_datasets() -> None:
    rule = {"product": "huawei"}
    assert _fits(rule, _keys("huawei.usg"))
    assert _fits(rule, _keys("huawei.ips"))
    assert not _fits(rule, _keys("h3c.ips"))
    assert _fits({"product": "suricata"}, _keys("suricata.eve"))
    assert _fits({}, _keys("leef.log"))  # no logsource: every event


def test_parsed_zeek_events_route_to_their_service() -> None:
    seen = set()
    for sample in sorted(ZEEK_SAMPLES.glob("*.log")):
        for line in sample.read_text("utf-8").splitlines():
            outcome = parse_record(make_record(line), fmt="zeek.log")
            for event in outcome.events:
                dataset = event.event.dataset or ""
                keys = _keys_of(event)
                assert "product:zeek" in keys
                log = dataset.removeprefix("zeek.")
                assert f"service:{log}" in keys
                if log == "dns" and event.dns and event.dns.question:
                    assert _fits({"category": "dns"}, keys)
                    assert _fits({"product": "zeek", "service": "dns"}, keys)
                if log == "http":
                    assert _fits({"category": "webserver"}, keys)
                    assert _fits({"product": "zeek", "service": "http"}, keys)
                if log == "connection":
                    assert _fits({"product": "zeek", "service": "conn"}, keys)
                    assert _fits({"category": "network_connection"}, keys)
                seen.add(log)
    assert {"connection", "dns", "http", "ssl", "files", "notice", "x509"} <= seen


def test_known_datasets_include_the_vocabulary_and_zeek_logs() -> None:
    known = known_datasets()
    assert known >= DATASETS
    assert {"zeek.connection", "zeek.dns", "zeek.http", "zeek.smb_files", "zeek.dce_rpc"} <= known


@pytest.mark.parametrize(
    ("logsource", "live"),
    [
        ({"category": "webserver"}, True),
        ({"category": "proxy"}, True),
        ({"category": "firewall"}, True),
        ({"category": "dns"}, True),
        ({"category": "network_connection"}, True),
        ({"category": "ids"}, True),
        ({"product": "zeek", "service": "dce_rpc"}, True),
        ({"product": "zeek", "service": "conn"}, True),
        ({"product": "huawei"}, True),
        ({"product": "shaowang", "service": "health"}, True),
        ({"product": "windows"}, False),
        ({"category": "network_connection", "product": "windows"}, False),
        ({"category": "process_creation", "product": "linux"}, False),
        ({"product": "azure", "service": "signinlogs"}, False),
        ({"product": "zeek", "service": "no_such_log"}, False),
        ({}, True),
    ],
)
def test_is_live(logsource: dict[str, str], live: bool) -> None:
    keys = rule_keys(
        category=logsource.get("category"), product=logsource.get("product"), service=logsource.get("service")
    )
    assert is_live(keys, known_datasets()) is live


def test_sigmahq_network_rules_are_live_and_windows_ones_are_not() -> None:
    sigmahq = CORPUS / "sigmahq" / "rules"
    if not sigmahq.is_dir():
        pytest.skip(f"SigmaHQ corpus not found at {sigmahq}")
    datasets = known_datasets()
    counts = {True: 0, False: 0}
    for folder in ("network", "web", "windows/network_connection"):
        for path in sorted((sigmahq / folder).rglob("*.yml")):
            doc: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
            ls = doc["logsource"]
            keys = rule_keys(
                category=ls.get("category"), product=ls.get("product"), service=ls.get("service")
            )
            live = is_live(keys, datasets)
            # taxonomy categories, Zeek and FortiGate are ours to serve; Windows, routers'
            # BGP/AAA logs and Apache/nginx error logs not
            expected = ls.get("product") in ("zeek", "fortigate") or ls.keys().isdisjoint(
                {"product", "service"}
            )
            assert live is expected, json.dumps({"rule": path.name, "logsource": ls})
            counts[live] += 1
    assert counts[True] > 50
    assert counts[False] > 50


def test_sigmahq_fortigate_rules_fire_on_fortigate_event_logs() -> None:
    """``product: fortigate`` + ``service: event`` rules meet our ``fortinet.fortigate`` events
    (fields such as ``cfgpath`` mapped to the parser's vendor fields), and only event logs."""
    rules_dir = CORPUS / "sigmahq" / "rules" / "network" / "fortinet"
    log = CORPUS / "elastic" / "fortinet_fortigate" / "log" / "test-fortinet-7-6.log"
    if not rules_dir.is_dir() or not log.is_file():
        pytest.skip(f"SigmaHQ FortiGate rules or the Elastic FortiGate sample not found under {CORPUS}")
    from collectors.parse import parse_record
    from detectors.sigma.engine import DetectionEngine

    engine = DetectionEngine.from_paths([rules_dir], dedup=False)
    assert engine.report.compiled == engine.report.rules >= 7
    assert all(loaded.live for loaded in engine.rules)
    events = []
    for number, line in enumerate(log.read_bytes().splitlines(), 1):
        body = line.split(b" ", 2)[2]  # the sample's relay prefix (receive time, relay address)
        parsed = parse_record(make_record(body, hint="fortinet.fortigate", offset=number))
        assert parsed.events, (number, parsed.dead_letter)
        events.extend(parsed.events)
    titles = sorted(alert.rule_name for alert in engine.process(events))
    # the sample adds a local user (line 5) and a firewall policy (line 7); its edits and
    # deletes of policies, users and admins match none of the "added" rules
    assert titles == ["FortiGate - New Firewall Policy Added", "FortiGate - New Local User Created"]
    traffic = [e for e in events if "network" in (e.event.category or [])]
    assert traffic, "the sample should also hold traffic logs"
    keys = {k for e in traffic for k in engine._route(e).rules}
    assert (
        not {n for n, loaded in enumerate(engine.rules) if loaded.compiled.keys >= {"service:event"}} & keys
    )


def _wazuh_rule_and_lines(rule: Path, ini: Path, keep: Callable[[str], bool]) -> tuple[Any, list[bytes]]:
    """A one-rule engine and the ``log N pass = …`` lines of a wazuh test file that ``keep`` wants."""
    from detectors.sigma.engine import DetectionEngine

    if not rule.is_file() or not ini.is_file():
        pytest.skip(f"{rule.name} or {ini.name} not found under {CORPUS}")
    engine = DetectionEngine.from_paths([rule], dedup=False)
    assert engine.report.compiled == engine.report.rules == 1
    texts = ini.read_text("utf-8").splitlines()
    return engine, [t.split(" pass = ", 1)[1].encode() for t in texts if " pass = " in t and keep(t)]


def _parse_with_shipped(lines: list[bytes]) -> list[Event]:
    """The first event of each line, with the shipped YAML definitions loaded."""
    from collectors.parsers.declarative import load_shipped
    from collectors.parsers.declarative.loader import registry_snapshot

    with registry_snapshot():
        load_shipped()
        outcomes = [parse_record(make_record(line, offset=n)) for n, line in enumerate(lines, 1)]
    assert all(o.events for o in outcomes), [o.dead_letter for o in outcomes if not o.events]
    return [o.events[0] for o in outcomes]


def test_sigmahq_sshd_rule_fires_on_real_sshd_lines() -> None:
    """``product: linux`` + ``service: sshd`` rules meet ``openssh.sshd`` events (the shipped YAML
    definition): SigmaHQ's keyword rule finds the real "Corrupted MAC" / "bad client public DH
    value" lines of the wazuh corpus and nothing else there."""
    engine, lines = _wazuh_rule_and_lines(
        CORPUS / "sigmahq" / "rules" / "linux" / "builtin" / "sshd" / "lnx_sshd_susp_ssh.yml",
        CORPUS / "wazuh" / "sshd.ini",
        lambda text: text.startswith("log "),
    )
    events = _parse_with_shipped(lines)
    assert {e.event.dataset for e in events} == {"openssh.sshd"}
    fired = [event.message or "" for event in events if engine.process([event])]
    suspicious = [
        m for m in (e.message or "" for e in events) if "Corrupted MAC" in m or "bad client public DH" in m
    ]
    assert len(suspicious) == 4  # two lines each, with and without "[preauth]"
    assert fired == suspicious


def test_sigmahq_webserver_rule_fires_on_a_real_iis_line() -> None:
    """IIS access lines (``microsoft.iis``, a shipped YAML definition) are webserver events:
    SigmaHQ's "SQL Injection Strings In URI" (``cs-uri-query``) finds the real injection request
    in the wazuh corpus, and not the path-traversal probe beside it."""
    engine, lines = _wazuh_rule_and_lines(
        CORPUS / "sigmahq" / "rules" / "web" / "webserver_generic" / "web_sql_injection_in_access_logs.yml",
        CORPUS / "wazuh" / "malicious-ioc.ini",
        lambda text: "W3SVC" in text or "/CFIDE/" in text,
    )
    assert len(lines) == 2
    events = _parse_with_shipped(lines)
    assert {e.event.dataset for e in events} == {"microsoft.iis"}
    fired = [bool(engine.process([event])) for event in events]
    assert fired == [b"W3SVC" in line for line in lines]
