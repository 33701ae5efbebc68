"""Conventions of our Sigma rule pack, checked on the rule files as data.

One file per rule under ``rules/sigma/<area>/<snake_name>.yml``. A correlation rule keeps the
base rules it references in the same file (named, with full metadata, level informational), so
a file is self-contained; the file's last document is the rule its regression case counts.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from detectors.sigma.logsources import is_live, known_datasets, rule_keys

PROJECT = Path(__file__).resolve().parents[2]
RULES = PROJECT / "rules" / "sigma"
REGRESSION = PROJECT / "rules" / "regression"
RULE_FILES = sorted(RULES.rglob("*.yml"))

AREAS = {"auth", "device", "dns", "firewall", "ids", "lateral", "platform", "proxy", "waf", "web"}
LEVELS = {"informational", "low", "medium", "high", "critical"}
STATUSES = {"stable", "test", "experimental", "deprecated", "unsupported"}
TACTICS = {
    "reconnaissance", "resource_development", "initial_access", "execution", "persistence",
    "privilege_escalation", "defense_evasion", "credential_access", "discovery", "lateral_movement",
    "collection", "command_and_control", "exfiltration", "impact",
}  # fmt: skip
STEM = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")
TECHNIQUE = re.compile(r"^attack\.t\d{4}(\.\d{3})?$")
CJK = re.compile(r"[\u4e00-\u9fff]")
PLATFORM_HEALTH = {"product": "shaowang", "service": "health"}

DOCUMENTATION = [
    ipaddress.ip_network(net)
    for net in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
]
# Address blocks a rule may name besides the documentation ranges, each with its reason.
RULE_BLOCKS = {
    ipaddress.ip_network("10.0.0.0/8"): "RFC 1918 private range: 'internal source' filters",
    ipaddress.ip_network("172.16.0.0/12"): "RFC 1918 private range: 'internal source' filters",
    ipaddress.ip_network("192.168.0.0/16"): "RFC 1918 private range: 'internal source' filters",
}
# A dotted quad after "<letter>/" is a version number (Chrome/120.0.0.0), not an address.
IPV4 = re.compile(r"(?<![A-Za-z]/)(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(/\d{1,2})?(?![\d.])")
IPV6 = re.compile(r"(?<![\w:])((?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4})(/\d{1,3})?(?![\w:])")


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text("utf-8")) if doc]


ALL_DOCS = [(path, doc) for path in RULE_FILES for doc in _documents(path)]


def _label(item: tuple[Path, dict[str, Any]]) -> str:
    path, doc = item
    return f"{path.stem}:{doc.get('name', 'main')}"


def test_pack_has_at_least_forty_rules() -> None:
    assert len(RULE_FILES) >= 40


def test_ids_are_unique_uuids() -> None:
    ids = [str(doc.get("id")) for _, doc in ALL_DOCS]
    for rule_id in ids:
        assert str(uuid.UUID(rule_id)) == rule_id, f"not a canonical UUID: {rule_id}"
    duplicates = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
    assert duplicates == []


def test_file_names_are_unique_snake_case_in_a_known_area() -> None:
    stems = [path.stem for path in RULE_FILES]
    assert sorted({s for s in stems if stems.count(s) > 1}) == []
    for path in RULE_FILES:
        assert STEM.match(path.stem), path
        assert path.parent.parent == RULES and path.parent.name in AREAS, path


@pytest.mark.parametrize("item", ALL_DOCS, ids=_label)
def test_required_fields(item: tuple[Path, dict[str, Any]]) -> None:
    path, doc = item
    for key in ("title", "id", "status", "description", "author", "date", "falsepositives", "level"):
        assert doc.get(key), f"{path.name}: missing {key}"
    assert doc["title"].isascii(), "the title is English; the Chinese goes to description / title_zh"
    title_zh = (doc.get("shaowang") or {}).get("title_zh", "")
    assert CJK.search(doc["description"]) or CJK.search(title_zh), "needs a Chinese description or title_zh"
    assert doc["author"] == "Shaowang"
    assert doc["level"] in LEVELS
    assert doc["status"] in STATUSES
    assert isinstance(doc["falsepositives"], list)
    if "correlation" in doc:
        assert "detection" not in doc and "logsource" not in doc
    else:
        assert doc.get("logsource") and doc.get("detection", {}).get("condition")


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.stem)
def test_files_are_self_contained(path: Path) -> None:
    docs = _documents(path)
    *bases, main = docs
    if not bases:
        assert "correlation" not in main
        return
    assert "correlation" in main, "extra documents only as base rules of a correlation"
    names = {base.get("name") for base in bases}
    referenced = main["correlation"]["rules"]
    assert set(referenced if isinstance(referenced, list) else [referenced]) == names
    for base in bases:
        assert base["level"] == "informational", "a building block raises no alert of its own"


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.stem)
def test_attack_tags(path: Path) -> None:
    docs = _documents(path)
    if all(doc.get("logsource") == PLATFORM_HEALTH for doc in docs if "logsource" in doc):
        return  # platform health is not an attack
    for doc in docs:
        tags = doc.get("tags") or []
        assert any(TECHNIQUE.match(tag) for tag in tags), f"{doc['title']}: no attack.tNNNN tag"
        assert any(tag.removeprefix("attack.") in TACTICS for tag in tags), f"{doc['title']}: no tactic tag"
        for tag in tags:
            if tag.startswith("attack."):
                assert TECHNIQUE.match(tag) or tag.removeprefix("attack.") in TACTICS, tag


@pytest.mark.parametrize("item", [(p, d) for p, d in ALL_DOCS if "logsource" in d], ids=_label)
def test_logsource_is_routed_to_a_live_source(item: tuple[Path, dict[str, Any]]) -> None:
    _, doc = item
    logsource = doc["logsource"]
    keys = rule_keys(
        category=logsource.get("category"), product=logsource.get("product"), service=logsource.get("service")
    )
    assert keys, "a rule without logsource keys would see every event"
    assert is_live(keys, known_datasets()), f"no dataset we parse reaches {sorted(keys)}"


def _addresses(text: str) -> list[str]:
    found = [m.group(1) + (m.group(2) or "") for m in IPV4.finditer(text)]
    for match in IPV6.finditer(text):
        if not any(ch.isalnum() for ch in match.group(1)):
            continue  # a bare "::", as in the Log4Shell obfuscation "${::-j}"
        try:
            ipaddress.ip_network(match.group(0), strict=False)
        except ValueError:
            continue  # a clock time or similar, not an address
        found.append(match.group(0))
    return found


def _outside(addresses: list[str], allowed: list[Any]) -> list[str]:
    bad = []
    for text in addresses:
        net = ipaddress.ip_network(text, strict=False)
        if not any(net.version == ok.version and net.subnet_of(ok) for ok in allowed):
            bad.append(text)
    return bad


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.stem)
def test_rules_name_only_documentation_or_justified_addresses(path: Path) -> None:
    allowed = DOCUMENTATION + list(RULE_BLOCKS)
    assert _outside(_addresses(path.read_text("utf-8")), allowed) == []


@pytest.mark.parametrize("folder", sorted(REGRESSION.iterdir()), ids=lambda p: p.name)
def test_regression_events_use_documentation_addresses(folder: Path) -> None:
    bad: list[str] = []
    for name in ("events.ndjson", "input.log"):
        if (folder / name).exists():
            bad += _outside(_addresses((folder / name).read_text("utf-8")), DOCUMENTATION)
    assert bad == []
