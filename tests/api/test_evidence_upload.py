"""Incident evidence files: uploaded as the raw body, stored by SHA-256, downloaded byte for byte."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import Api, api_for
from state_fixtures import state_url

from soc_api.incidents import evidence
from soc_core.audit import list_audit
from soc_core.vocabulary import Role

__all__ = ["state_url"]

# A pcap header and one 60-byte frame: what an analyst attaches from the capture ring.
PCAP = bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000") + bytes(16) + bytes(range(60))


@pytest.fixture
def api(tmp_path: Path, state_url: str) -> Iterator[Api]:
    with api_for(tmp_path, state_url) as harness:
        yield harness


def _incident(api: Api) -> int:
    made = api.send("POST", "/api/v1/incidents", json={"title": "SQL 注入", "category": "NAI"})
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _upload(api: Api, incident: int, data: bytes, **params: str) -> object:
    return api.send(
        "POST",
        f"/api/v1/incidents/{incident}/evidence/upload",
        params=params,
        content=data,
        headers={"content-type": "application/octet-stream"},
    )


def test_an_uploaded_capture_is_stored_by_hash_and_comes_back_identical(api: Api, tmp_path: Path) -> None:
    incident = _incident(api)
    sha = hashlib.sha256(PCAP).hexdigest()
    made = _upload(api, incident, PCAP, filename="../../etc/攻击流量.pcap", kind="pcap", note="镜像口抓包")
    assert made.status_code == 201, made.text  # type: ignore[attr-defined]
    out = made.json()  # type: ignore[attr-defined]
    assert (out["kind"], out["sha256"], out["note"]) == ("pcap", sha, "镜像口抓包")
    assert out["ref"] == f"evidence/{incident}/{sha}/攻击流量.pcap"  # no directories kept
    assert (tmp_path / "data" / "evidence" / str(incident) / sha).read_bytes() == PCAP
    got = api.get(out["download"])
    assert got.status_code == 200 and got.content == PCAP
    assert "attachment" in got.headers["content-disposition"]
    detail = api.get(f"/api/v1/incidents/{incident}").json()
    assert [e["sha256"] for e in detail["evidence"]] == [sha]
    assert detail["timeline"][-1]["kind"] == "evidence"
    # Read-only roles may download; they may not upload.
    assert api.get(out["download"], Role.COMPLIANCE_OFFICER).content == PCAP
    refused = api.send(
        "POST",
        f"/api/v1/incidents/{incident}/evidence/upload",
        Role.COMPLIANCE_OFFICER,
        params={"filename": "x.bin"},
        content=b"x",
    )
    assert refused.status_code == 403
    with api.state.session(readonly=True) as session:
        (entry,) = list_audit(session, action="incident.evidence")
    assert entry.after_value["sha256"] == sha and entry.actor == "analyst"


def test_nothing_is_written_for_an_unknown_incident_or_an_empty_body(api: Api, tmp_path: Path) -> None:
    assert _upload(api, 999, PCAP, filename="a.pcap").status_code == 404  # type: ignore[attr-defined]
    assert not (tmp_path / "data" / "evidence" / "999").exists()
    incident = _incident(api)
    assert _upload(api, incident, b"", filename="a.pcap").status_code == 400  # type: ignore[attr-defined]
    assert list((tmp_path / "data" / "evidence" / str(incident)).iterdir()) == []  # no temp left


def test_an_oversized_upload_is_refused_and_leaves_nothing(
    api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = _incident(api)
    monkeypatch.setattr(evidence, "MAX_EVIDENCE_BYTES", 32)
    refused = _upload(api, incident, PCAP, filename="big.pcap")
    assert refused.status_code == 413  # type: ignore[attr-defined]
    assert list((tmp_path / "data" / "evidence" / str(incident)).iterdir()) == []


def test_only_uploaded_files_download(api: Api) -> None:
    incident = _incident(api)
    noted = api.send(
        "POST", f"/api/v1/incidents/{incident}/evidence", json={"kind": "file", "ref": "/etc/passwd"}
    )
    assert noted.status_code == 201 and noted.json()["download"] is None
    missing = api.get(f"/api/v1/incidents/{incident}/evidence/{noted.json()['id']}/file")
    assert missing.status_code == 404
    assert api.get(f"/api/v1/incidents/{incident + 1}/evidence/{noted.json()['id']}/file").status_code == 404
