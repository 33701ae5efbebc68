"""Incidents (事件) through the real app: the GB/T 20986 catalogue, opening from alerts, changes
with their timeline, the handling record closure needs, notes, evidence and the operation log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import Api, alert, api_for, store_alerts
from httpx2 import Response
from state_fixtures import state_url

from soc_core.vocabulary import Role

__all__ = ["state_url"]

INCIDENTS = "/api/v1/incidents"
HANDLING: dict[str, Any] = {
    "cause_analysis": "WAF 规则缺失，登录接口存在 SQL 注入",
    "handling_record": "封禁 203.0.113.10，修补登录接口并复测",
    "lessons_learned": "上线前增加注入测试",
}
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


@pytest.fixture
def api(tmp_path: Path, state_url: str) -> Iterator[Api]:
    with api_for(tmp_path, state_url) as harness:
        store_alerts(harness.state, [alert(n) for n in range(4)])
        yield harness


def body_of(response: Response, status: int = 200) -> dict[str, Any]:
    """The JSON body of a response that must have ``status``."""
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def open_incident(api: Api, who: Role = Role.ANALYST, **fields: Any) -> dict[str, Any]:
    """POST a new incident (a title and category unless given) and return it."""
    payload = {"title": "登录接口遭 SQL 注入", "category": "VAI", **fields}
    return body_of(api.send("POST", INCIDENTS, who, json=payload), 201)


def change(api: Api, incident_id: int, who: Role = Role.ANALYST, **fields: Any) -> Response:
    """PATCH an incident."""
    response: Response = api.send("PATCH", f"{INCIDENTS}/{incident_id}", who, json=fields)
    return response


def get(api: Api, incident_id: int) -> dict[str, Any]:
    """GET an incident."""
    return body_of(api.get(f"{INCIDENTS}/{incident_id}"))


def moment(text: str) -> dt.datetime:
    """An ISO-8601 time from a response, aware."""
    return dt.datetime.fromisoformat(text)


def timeline(incident: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(author, kind, text) of each timeline entry."""
    return [(t["author"], t["kind"], t["text"]) for t in incident["timeline"]]


def audit(api: Api, action: str) -> list[dict[str, Any]]:
    """Operation-log entries of ``action`` (newest first) as the audit admin reads them."""
    items: list[dict[str, Any]] = body_of(
        api.get("/api/v1/audit", Role.AUDIT_ADMIN, action=action, limit=1000)
    )["items"]
    return items


def test_the_catalogue_lists_categories_levels_and_statuses(api: Api) -> None:
    catalogue = body_of(api.get(f"{INCIDENTS}/catalogue", Role.COMPLIANCE_OFFICER))
    assert catalogue["edition"] == "GB/Z 20986-2007"
    tree = {c["code"]: [s["code"] for s in c["subcategories"]] for c in catalogue["categories"]}
    assert tree == {
        "MI": ["CVI", "WI", "THI", "BI", "BAI", "WBPI"],
        "NAI": ["DOSAI", "BDAI", "VAI", "NSEI", "PI", "II"],
        "IDI": ["IAI", "IMI", "ILEI", "III", "ILOI"],
        "ICSI": [],
        "FF": ["SHF", "PSFF", "MDA"],
        "DI": [],
        "OI": [],
    }
    nai = catalogue["categories"][1]
    assert (nai["label_zh"], nai["subcategories"][2]) == (
        "网络攻击事件",
        {"code": "VAI", "label_zh": "漏洞攻击事件", "subcategories": []},
    )
    assert catalogue["levels"] == [
        {"code": "I", "label_zh": "特别重大事件"},
        {"code": "II", "label_zh": "重大事件"},
        {"code": "III", "label_zh": "较大事件"},
        {"code": "IV", "label_zh": "一般事件"},
    ]
    assert catalogue["statuses"] == ["open", "contained", "resolved", "closed"]
    assert api.get(f"{INCIDENTS}/catalogue", Role.SYSTEM_ADMIN).status_code == 403


def test_an_incident_opened_from_alerts(api: Api) -> None:
    made = open_incident(
        api,
        category="nai",
        level="III",
        description="同一来源多次注入尝试",
        alert_ids=["alert-001", "alert-000", "alert-001"],
    )
    created_at = made.pop("created_at")
    assert dt.datetime.fromisoformat(created_at).tzinfo is not None
    assert made.pop("updated_at") == created_at
    assert made["timeline"][0].pop("at") == created_at
    made["timeline"][0].pop("id")
    # The answer keeps the order the alerts were given in; the stored incident lists them sorted.
    assert sorted(made.pop("alert_ids")) == ["alert-000", "alert-001"]
    assert made == {
        "id": made["id"],
        "title": "登录接口遭 SQL 注入",
        "category": "NAI",
        "category_label": "网络攻击事件",
        "level": "III",
        "level_label": "较大事件",
        "status": "open",
        "owner": "analyst",
        "created_by": "analyst",
        "closed_at": None,
        "alert_count": 2,
        "description": "同一来源多次注入尝试",
        "cause_analysis": None,
        "handling_record": None,
        "lessons_learned": None,
        "timeline": [{"author": "analyst", "kind": "created", "text": "登录接口遭 SQL 注入"}],
        "evidence": [],
    }
    shown = get(api, made["id"])
    assert (shown["alert_ids"], shown["created_at"], timeline(shown)) == (
        ["alert-000", "alert-001"],
        created_at,
        [("analyst", "created", "登录接口遭 SQL 注入")],
    )
    # The alerts know their incident; read-only roles see the incident too.
    assert api.get("/api/v1/alerts/alert-001").json()["incident_ids"] == [made["id"]]
    assert api.get(f"{INCIDENTS}/{made['id']}", Role.NETWORK_ADMIN).status_code == 200
    owned = open_incident(api, Role.SECURITY_ADMIN, owner="analyst")
    assert (owned["owner"], owned["created_by"], owned["level"]) == ("analyst", "security_admin", "IV")
    [entry, first] = audit(api, "incident.create")
    assert (first["actor"], first["target"], first["before"]) == ("analyst", str(made["id"]), None)
    assert sorted(first["after"].pop("alert_ids")) == ["alert-000", "alert-001"]
    assert first["after"] == {
        "title": "登录接口遭 SQL 注入",
        "category": "NAI",
        "level": "III",
        "status": "open",
        "owner": "analyst",
        "description": "同一来源多次注入尝试",
        "cause_analysis": None,
        "handling_record": None,
        "lessons_learned": None,
    }
    assert (entry["actor"], entry["target"]) == ("security_admin", str(owned["id"]))


def test_opening_is_refused_for_unknown_alerts_and_categories(api: Api) -> None:
    unknown_alert = api.send(
        "POST", INCIDENTS, json={"title": "t", "category": "VAI", "alert_ids": ["alert-000", "alert-999"]}
    )
    assert (unknown_alert.status_code, unknown_alert.json()) == (404, {"detail": "no alert 'alert-999'"})
    unknown_category = api.send("POST", INCIDENTS, json={"title": "t", "category": "XYZ"})
    assert (unknown_category.status_code, unknown_category.json()) == (
        400,
        {"detail": "unknown GB/T 20986 category code 'XYZ' (GB/Z 20986-2007)"},
    )
    assert (
        api.send("POST", INCIDENTS, json={"title": "t", "category": "VAI", "level": "V"}).status_code == 422
    )
    assert api.send("POST", INCIDENTS, json={"title": "", "category": "VAI"}).status_code == 422
    readonly = api.send("POST", INCIDENTS, Role.COMPLIANCE_OFFICER, json={"title": "t", "category": "VAI"})
    assert (readonly.status_code, readonly.json()) == (
        403,
        {"detail": "your roles do not grant incidents:manage"},
    )
    assert body_of(api.get(INCIDENTS)) == {"total": 0, "items": []}
    assert api.get("/api/v1/alerts/alert-000").json()["incident_ids"] == []
    assert audit(api, "incident.create") == []
    missing = api.get(f"{INCIDENTS}/99")
    assert (missing.status_code, missing.json()) == (404, {"detail": "no incident 99"})


def test_the_list_pages_most_recently_changed_first(api: Api) -> None:
    first, second, third = (open_incident(api, title=f"事件 {n}") for n in (1, 2, 3))
    assert change(api, second["id"], status="contained").status_code == 200

    def listed(**params: Any) -> tuple[int, list[int]]:
        page = body_of(api.get(INCIDENTS, **params))
        return page["total"], [item["id"] for item in page["items"]]

    assert listed() == (3, [second["id"], third["id"], first["id"]])
    assert listed(limit=2, offset=1) == (3, [third["id"], first["id"]])
    assert listed(status="open") == (2, [third["id"], first["id"]])
    assert listed(status="contained") == (1, [second["id"]])
    assert listed(status="closed") == (0, [])
    # A note is a change too: the incident moves to the top.
    note = api.send("POST", f"{INCIDENTS}/{first['id']}/timeline", json={"text": "已联系责任单位"})
    assert note.status_code == 201
    assert listed() == (3, [first["id"], second["id"], third["id"]])
    row = body_of(api.get(INCIDENTS, limit=1))["items"][0]
    assert set(row) == {
        "id",
        "title",
        "category",
        "category_label",
        "level",
        "level_label",
        "status",
        "owner",
        "created_by",
        "created_at",
        "updated_at",
        "closed_at",
        "alert_count",
    }
    assert (row["title"], row["category_label"], row["level_label"], row["alert_count"]) == (
        "事件 1",
        "漏洞攻击事件",
        "一般事件",
        0,
    )


def test_changes_update_fields_and_level_status_and_alerts_go_on_the_timeline(api: Api) -> None:
    made = open_incident(api, alert_ids=["alert-000"])
    renamed = body_of(
        change(
            api,
            made["id"],
            title="登录接口注入（已扩大）",
            owner="security_admin",
            category="nai",
            description="d",
        )
    )
    assert (renamed["title"], renamed["owner"], renamed["category"], renamed["category_label"]) == (
        "登录接口注入（已扩大）",
        "security_admin",
        "NAI",
        "网络攻击事件",
    )
    assert len(renamed["timeline"]) == 1  # plain field edits are in the log, not the timeline
    graded = body_of(change(api, made["id"], Role.SECURITY_ADMIN, level="II", add_alert_ids=["alert-002"]))
    assert (graded["level"], graded["level_label"], graded["alert_ids"], graded["alert_count"]) == (
        "II",
        "重大事件",
        ["alert-000", "alert-002"],
        2,
    )
    contained = body_of(change(api, made["id"], status="contained", description=None))
    assert (contained["status"], contained["description"], contained["closed_at"]) == (
        "contained",
        None,
        None,
    )
    assert timeline(contained) == [
        ("analyst", "created", "登录接口遭 SQL 注入"),
        ("security_admin", "level", "IV → II"),
        ("security_admin", "alerts", "alert-002"),
        ("analyst", "status", "open → contained"),
    ]
    assert moment(contained["updated_at"]) > moment(made["updated_at"])
    # Unknown alerts and incidents: nothing changes.
    refused = change(api, made["id"], level="I", add_alert_ids=["alert-003", "alert-999"])
    assert (refused.status_code, refused.json()) == (404, {"detail": "no alert 'alert-999'"})
    assert (get(api, made["id"])["level"], get(api, made["id"])["alert_ids"]) == (
        "II",
        ["alert-000", "alert-002"],
    )
    assert change(api, 99, level="I").status_code == 404
    assert change(api, made["id"], category="XYZ").status_code == 400
    assert change(api, made["id"], Role.NETWORK_ADMIN, level="I").status_code == 403
    entries = audit(api, "incident.update")
    assert [(e["actor"], e["before"], e["after"]) for e in reversed(entries)] == [
        (
            "analyst",
            {"title": "登录接口遭 SQL 注入", "category": "VAI", "owner": "analyst", "description": None},
            {
                "title": "登录接口注入（已扩大）",
                "category": "NAI",
                "owner": "security_admin",
                "description": "d",
            },
        ),
        (
            "security_admin",
            {"level": "IV", "alert_ids": ["alert-000"]},
            {"level": "II", "alert_ids": ["alert-000", "alert-002"]},
        ),
        ("analyst", {"status": "open", "description": "d"}, {"status": "contained", "description": None}),
    ]
    assert {e["target"] for e in entries} == {str(made["id"])}


def test_closing_needs_the_handling_record_and_reopening_clears_closed_at(api: Api) -> None:
    made = open_incident(api)
    refused = change(api, made["id"], status="closed")
    assert (refused.status_code, refused.json()) == (
        400,
        {
            "detail": "closing an incident needs its cause_analysis, handling_record, lessons_learned "
            "(等保 8.1.10.12 c)"
        },
    )
    partial = change(
        api, made["id"], status="closed", cause_analysis="原因", handling_record="   ", level="III"
    )
    assert (partial.status_code, partial.json()["detail"]) == (
        400,
        "closing an incident needs its handling_record, lessons_learned (等保 8.1.10.12 c)",
    )
    # The refused request changed nothing, not even the fields it carried.
    kept = get(api, made["id"])
    assert (kept["status"], kept["cause_analysis"], kept["level"], len(kept["timeline"])) == (
        "open",
        None,
        "IV",
        1,
    )
    closed = body_of(change(api, made["id"], status="closed", **HANDLING))
    assert closed["status"] == "closed"
    assert closed["closed_at"] is not None and moment(closed["closed_at"]) >= moment(closed["created_at"])
    assert closed["updated_at"] == closed["closed_at"]
    assert {k: closed[k] for k in HANDLING} == HANDLING
    reopened = body_of(change(api, made["id"], status="resolved"))
    assert (reopened["status"], reopened["closed_at"]) == ("resolved", None)
    assert timeline(reopened)[1:] == [
        ("analyst", "status", "open → closed"),
        ("analyst", "status", "closed → resolved"),
    ]
    # Closing again needs nothing new: the record is still there.
    assert body_of(change(api, made["id"], status="closed"))["closed_at"] is not None
    failures = [e for e in reversed(audit(api, "http.patch")) if e["outcome"] == "failure"]
    assert [e["detail"] for e in failures] == [{"status": 400, "method": "PATCH"}] * 2


def test_a_closed_incident_keeps_its_handling_record(api: Api) -> None:
    made = open_incident(api)
    body_of(change(api, made["id"], status="closed", **HANDLING))
    change(api, made["id"], cause_analysis=None, lessons_learned="  ")
    kept = get(api, made["id"])
    assert kept["status"] != "closed" or {k: kept[k] for k in HANDLING} == HANDLING


def test_timeline_notes(api: Api) -> None:
    made = open_incident(api)
    note = api.send(
        "POST", f"{INCIDENTS}/{made['id']}/timeline", Role.SECURITY_ADMIN, json={"text": "已上报"}
    )
    body = body_of(note, 201)
    assert (body["author"], body["kind"], body["text"]) == ("security_admin", "note", "已上报")
    shown = get(api, made["id"])
    assert shown["timeline"][-1] == body
    assert shown["updated_at"] == body["at"]
    [entry] = audit(api, "incident.note")
    assert (entry["actor"], entry["target"], entry["detail"]) == (
        "security_admin",
        str(made["id"]),
        {"text": "已上报"},
    )
    assert api.send("POST", f"{INCIDENTS}/99/timeline", json={"text": "x"}).status_code == 404
    assert api.send("POST", f"{INCIDENTS}/{made['id']}/timeline", json={"text": ""}).status_code == 422
    readonly = api.send(
        "POST", f"{INCIDENTS}/{made['id']}/timeline", Role.COMPLIANCE_OFFICER, json={"text": "x"}
    )
    assert readonly.status_code == 403
    assert len(get(api, made["id"])["timeline"]) == 2


def test_evidence_checks_alert_references_and_hashes(api: Api) -> None:
    made = open_incident(api)
    url = f"{INCIDENTS}/{made['id']}/evidence"
    by_alert = body_of(
        api.send("POST", url, json={"kind": "alert", "ref": "alert-003", "note": "首个告警"}), 201
    )
    assert (
        by_alert["kind"],
        by_alert["ref"],
        by_alert["note"],
        by_alert["sha256"],
        by_alert["added_by"],
    ) == (
        "alert",
        "alert-003",
        "首个告警",
        None,
        "analyst",
    )
    capture = body_of(
        api.send("POST", url, json={"kind": "pcap", "ref": "/data/pcap/inj.pcap", "sha256": SHA.upper()}), 201
    )
    assert capture["sha256"] == SHA
    missing = api.send("POST", url, json={"kind": "alert", "ref": "alert-999"})
    assert (missing.status_code, missing.json()) == (404, {"detail": "no alert 'alert-999'"})
    for bad in (SHA[:-1], SHA[:-1] + "g", SHA + "0"):
        assert api.send("POST", url, json={"kind": "file", "ref": "/tmp/x", "sha256": bad}).status_code == 422
    assert api.send("POST", url, json={"kind": "photo", "ref": "x"}).status_code == 422
    assert api.send("POST", f"{INCIDENTS}/99/evidence", json={"kind": "pcap", "ref": "x"}).status_code == 404
    shown = get(api, made["id"])
    assert [(e["id"], e["kind"], e["ref"], e["sha256"]) for e in shown["evidence"]] == [
        (by_alert["id"], "alert", "alert-003", None),
        (capture["id"], "pcap", "/data/pcap/inj.pcap", SHA),
    ]
    assert timeline(shown)[1:] == [
        ("analyst", "evidence", "alert: alert-003"),
        ("analyst", "evidence", "pcap: /data/pcap/inj.pcap"),
    ]
    entries = audit(api, "incident.evidence")
    assert [e["after"] for e in reversed(entries)] == [
        {"kind": "alert", "ref": "alert-003", "sha256": None, "note": "首个告警"},
        {"kind": "pcap", "ref": "/data/pcap/inj.pcap", "sha256": SHA, "note": None},
    ]
