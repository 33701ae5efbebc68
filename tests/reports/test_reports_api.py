"""通报 records and notices through the real app: who may write, read and download them, the
state machine over HTTP, and the dashboard pointing at what is overdue."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import Api, api_for
from docx import Document
from httpx2 import Response
from state_fixtures import state_url

from soc_core.audit import list_audit
from soc_core.vocabulary import Role

__all__ = ["state_url"]

REPORTS, NOTICES = "/api/v1/reports", "/api/v1/notices"
UNIT = "某区政务服务数据管理局"


@pytest.fixture
def api(tmp_path: Path, state_url: str) -> Iterator[Api]:
    settings = {"reports": {"unit": UNIT, "unit_type": "network_operator", "contact": "王工 010-5550-0101"}}
    with api_for(tmp_path, state_url, **settings) as harness:
        yield harness


def body_of(response: Response, status: int = 200) -> dict[str, Any]:
    """The JSON body of a response that must have ``status``."""
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def an_incident(api: Api) -> dict[str, Any]:
    payload = {
        "title": "政务服务门户 SQL 注入",
        "category": "VAI",
        "level": "III",
        "description": "登录接口遭注入",
    }
    return body_of(api.send("POST", "/api/v1/incidents", Role.ANALYST, json=payload), 201)


def test_the_analyst_reports_an_incident_and_the_compliance_officer_reads_it(api: Api) -> None:
    incident = an_incident(api)
    made = body_of(api.send("POST", f"/api/v1/incidents/{incident['id']}/report", Role.ANALYST), 201)
    assert (made["incident_id"], made["status"], made["status_zh"], made["next_statuses"]) == (
        incident["id"],
        "draft",
        "草稿",
        ["reported"],
    )
    assert (made["unit"], made["unit_type"], made["unit_type_zh"], made["contact"]) == (
        UNIT,
        "network_operator",
        "其他网络运营者",
        "王工 010-5550-0101",
    )
    assert (made["category"], made["category_label"], made["level"], made["level_label"]) == (
        "VAI",
        "漏洞攻击事件",
        "III",
        "较大事件",
    )
    assert (made["impact"], made["overdue"], made["reported_at"]) == ("登录接口遭注入", False, None)
    assert moment(made["discovered_at"]) == moment(incident["created_at"])
    assert moment(made["deadline_at"]) - moment(made["discovered_at"]) == dt.timedelta(hours=4)
    assert 0 < made["remaining_s"] <= 4 * 3600
    # Asking again gives the same record.
    again = body_of(api.send("POST", f"/api/v1/incidents/{incident['id']}/report", Role.ANALYST), 200)
    assert again["id"] == made["id"]

    read = body_of(api.get(f"{REPORTS}/{made['id']}", Role.COMPLIANCE_OFFICER))
    assert {k: read[k] for k in ("id", "unit", "status_zh")} == {
        "id": made["id"],
        "unit": UNIT,
        "status_zh": "草稿",
    }
    listed = body_of(api.get(REPORTS, Role.NETWORK_ADMIN))
    assert (listed["total"], [r["id"] for r in listed["items"]]) == (1, [made["id"]])
    assert api.get(REPORTS, Role.AUDIT_ADMIN).status_code == 403
    assert api.get(REPORTS, Role.SYSTEM_ADMIN).status_code == 403

    with api.state.session(readonly=True) as session:
        [entry] = [e for e in list_audit(session, limit=1000) if e.action == "report.create"]
    assert (entry.actor, entry.roles, entry.target, entry.source_ip) == (
        "analyst",
        ["analyst"],
        str(made["id"]),
        "testclient",
    )


def test_only_triage_changes_a_report_along_its_states(api: Api) -> None:
    report_id = body_of(api.send("POST", f"/api/v1/incidents/{an_incident(api)['id']}/report"), 201)["id"]
    one = f"{REPORTS}/{report_id}"
    for who in (Role.NETWORK_ADMIN, Role.COMPLIANCE_OFFICER):
        assert api.send("PATCH", one, who, json={"place": "机房"}).status_code == 403
        assert api.send("POST", f"{one}/status", who, json={"status": "reported"}).status_code == 403
    changed = body_of(
        api.send("PATCH", one, Role.ANALYST, json={"place": "区政务云机房", "measures": "封禁 203.0.113.10"})
    )
    assert (changed["place"], changed["measures"]) == ("区政务云机房", "封禁 203.0.113.10")
    unknown = api.send("PATCH", one, Role.ANALYST, json={"category": "XX"})
    assert unknown.status_code == 400 and "unknown GB/T 20986 category code 'XX'" in unknown.json()["detail"]

    refused = api.send("POST", f"{one}/status", Role.ANALYST, json={"status": "closed"})
    assert refused.status_code == 409
    assert "cannot go from 草稿 (draft) to 已结案 (closed)" in refused.json()["detail"]
    reported = body_of(api.send("POST", f"{one}/status", Role.SECURITY_ADMIN, json={"status": "reported"}))
    assert (reported["status_zh"], reported["remaining_s"], reported["overdue"]) == ("已上报", None, False)
    assert reported["reported_at"] is not None
    for step in ("handling", "feedback", "closed"):
        assert body_of(api.send("POST", f"{one}/status", json={"status": step}))["status"] == step
    closed = api.send("PATCH", one, Role.ANALYST, json={"next_steps": "复测"})
    assert closed.status_code == 409 and "已结案 (closed)" in closed.json()["detail"]
    assert api.get(f"{REPORTS}/999").status_code == 404
    assert api.send("POST", "/api/v1/incidents/999/report").status_code == 404


def test_the_report_downloads_as_pdf_and_docx(api: Api) -> None:
    report_id = body_of(api.send("POST", f"/api/v1/incidents/{an_incident(api)['id']}/report"), 201)["id"]
    pdf = api.get(f"{REPORTS}/{report_id}/export", Role.NETWORK_ADMIN, format="pdf")
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert f'filename="shaowang-report-{report_id}.pdf"' in pdf.headers["content-disposition"]
    docx = api.get(f"{REPORTS}/{report_id}/export", Role.COMPLIANCE_OFFICER, format="docx")
    assert docx.status_code == 200
    rows = {r.cells[0].text: r.cells[1].text for r in Document(io.BytesIO(docx.content)).tables[0].rows}
    assert (rows["报告单位"], rows["事件级别"], rows["事件分类"], rows["状态"]) == (
        UNIT,
        "较大事件（III 级）",
        "VAI 漏洞攻击事件",
        "草稿",
    )
    assert api.get(f"{REPORTS}/{report_id}/export", format="xlsx").status_code == 422
    assert api.get(f"{REPORTS}/{report_id}/export", Role.AUDIT_ADMIN).status_code == 403
    with api.state.session(readonly=True) as session:
        exports = [
            (e.actor, e.detail_value) for e in list_audit(session, limit=1000) if e.action == "report.export"
        ]
    assert exports == [("network_admin", {"format": "pdf"}), ("compliance_officer", {"format": "docx"})]


def test_a_notice_goes_round_with_the_right_roles(api: Api) -> None:
    payload = {
        "issuer": "区网信办",
        "reference": "区网信通〔2026〕17号",
        "title": "政务服务门户存在 SQL 注入漏洞",
        "owner_unit": "区政务服务数据管理局",
        "asset": "portal.gov.example",
    }
    assert api.send("POST", NOTICES, Role.ANALYST, json=payload).status_code == 403
    notice = body_of(api.send("POST", NOTICES, Role.SECURITY_ADMIN, json=payload), 201)
    assert (notice["status"], notice["status_zh"], notice["overdue"]) == ("open", "待整改", False)
    assert moment(notice["due_at"]) - moment(notice["received_at"]) == dt.timedelta(days=15)
    one = f"{NOTICES}/{notice['id']}"

    assert api.send("POST", f"{one}/feedback", Role.COMPLIANCE_OFFICER, json={"text": "x"}).status_code == 403
    answered = body_of(
        api.send("POST", f"{one}/feedback", Role.NETWORK_ADMIN, json={"text": "已修复登录接口"})
    )
    assert (answered["status_zh"], answered["feedback_by"]) == ("已反馈待审核", "network_admin")
    assert api.send("POST", f"{one}/review", Role.NETWORK_ADMIN, json={"accept": True}).status_code == 403
    bare = api.send("POST", f"{one}/review", Role.SECURITY_ADMIN, json={"accept": False})
    assert bare.status_code == 400 and "needs a review text" in bare.json()["detail"]
    back = body_of(
        api.send("POST", f"{one}/review", Role.SECURITY_ADMIN, json={"accept": False, "text": "缺复测报告"})
    )
    assert (back["status"], back["review"]) == ("open", "缺复测报告")
    body_of(api.send("POST", f"{one}/feedback", Role.SYSTEM_ADMIN, json={"text": "附复测报告"}))
    again = api.send("POST", f"{one}/feedback", Role.SYSTEM_ADMIN, json={"text": "再次"})
    assert again.status_code == 409
    closed = body_of(
        api.send("POST", f"{one}/review", Role.SECURITY_ADMIN, json={"accept": True, "text": "整改到位"})
    )
    assert (closed["status"], closed["status_zh"], closed["remaining_s"]) == ("closed", "已办结", None)

    listed = body_of(api.get(NOTICES, Role.COMPLIANCE_OFFICER, status="closed"))
    assert [n["id"] for n in listed["items"]] == [notice["id"]]
    assert body_of(api.get(NOTICES, Role.SYSTEM_ADMIN, status="open"))["total"] == 0
    assert api.get(NOTICES, Role.AUDIT_ADMIN).status_code == 403
    with api.state.session(readonly=True) as session:
        trail = [
            (e.action, e.actor) for e in list_audit(session, limit=1000) if e.action.startswith("notice.")
        ]
    assert trail == [
        ("notice.create", "security_admin"),
        ("notice.feedback", "network_admin"),
        ("notice.review", "security_admin"),
        ("notice.feedback", "system_admin"),
        ("notice.review", "security_admin"),
    ]


def test_the_dashboard_shows_what_is_overdue(api: Api) -> None:
    now = dt.datetime.now(dt.UTC)
    late = body_of(
        api.send(
            "POST",
            REPORTS,
            json={
                "discovered_at": (now - dt.timedelta(hours=5)).isoformat(),
                "category": "dosai",
                "level": "II",
                "affected_system": "统一身份认证平台",
            },
        ),
        201,
    )
    assert (late["category"], late["overdue"]) == ("DOSAI", True)
    assert late["remaining_s"] < -3600
    on_time = body_of(
        api.send("POST", REPORTS, json={"discovered_at": now.isoformat(), "category": "NAI", "level": "IV"}),
        201,
    )
    assert on_time["overdue"] is False
    assert [r["id"] for r in body_of(api.get(REPORTS, overdue="true"))["items"]] == [late["id"]]
    notice = body_of(
        api.send(
            "POST",
            NOTICES,
            Role.SECURITY_ADMIN,
            json={
                "issuer": "市公安局网安支队",
                "title": "弱口令未整改",
                "owner_unit": "区教育局",
                "received_at": (now - dt.timedelta(days=20)).isoformat(),
            },
        ),
        201,
    )
    assert notice["overdue"] is True

    response = body_of(api.get("/api/v1/dashboard", Role.ANALYST))["response"]
    deadline = response["overdue_reports"][0].pop("deadline_at")
    assert moment(deadline) == moment(late["deadline_at"])
    due = response["overdue_notices"][0].pop("due_at")
    assert moment(due) == moment(notice["due_at"])
    assert response == {
        "reports_overdue": 1,
        "reports_open": 2,
        "notices_overdue": 1,
        "notices_open": 1,
        "overdue_reports": [{"id": late["id"], "incident_id": None, "title": "统一身份认证平台"}],
        "overdue_notices": [{"id": notice["id"], "title": "弱口令未整改", "owner_unit": "区教育局"}],
    }
    # The system admin sees the dashboard but not 通报 records: only the notices half.
    system = body_of(api.get("/api/v1/dashboard", Role.SYSTEM_ADMIN))["response"]
    assert (system["reports_overdue"], system["overdue_reports"], system["notices_overdue"]) == (None, [], 1)
    # Once reported, the record is no longer overdue.
    body_of(api.send("POST", f"{REPORTS}/{late['id']}/status", json={"status": "reported"}))
    after = body_of(api.get("/api/v1/dashboard", Role.COMPLIANCE_OFFICER))["response"]
    assert (after["reports_overdue"], after["overdue_reports"], after["reports_open"]) == (0, [], 2)
