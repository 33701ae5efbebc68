"""The evidence pack end to end: API (who may export, the operation log), CLI, MANIFEST, catalogue errors."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from state_fixtures import state_url

from compliance.catalogue import load_catalogue
from compliance.measures import MEASURES
from compliance.pack import MANIFEST_NAME, PACK_FILES, verify_pack
from soc_core.audit import list_audit
from soc_core.errors import ConfigError
from soc_core.state.db import open_state
from soc_core.vocabulary import Role
from tests.api_support import Api, api_for
from tests.compliance.seed import Site, seeded, settings_toml

__all__ = ["state_url"]


@pytest.fixture
def api(tmp_path: Path, state_url: str) -> Iterator[Api]:
    with api_for(tmp_path, state_url) as harness:
        yield harness


def _audit(api: Api, **params: str) -> list[dict[str, object]]:
    response = api.get("/api/v1/audit", Role.AUDIT_ADMIN, limit="200", **params)
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


def test_a_compliance_officer_exports_an_analyst_is_refused_both_are_logged(api: Api, tmp_path: Path) -> None:
    refused = api.send("POST", "/api/v1/compliance/export", Role.ANALYST, json={})
    assert refused.status_code == 403

    response = api.send("POST", "/api/v1/compliance/export", Role.COMPLIANCE_OFFICER, json={})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        archive.extractall(unpacked)
    (pack,) = list(unpacked.iterdir())
    assert sorted(p.name for p in pack.iterdir()) == sorted([*PACK_FILES, MANIFEST_NAME])
    assert verify_pack(pack) == []
    evidence = json.loads((pack / "evidence.json").read_text(encoding="utf-8"))
    keys = {(i["clause"], i["item"]) for i in evidence["items"]}
    assert ("8.1.5.4", "d") in keys and ("8.1.3.3", "d") in keys
    assert {"clause", "item", "status", "evidence"} <= set(evidence["items"][0])
    holders = {h["username"]: h["roles"] for h in evidence["role_holders"]}
    assert holders["audit_admin"] == ["audit_admin"]
    assert evidence["role_matrix"]["compliance:export"] == ["audit_admin", "compliance_officer"]
    workbook = openpyxl.load_workbook(pack / "evidence.xlsx", read_only=True)
    assert "结论" in workbook.sheetnames

    exports = _audit(api, action="compliance.export")
    assert [(e["actor"], e["outcome"]) for e in exports] == [("compliance_officer", "success")]
    detail = exports[0]["detail"]
    assert isinstance(detail, dict) and set(detail["sha256"]) == {*PACK_FILES, MANIFEST_NAME}
    refusals = [e for e in _audit(api, action="http.post") if e["target"] == "/api/v1/compliance/export"]
    assert [(e["actor"], e["outcome"]) for e in refusals] == [("analyst", "failure")]


def test_the_status_route_lists_high_risk_items_first(api: Api) -> None:
    response = api.get("/api/v1/compliance/status", Role.COMPLIANCE_OFFICER)
    assert response.status_code == 200, response.text
    body = response.json()
    flags = [item["high_risk"] for item in body["items"]]
    assert flags == sorted(flags, reverse=True)
    assert sum(body["totals"].values()) == len(body["items"]) == len(load_catalogue(measures=MEASURES))
    # An empty platform evidences nothing about boundary logs: that is a high-risk failure.
    first = body["items"][0]
    assert (first["clause"], first["item"], first["status"]) == ("8.1.3.1", "a", "non_compliant")
    assert body["high_risk_failing"] >= 1
    assert api.get("/api/v1/compliance/status", Role.ANALYST).status_code == 403
    bad = api.get(
        "/api/v1/compliance/status", Role.COMPLIANCE_OFFICER, **{"from": "2026-11-02", "to": "2026-11-01"}
    )
    assert bad.status_code == 400


def _soc(*args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOC_CONFIG": str(config)} if config is not None else None
    return subprocess.run(
        [sys.executable, "-m", "soc_api.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )


def _site(tmp_path: Path, site: Site) -> tuple[Path, Path]:
    """A seeded data directory and the settings file describing the site."""
    with seeded(tmp_path, site) as seeded_site:
        config = tmp_path / "shaowang.toml"
        config.write_text(settings_toml(seeded_site.settings), encoding="utf-8")
        return seeded_site.data, config


def test_cli_export_writes_a_pack_that_verifies_and_a_tampered_file_is_caught(tmp_path: Path) -> None:
    data, config = _site(tmp_path, Site())
    out = tmp_path / "pack"
    done = _soc("compliance", "export", "--data", str(data), "--out", str(out), config=config)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["totals"]["non_compliant"] == 0
    ok = _soc("compliance", "verify", str(out))
    assert ok.returncode == 0 and ok.stdout.startswith("OK: 3 files"), ok.stderr
    text = subprocess.run(
        ["pdftotext", str(out / "report.pdf"), "-"], capture_output=True, text=True, check=True
    )
    pdf_text = text.stdout
    assert "符合" in pdf_text
    assert {item.key for item in load_catalogue(measures=MEASURES) if item.key not in pdf_text} == set()

    status = _soc("compliance", "status", "--data", str(data), "--json", config=config)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["totals"] == summary["totals"]

    (out / "evidence.json").write_text("{}", encoding="utf-8")
    bad = _soc("compliance", "verify", str(out))
    assert bad.returncode == 1
    assert "evidence.json: SHA-256 differs" in bad.stderr and "SM3 differs" in bad.stderr

    data, config = _site(tmp_path / "again", Site(firewall=False, malware=False))
    failing = _soc("compliance", "status", "--data", str(data), config=config)
    assert failing.returncode == 1  # a high-risk item fails
    assert "8.1.3.1 a)" in failing.stdout.splitlines()[0] and "不符合" in failing.stdout.splitlines()[0]


def test_the_cli_export_is_in_the_operation_log(tmp_path: Path) -> None:
    with seeded(tmp_path, Site()) as site:
        data = site.data
    assert _soc("compliance", "export", "--data", str(data), "--out", str(tmp_path / "pack")).returncode == 0
    state = open_state(f"sqlite:///{data / 'state.db'}")
    try:
        with state.session(readonly=True) as session:
            entries = list_audit(session, action="compliance.export")
    finally:
        state.close()
    assert [e.actor for e in entries] == ["host:soc-compliance"]


ENTRY = (
    "- {clause: 8.1.3.3, item: d, control: x, text: x, evidenced_by: x, method: x,"
    " measure: manual, high_risk: false}\n"
)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("- clause: 8.1.3.3\n  item: z\n", 2, "item"),
        (
            "- clause: 8.1.3.3\n  item: d\n  control: x\n  text: x\n  evidenced_by: x\n  method: x\n"
            "  measure: nope\n  high_risk: false\n",
            7,
            "unknown measure 'nope'",
        ),
        (
            ENTRY + ENTRY,
            2,
            "listed twice",
        ),
        ("- clause: [\n", 2, "invalid YAML"),
    ],
)
def test_catalogue_errors_name_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_catalogue(path, measures=MEASURES)
    assert caught.value.where == f"{path}:{line}"
    assert message in caught.value.message
