"""``shaowang_ecs``: Sigma taxonomy fields → our ECS, in pySigma, in sigma-cli and in the README.

Corpus: SigmaHQ's network, web and Zeek rules (every field they use is mapped or documented as
having no ECS home; a webserver rule converts through sigma-cli). Zeek's mapped fields are
checked against what our Zeek parser really writes for the sample logs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from corpus_support import CORPUS, make_record
from sigma.collection import SigmaCollection
from sigma.plugins import InstalledSigmaPlugins
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma.types import Placeholder, SigmaNull, SigmaString

from collectors.parse import parse_record
from detectors.sigma.pipeline import (
    FIELD_MAPPINGS,
    ZEEK_SERVICE_LOGS,
    Logsource,
    apply,
    map_field,
    mapping_rows,
    placeholder_items,
    shaowang_ecs,
)

PROJECT = Path(__file__).resolve().parents[2]
SIGMA_CLI = Path(sys.executable).parent / "sigma"
SIGMAHQ = CORPUS / "sigmahq"
ZEEK_SAMPLES = PROJECT / "collectors" / "parsers" / "zeek_json" / "samples"

# Fields SigmaHQ's rules use that have no ECS home (README: "Fields with no ECS home").
NO_HOME = frozenset({"blocked", "cs-cookie"})


def _parsed(doc: dict[str, Any]) -> SigmaRule:
    [rule] = SigmaCollection.from_dicts([doc]).rules
    assert isinstance(rule, SigmaRule)
    return rule


def _rule(logsource: dict[str, str], selection: dict[str, Any], **more: Any) -> SigmaRule:
    return _parsed(
        {"title": "t", "logsource": logsource, "detection": {"sel": selection, "condition": "sel"}, **more}
    )


def _items(rule: SigmaRule) -> list[SigmaDetectionItem]:
    out: list[SigmaDetectionItem] = []

    def walk(node: SigmaDetection | SigmaDetectionItem) -> None:
        if isinstance(node, SigmaDetection):
            for child in node.detection_items:
                walk(child)
        else:
            out.append(node)

    for detection in rule.detection.detections.values():
        walk(detection)
    return out


def _fields(rule: SigmaRule) -> list[str | None]:
    return [item.field for item in _items(rule)]


# -- the pipeline object ------------------------------------------------------------------------


def test_pipeline_is_named_and_usable_with_any_backend() -> None:
    pipeline = shaowang_ecs()
    assert pipeline.name == "shaowang_ecs"
    assert pipeline.priority == 20
    assert pipeline.allowed_backends == frozenset()


@pytest.mark.parametrize(
    ("logsource", "sigma_field", "ecs_field"),
    [
        ({"category": "webserver"}, "cs-uri-query", "url.original"),
        ({"category": "webserver"}, "cs-uri-stem", "url.path"),
        ({"category": "webserver"}, "cs-user-agent", "user_agent.original"),
        ({"category": "webserver"}, "sc-status", "http.response.status_code"),
        ({"category": "proxy"}, "c-uri", "url.original"),
        ({"category": "proxy"}, "c-uri-query", "url.query"),
        ({"category": "proxy"}, "c-uri-stem", "url.path"),
        ({"category": "proxy"}, "c-uri-extension", "url.extension"),
        ({"category": "proxy"}, "cs-host", "url.domain"),
        ({"category": "proxy"}, "r-dns", "url.domain"),
        ({"category": "proxy"}, "cs-referrer", "http.request.referrer"),
        ({"category": "proxy"}, "cs-bytes", "http.request.bytes"),
        ({"category": "proxy"}, "sc-bytes", "http.response.bytes"),
        ({"category": "proxy", "product": "squid"}, "c-useragent", "user_agent.original"),
        ({"category": "firewall"}, "src_ip", "source.ip"),
        ({"category": "firewall"}, "dst_port", "destination.port"),
        ({"category": "firewall"}, "action", "event.action"),
        ({"category": "dns"}, "query", "dns.question.name"),
        ({"category": "dns"}, "answer", "dns.answers.data"),
        ({"category": "dns"}, "record_type", "dns.question.type"),
        ({"category": "network_connection", "product": "windows"}, "DestinationIp", "destination.ip"),
        ({"category": "network_connection"}, "DestinationHostname", "destination.domain"),
        ({"category": "network_connection"}, "Protocol", "network.transport"),
        ({"product": "zeek", "service": "conn"}, "id.orig_h", "source.ip"),
        ({"product": "zeek", "service": "conn"}, "id.resp_p", "destination.port"),
        ({"product": "zeek", "service": "conn"}, "proto", "network.transport"),
        ({"product": "zeek", "service": "conn"}, "service", "network.protocol"),
        ({"product": "zeek", "service": "conn"}, "history", "zeek.connection.history"),
        ({"product": "zeek", "service": "http"}, "uri", "url.original"),
        ({"product": "zeek", "service": "http"}, "host", "url.domain"),
        ({"product": "zeek", "service": "http"}, "c-uri", "url.original"),
        ({"product": "zeek", "service": "http"}, "client_header_names", "zeek.http.client_header_names"),
        ({"product": "zeek", "service": "dns"}, "query", "dns.question.name"),
        ({"product": "zeek", "service": "dns"}, "qtype_name", "dns.question.type"),
        ({"product": "zeek", "service": "dns"}, "rcode_name", "dns.response_code"),
        ({"product": "zeek", "service": "dns"}, "answers", "dns.answers.data"),
        ({"product": "zeek", "service": "dns"}, "Z", "zeek.dns.z"),
        ({"product": "zeek", "service": "ssl"}, "server_name", "tls.client.server_name"),
        ({"product": "zeek", "service": "tls"}, "server_name", "tls.client.server_name"),
        ({"product": "zeek", "service": "x509"}, "certificate.serial", "zeek.x509.certificate.serial"),
        ({"product": "zeek", "service": "smb_files"}, "name", "file.path"),
        ({"product": "zeek", "service": "smb_files"}, "path", "zeek.smb_files.path"),
        ({"product": "zeek", "service": "smb_files"}, "action", "event.action"),
        ({"product": "zeek", "service": "dce_rpc"}, "operation", "event.action"),
        ({"product": "zeek", "service": "kerberos"}, "service", "zeek.kerberos.service"),
        ({"product": "zeek", "service": "ssh"}, "hasshServer", "zeek.ssh.hasshserver"),
        ({"product": "zeek", "service": "notice"}, "note", "rule.name"),
        ({"product": "zeek", "service": "conn"}, "source.ip", "source.ip"),  # already ECS
        ({"product": "zeek"}, "endpoint", "endpoint"),  # no service: no Zeek log to put it in
        ({"category": "webserver"}, "cs-cookie", "cs-cookie"),  # no ECS home
        ({"category": "webserver"}, "CS-METHOD", "CS-METHOD"),  # field names are case-sensitive
        ({"product": "linux"}, "username", "user.name"),
        ({"category": "ids"}, "source.ip", "source.ip"),
    ],
)
def test_fields_map_to_our_ecs(logsource: dict[str, str], sigma_field: str, ecs_field: str) -> None:
    assert map_field(sigma_field, **logsource) == ecs_field
    rule = apply(_rule(logsource, {sigma_field: "x"}))
    assert _fields(rule) == [ecs_field]


def test_pipeline_and_map_field_agree_on_every_row() -> None:
    anywhere = [Logsource(category="ids"), Logsource(product="huawei", service="usg")]
    for group in FIELD_MAPPINGS:
        for logsource in group.logsources or anywhere:
            parts = {
                key: value
                for key, value in (
                    ("category", logsource.category),
                    ("product", logsource.product),
                    ("service", logsource.service),
                )
                if value is not None
            }
            names = list(group.fields)
            rule = apply(_rule(parts, dict.fromkeys(names, "x")))
            assert _fields(rule) == [map_field(name, **parts) for name in names], group.name


def test_no_mapped_name_is_mapped_again() -> None:
    # pipeline items run one after the other: a target that is also a source would be renamed twice
    sources = {name for group in FIELD_MAPPINGS for name in group.fields}
    targets = {target for group in FIELD_MAPPINGS for target in group.fields.values()}
    assert not sources & targets


def test_correlation_group_by_and_rule_fields_are_mapped() -> None:
    rule = apply(_rule({"category": "proxy"}, {"c-uri": "x"}, fields=["c-ip", "cs-host"]))
    assert rule.fields == ["source.ip", "url.domain"]


def test_keyword_detections_are_left_alone() -> None:
    detection = {"keywords": ["evil"], "condition": "keywords"}
    rule = apply(_parsed({"title": "t", "logsource": {"product": "zeek"}, "detection": detection}))
    assert _fields(rule) == [None]


def test_initiated_true_holds_for_every_flow() -> None:
    rule = apply(
        _rule({"category": "network_connection"}, {"Initiated": "true", "DestinationPort": 4444}),
    )
    assert _fields(rule) == ["destination.port"]
    rule = apply(_rule({"category": "network_connection"}, {"Initiated": True}))
    assert _fields(rule) == []
    rule = apply(_rule({"category": "network_connection"}, {"Initiated": "false"}))
    assert _fields(rule) == ["Initiated"]


def test_zeek_z_zero_means_the_field_is_absent() -> None:
    rule = apply(_rule({"product": "zeek", "service": "dns"}, {"Z": 0}))
    [item] = _items(rule)
    assert item.field == "zeek.dns.z"
    assert isinstance(item.value[0], SigmaNull)
    rule = apply(_rule({"product": "zeek", "service": "dns"}, {"Z": 1}))
    assert str(_items(rule)[0].value[0]) == "1"


# -- placeholders --------------------------------------------------------------------------------


def test_placeholders_expand_to_configured_values_and_others_stay() -> None:
    selection = {"c-ip|expand": "%Admins_Workstations%", "cs-username|expand": "%unknown%"}
    rule = apply(
        _rule({"category": "proxy"}, selection),
        placeholders={"Admins_Workstations": ["192.0.2.10", "192.0.2.11"]},
    )
    ip, user = _items(rule)
    assert ip.field == "source.ip"
    assert [str(v) for v in ip.value] == ["192.0.2.10", "192.0.2.11"]
    assert user.field == "user.name"
    [value] = user.value
    assert isinstance(value, SigmaString)
    assert list(value.s) == [Placeholder("unknown")]  # left for the compiler to report


def test_placeholder_with_empty_list_stays_unresolved() -> None:
    rule = apply(_rule({"category": "proxy"}, {"c-ip|expand": "%admins%"}), placeholders={"admins": []})
    [item] = _items(rule)
    [value] = item.value
    assert isinstance(value, SigmaString)
    assert list(value.s) == [Placeholder("admins")]


def test_placeholder_items_work_appended_to_a_built_pipeline() -> None:
    pipeline = shaowang_ecs()
    pipeline.items.extend(placeholder_items({"dc": ["192.0.2.5"]}))
    rule = _rule({"category": "firewall"}, {"dst_ip|expand": "%dc%"})
    pipeline.apply(rule)
    [item] = _items(rule)
    assert (item.field, [str(v) for v in item.value]) == ("destination.ip", ["192.0.2.5"])


# -- against the corpus and our parser ----------------------------------------------------------


def _sigmahq_network_rules() -> list[tuple[Path, dict[str, Any]]]:
    if not SIGMAHQ.is_dir():
        pytest.skip(f"SigmaHQ corpus not found at {SIGMAHQ}")
    out = []
    for path in sorted(SIGMAHQ.rglob("*.yml")):
        for doc in yaml.safe_load_all(path.read_text("utf-8")):
            if not isinstance(doc, dict) or "detection" not in doc:
                continue
            ls = doc.get("logsource") or {}
            if ls.get("category") in ("proxy", "webserver", "firewall", "dns") or ls.get("product") == "zeek":
                out.append((path, doc))
    return out


def _detection_fields(doc: dict[str, Any]) -> set[str]:
    fields: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            fields.update(k.split("|")[0] for k in node if k.split("|")[0])
        elif isinstance(node, list):
            for child in node:
                walk(child)

    for name, node in doc["detection"].items():
        if name not in ("condition", "timeframe"):
            walk(node)
    return fields


def test_every_field_sigmahq_network_rules_use_is_mapped_or_documented() -> None:
    rules = _sigmahq_network_rules()
    assert len(rules) > 150
    unmapped = set()
    for path, doc in rules:
        ls = {k: doc["logsource"].get(k) for k in ("category", "product", "service")}
        for name in _detection_fields(doc):
            if map_field(name, **ls) == name and name not in NO_HOME:
                unmapped.add((path.name, name))
    assert not unmapped


def test_every_sigmahq_network_rule_goes_through_the_pipeline() -> None:
    failures = []
    for path, doc in _sigmahq_network_rules():
        try:
            apply(_parsed(doc))
        except Exception as exc:  # any failure is a finding, reported with its file
            failures.append(f"{path.name}: {exc}")
    assert not failures


def test_zeek_fields_land_where_our_parser_puts_them() -> None:
    """For each Zeek sample line, every field a table row maps is found under its ECS name."""
    checked = 0
    for sample in sorted(ZEEK_SAMPLES.glob("*.log")):
        for line in sample.read_text("utf-8").splitlines():
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            if not isinstance(doc, dict) or doc.get("proto") == "icmp":  # ICMP ports are type/code
                continue
            outcome = parse_record(make_record(line), fmt="zeek.log")
            if outcome.dead_letter is not None or len(outcome.events) != 1:
                continue
            event = outcome.events[0]
            log = (event.event.dataset or "").removeprefix("zeek.")
            services = [s for s, kind in ZEEK_SERVICE_LOGS.items() if kind == log]
            if not services:
                continue
            flat = event.to_flat()
            for name, value in doc.items():
                if value in (None, "", [], {}) or not any(
                    name in g.fields and g.covers(category=None, product="zeek", service=services[0])
                    for g in FIELD_MAPPINGS
                ):
                    continue
                target = map_field(name, product="zeek", service=services[0])
                stem = "dns.answers" if target.startswith("dns.answers.") else target
                assert stem in flat, f"{sample.name}: {name} → {target} not in {sorted(flat)}"
                checked += 1
    assert checked > 100


# -- README -------------------------------------------------------------------------------------


def test_readme_documents_every_row() -> None:
    readme = (PROJECT / "detectors" / "sigma" / "README.md").read_text("utf-8")
    missing = [row for row in mapping_rows() if f"| {row[0]} | `{row[1]}` | `{row[2]}` |" not in readme]
    assert not missing
    for name in NO_HOME:
        assert f"`{name}`" in readme


# -- pySigma plugin and sigma-cli ----------------------------------------------------------------


def test_pysigma_discovers_the_plugin() -> None:
    plugins = InstalledSigmaPlugins.autodiscover(include_backends=False, include_validators=False)
    assert "shaowang_ecs" in plugins.pipelines, (
        "install with `pip install -e '.[test]' --config-settings editable_mode=compat`: "
        "pySigma lists the sigma.pipelines folders on sys.path"
    )


def _sigma(*args: str, cwd: Path) -> str:
    # run outside the project folder: the plugin must come from the installation, not from cwd
    done = subprocess.run(
        [str(SIGMA_CLI), *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


OUR_RULE = """\
title: Web shell upload to a government portal
id: 8f5f2a43-2b0e-4b8e-9d7c-5e0d6c1f0a11
status: experimental
logsource:
    category: webserver
detection:
    selection:
        cs-method: POST
        cs-uri-stem|endswith: '/upload.php'
        c-useragent|contains: 'AntSword'
        c-ip|cidr: '192.0.2.0/24'
    condition: selection
level: high
"""


def test_sigma_cli_lists_and_converts_with_the_pipeline(tmp_path: Path) -> None:
    assert "shaowang_ecs" in _sigma("list", "pipelines", cwd=tmp_path)
    rule = tmp_path / "rule.yml"
    rule.write_text(OUR_RULE, "utf-8")
    lucene = _sigma("convert", "-t", "lucene", "-p", "shaowang_ecs", str(rule), cwd=tmp_path)
    for field in ("http.request.method:POST", "url.path:", "user_agent.original:", "source.ip:"):
        assert field in lucene
    for sigma_name in ("cs-method", "cs-uri-stem", "c-useragent", "c-ip"):
        assert sigma_name not in lucene
    esql = _sigma("convert", "-t", "esql", "-p", "shaowang_ecs", str(rule), cwd=tmp_path)
    assert "http.request.method" in esql
    assert "url.path" in esql


def test_sigma_cli_converts_a_sigmahq_webserver_rule(tmp_path: Path) -> None:
    folder = SIGMAHQ / "rules" / "web" / "webserver_generic"
    if not folder.is_dir():
        print(f"skipped: SigmaHQ corpus folder {folder} is absent")
        pytest.skip(f"SigmaHQ corpus folder {folder} is absent")
    rule = folder / "web_webshell_regeorg.yml"
    lucene = _sigma("convert", "-t", "lucene", "-p", "shaowang_ecs", str(rule), cwd=tmp_path)
    assert "url.original:" in lucene
    assert "http.request.method:POST" in lucene
    assert "user_agent.original" in lucene
    assert "cs-uri-query" not in lucene
