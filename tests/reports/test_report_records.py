"""通报 records and inbound notices on a real StateStore (SQLite and PostgreSQL): the deadline the
办法 sets per unit type, the overdue clock, the state machine, idempotent creation from an
incident, the notice rectification loop, and the operation log behind every change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from api_support import alert
from state_fixtures import state_url

from playbooks.reports import (
    RecordNotFoundError,
    ReportError,
    StateRefusedError,
    count_reports,
    create_notice,
    create_report,
    create_report_for_incident,
    deadline_for,
    list_notices,
    list_reports,
    notice_feedback,
    notice_overdue,
    report_overdue,
    review_notice,
    transition_report,
    update_report,
)
from soc_core.audit import list_audit, verify_audit_chain
from soc_core.config import ReportSettings
from soc_core.errors import ConfigError
from soc_core.state.alerts import save_alerts
from soc_core.state.db import StateStore, open_state
from soc_core.state.models import IncidentAlert, IncidentRecord
from soc_core.vocabulary import IncidentLevel, NoticeStatus, ReportStatus, UnitType

__all__ = ["state_url"]

T0 = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)  # the incident is opened (discovered)
AFTER = T0 + dt.timedelta(minutes=20)  # the 通报 draft is made
SECOND = dt.timedelta(seconds=1)
WHO: dict[str, Any] = {"actor": "analyst", "actor_roles": ["analyst"]}
SETTINGS = ReportSettings(
    unit="某区政务服务数据管理局", unit_type="party_government", contact="王工 010-5550-0101"
)
DESCRIPTION = "政务服务门户登录接口遭 SQL 注入，疑似泄露部分用户手机号"


@pytest.fixture
def store(state_url: str) -> Iterator[StateStore]:
    opened = open_state(state_url)
    try:
        yield opened
    finally:
        opened.close()


def open_incident(store: StateStore, *, level: str = IncidentLevel.LARGE.value, alerts: int = 0) -> int:
    """A 较大 (III) SQL-injection incident opened at T0, optionally from ``alerts`` alerts."""
    with store.session() as session:
        if alerts:
            save_alerts(session, alerts=[alert(n) for n in range(alerts)])
        row = IncidentRecord(
            title="政务服务门户 SQL 注入",
            category="VAI",
            level=level,
            status="open",
            description=DESCRIPTION,
            cause_analysis="登录接口未做参数化查询",
            created_by="analyst",
            created_at=T0,
            updated_at=T0,
        )
        session.add(row)
        session.flush()
        row.alert_links.extend(IncidentAlert(alert_id=f"alert-{n:03d}") for n in range(alerts))
        return row.id


def report_for(store: StateStore, incident_id: int, settings: ReportSettings = SETTINGS) -> int:
    with store.session() as session:
        return create_report_for_incident(
            session, incident_id=incident_id, settings=settings, now=AFTER, **WHO
        ).id


def move(store: StateStore, report_id: int, to: ReportStatus, now: dt.datetime = AFTER) -> None:
    with store.session() as session:
        transition_report(session, report_id=report_id, to=to, now=now, **WHO)


def audit_of(store: StateStore, prefix: str) -> list[tuple[str, str | None, Any, Any]]:
    with store.session(readonly=True) as session:
        return [
            (e.action, e.target, e.before_value, e.after_value)
            for e in list_audit(session, limit=1000)
            if e.action.startswith(prefix)
        ]


# -- the deadline ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit_type", "hours"),
    [("network_operator", 4), ("party_government", 2), ("critical_infrastructure", 1)],
)
def test_a_large_incident_is_due_the_hours_its_unit_type_allows_after_discovery(
    store: StateStore, unit_type: str, hours: int
) -> None:
    incident_id = open_incident(store)
    settings = SETTINGS.model_copy(update={"unit_type": unit_type})
    report_id = report_for(store, incident_id, settings)
    with store.session(readonly=True) as session:
        [row] = list_reports(session, now=AFTER)
        assert row.id == report_id
        assert row.deadline_at == T0 + dt.timedelta(hours=hours)
        assert (row.status, row.incident_id, row.unit, row.unit_type, row.contact) == (
            "draft",
            incident_id,
            "某区政务服务数据管理局",
            unit_type,
            "王工 010-5550-0101",
        )
        assert (row.category, row.level, row.discovered_at) == ("VAI", "III", T0)
        assert (row.impact, row.preliminary_cause, row.measures) == (
            DESCRIPTION,
            "登录接口未做参数化查询",
            None,
        )
        assert row.affected_system is None  # no alerts: nothing says what was hit
        assert (row.reported_at, row.created_by, row.created_at) == (None, "analyst", AFTER)


def test_the_affected_system_is_what_the_incident_alerts_hit(store: StateStore) -> None:
    report_id = report_for(store, open_incident(store, alerts=3))
    with store.session(readonly=True) as session:
        [row] = list_reports(session, now=AFTER)
    assert (row.id, row.affected_system) == (report_id, "http://192.0.2.80/login")


def test_deadline_for_reads_the_hours_from_the_settings() -> None:
    assert deadline_for(
        settings=SETTINGS, unit_type=UnitType.NETWORK_OPERATOR, discovered_at=T0
    ) == T0 + dt.timedelta(hours=4)
    half = ReportSettings(deadline_hours={"critical_infrastructure": 0.5})
    # A naive time is UTC, as everywhere in the StateStore.
    naive = T0.replace(tzinfo=None)
    assert deadline_for(
        settings=half, unit_type="critical_infrastructure", discovered_at=naive
    ) == T0 + dt.timedelta(minutes=30)


def test_an_unknown_or_unconfigured_unit_type_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as unknown:
        deadline_for(settings=SETTINGS, unit_type="township", discovered_at=T0)
    assert unknown.value.where == "reports.unit_type"
    assert "unknown unit type 'township'" in unknown.value.message
    with pytest.raises(ConfigError) as missing:
        deadline_for(
            settings=ReportSettings(deadline_hours={}), unit_type="party_government", discovered_at=T0
        )
    assert missing.value.where == "reports.deadline_hours.party_government"
    with pytest.raises(ConfigError) as negative:
        deadline_for(
            settings=ReportSettings(deadline_hours={"party_government": -2}),
            unit_type="party_government",
            discovered_at=T0,
        )
    assert negative.value.where == "reports.deadline_hours.party_government"


# -- the overdue clock --------------------------------------------------------------------------------


def test_a_draft_is_overdue_only_after_its_deadline_and_never_once_reported(store: StateStore) -> None:
    report_id = report_for(store, open_incident(store))  # party_government: due T0 + 2 h
    deadline = T0 + dt.timedelta(hours=2)
    with store.session(readonly=True) as session:
        [row] = list_reports(session, now=AFTER)
        assert [report_overdue(row, t) for t in (AFTER, deadline, deadline + SECOND)] == [False, False, True]
        assert [r.id for r in list_reports(session, overdue=True, now=deadline + SECOND)] == [report_id]
        assert list_reports(session, overdue=True, now=deadline) == []
        assert [r.id for r in list_reports(session, overdue=False, now=deadline)] == [report_id]
        assert count_reports(session, overdue=True, now=deadline + SECOND) == 1
    late = deadline + dt.timedelta(minutes=5)
    move(store, report_id, ReportStatus.REPORTED, now=late)
    with store.session(readonly=True) as session:
        [row] = list_reports(session, now=late)
        assert (row.status, row.reported_at, report_overdue(row, late + dt.timedelta(days=1))) == (
            "reported",
            late,
            False,
        )
        assert list_reports(session, overdue=True, now=late) == []


# -- the state machine --------------------------------------------------------------------------------


def test_a_record_moves_along_the_transitions_of_the_banfa(store: StateStore) -> None:
    report_id = report_for(store, open_incident(store))
    path = [
        ReportStatus.REPORTED,
        ReportStatus.HANDLING,
        ReportStatus.FEEDBACK,
        ReportStatus.HANDLING,  # the authority asked for more
        ReportStatus.FEEDBACK,
        ReportStatus.CLOSED,
    ]
    for step in path:
        move(store, report_id, step)
    statuses = [
        (before["status"], after["status"]) for _, _, before, after in audit_of(store, "report.status")
    ]
    assert statuses == [
        ("draft", "reported"),
        ("reported", "handling"),
        ("handling", "feedback"),
        ("feedback", "handling"),
        ("handling", "feedback"),
        ("feedback", "closed"),
    ]


@pytest.mark.parametrize(
    ("walk", "refused", "message"),
    [
        (
            [],
            ReportStatus.CLOSED,
            "cannot go from 草稿 (draft) to 已结案 (closed); "
            "from 草稿 (draft) it may go to 已上报 (reported)",
        ),
        (
            [],
            ReportStatus.DRAFT,
            "cannot go from 草稿 (draft) to 草稿 (draft); from 草稿 (draft) it may go to 已上报 (reported)",
        ),
        (
            [ReportStatus.REPORTED],
            ReportStatus.FEEDBACK,
            "cannot go from 已上报 (reported) to 已反馈 (feedback); "
            "from 已上报 (reported) it may go to 处置中 (handling)",
        ),
        (
            [ReportStatus.REPORTED, ReportStatus.HANDLING, ReportStatus.FEEDBACK, ReportStatus.CLOSED],
            ReportStatus.HANDLING,
            "cannot go from 已结案 (closed) to 处置中 (handling); "
            "from 已结案 (closed) it may go to nothing (终态 final state)",
        ),
    ],
)
def test_a_refused_transition_names_both_states_and_changes_nothing(
    store: StateStore, walk: list[ReportStatus], refused: ReportStatus, message: str
) -> None:
    report_id = report_for(store, open_incident(store))
    for step in walk:
        move(store, report_id, step)
    with pytest.raises(StateRefusedError) as caught:
        move(store, report_id, refused)
    assert caught.value.message == f"通报 {report_id} {message}"
    with store.session(readonly=True) as session:
        [row] = list_reports(session, now=AFTER)
    assert row.status == (walk[-1] if walk else ReportStatus.DRAFT).value
    assert len(audit_of(store, "report.status")) == len(walk)


def test_an_unknown_status_is_refused(store: StateStore) -> None:
    report_id = report_for(store, open_incident(store))
    with pytest.raises(ReportError, match="unknown 通报 status 'sent'"):
        move(store, report_id, "sent")  # type: ignore[arg-type]


# -- creation, changes and the operation log ---------------------------------------------------------


def test_making_the_report_of_an_incident_twice_returns_the_first_one(store: StateStore) -> None:
    incident_id = open_incident(store)
    first = report_for(store, incident_id)
    assert report_for(store, incident_id) == first
    with store.session(readonly=True) as session:
        assert count_reports(session, now=AFTER) == 1
        [entry] = [e for e in list_audit(session, limit=100) if e.action == "report.create"]
        assert (entry.actor, entry.roles, entry.target, entry.ts) == (
            "analyst",
            ["analyst"],
            str(first),
            AFTER,
        )
        assert entry.detail_value == {"incident_id": incident_id}
        assert entry.after_value["deadline_at"] == "2026-11-27T11:00:00+00:00"
        assert entry.after_value["status"] == "draft"
        assert verify_audit_chain(session).ok


def test_a_missing_incident_is_not_found(store: StateStore) -> None:
    with store.session() as session, pytest.raises(RecordNotFoundError, match="no incident 42"):
        create_report_for_incident(session, incident_id=42, settings=SETTINGS, now=AFTER, **WHO)


def test_a_report_without_an_incident_takes_unit_and_contact_from_the_settings(store: StateStore) -> None:
    discovered = T0 + dt.timedelta(hours=1)
    with store.session() as session:
        row = create_report(
            session,
            discovered_at=discovered,
            category="dosai",
            level="II",
            affected_system="统一身份认证平台",
            place="市政务云机房",
            settings=SETTINGS,
            now=AFTER,
            **WHO,
        )
        report_id = row.id
    with store.session(readonly=True) as session:
        [row] = list_reports(session, now=AFTER)
    assert (row.id, row.incident_id, row.unit, row.unit_type, row.contact) == (
        report_id,
        None,
        "某区政务服务数据管理局",
        "party_government",
        "王工 010-5550-0101",
    )
    assert (row.category, row.level, row.place, row.deadline_at) == (
        "DOSAI",
        "II",
        "市政务云机房",
        discovered + dt.timedelta(hours=2),
    )
    assert [a for a, *_ in audit_of(store, "report.")] == ["report.create"]


def test_changes_move_the_deadline_and_are_logged_with_before_and_after(store: StateStore) -> None:
    report_id = report_for(store, open_incident(store))
    later = AFTER + dt.timedelta(minutes=5)
    with store.session() as session:
        row = update_report(
            session,
            report_id=report_id,
            changes={
                "unit_type": "critical_infrastructure",
                "discovered_at": T0 - dt.timedelta(minutes=30),
                "measures": "已封禁 203.0.113.10，下线登录接口",
                "place": "",
            },
            settings=SETTINGS,
            now=later,
            **WHO,
        )
        assert (row.deadline_at, row.updated_at, row.place) == (T0 + dt.timedelta(minutes=30), later, None)
    [(action, target, before, after)] = audit_of(store, "report.update")
    assert (action, target) == ("report.update", str(report_id))
    assert before == {
        "unit_type": "party_government",
        "discovered_at": "2026-11-27T09:00:00+00:00",
        "measures": None,
        "deadline_at": "2026-11-27T11:00:00+00:00",
    }
    assert after == {
        "unit_type": "critical_infrastructure",
        "discovered_at": "2026-11-27T08:30:00+00:00",
        "measures": "已封禁 203.0.113.10，下线登录接口",
        "deadline_at": "2026-11-27T09:30:00+00:00",
    }
    # Nothing changed: nothing logged.
    with store.session() as session:
        update_report(
            session, report_id=report_id, changes={"place": None}, settings=SETTINGS, now=later, **WHO
        )
    assert len(audit_of(store, "report.update")) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"status": "closed"}, "'status' is not a field of a 通报 record"),
        ({"deadline_at": T0}, "'deadline_at' is not a field of a 通报 record"),
        ({"unit": "  "}, "unit must be a non-empty text"),
        ({"level": "V"}, "unknown level 'V'"),
        ({"unit_type": "township"}, "unknown unit type 'township'"),
        ({"discovered_at": "yesterday"}, "discovered_at must be a date and time"),
    ],
)
def test_changes_outside_the_banfa_fields_are_refused(
    store: StateStore, changes: dict[str, Any], message: str
) -> None:
    report_id = report_for(store, open_incident(store))
    with store.session() as session, pytest.raises(ReportError, match=message):
        update_report(session, report_id=report_id, changes=changes, settings=SETTINGS, now=AFTER, **WHO)


def test_a_closed_record_cannot_be_changed(store: StateStore) -> None:
    report_id = report_for(store, open_incident(store))
    for step in (ReportStatus.REPORTED, ReportStatus.HANDLING, ReportStatus.FEEDBACK, ReportStatus.CLOSED):
        move(store, report_id, step)
    with store.session() as session, pytest.raises(StateRefusedError, match=r"已结案 \(closed\)"):
        update_report(
            session, report_id=report_id, changes={"next_steps": "复测"}, settings=SETTINGS, now=AFTER, **WHO
        )


# -- inbound notices ------------------------------------------------------------------------------


def test_a_notice_goes_open_feedback_open_feedback_closed(store: StateStore) -> None:
    received = T0
    with store.session() as session:
        notice = create_notice(
            session,
            issuer="区网信办",
            reference="区网信通〔2026〕17号",
            title="政务服务门户存在 SQL 注入漏洞",
            content="经监测发现 https://portal.gov.example/login 存在 SQL 注入漏洞，请立即整改并反馈。",
            owner_unit="区政务服务数据管理局",
            asset="portal.gov.example",
            received_at=received,
            settings=SETTINGS,
            actor="security_admin",
            actor_roles=["security_admin"],
            now=received,
        )
        notice_id = notice.id
        assert (notice.status, notice.due_at) == ("open", received + dt.timedelta(days=15))
    admin: dict[str, Any] = {"actor": "network_admin", "actor_roles": ["network_admin"]}
    boss: dict[str, Any] = {"actor": "security_admin", "actor_roles": ["security_admin"]}
    day = dt.timedelta(days=1)
    with store.session() as session:
        row = notice_feedback(
            session, notice_id=notice_id, text="已修复登录接口", now=received + day, **admin
        )
        assert (row.status, row.feedback, row.feedback_by, row.feedback_at) == (
            "feedback",
            "已修复登录接口",
            "network_admin",
            received + day,
        )
    with store.session() as session:
        row = review_notice(
            session, notice_id=notice_id, accept=False, text="缺少复测报告", now=received + 2 * day, **boss
        )
        assert (row.status, row.review, row.reviewed_by) == ("open", "缺少复测报告", "security_admin")
    with store.session() as session:
        notice_feedback(
            session, notice_id=notice_id, text="附复测报告，漏洞已不可利用", now=received + 3 * day, **admin
        )
    with store.session() as session:
        row = review_notice(
            session, notice_id=notice_id, accept=True, text="整改到位", now=received + 4 * day, **boss
        )
        assert (row.status, row.review, row.reviewed_at, row.feedback) == (
            "closed",
            "整改到位",
            received + 4 * day,
            "附复测报告，漏洞已不可利用",
        )
    trail = [(a, before, after) for a, _, before, after in audit_of(store, "notice.")]
    assert [(a, (b or {}).get("status"), after["status"]) for a, b, after in trail] == [
        ("notice.create", None, "open"),
        ("notice.feedback", "open", "feedback"),
        ("notice.review", "feedback", "open"),
        ("notice.feedback", "open", "feedback"),
        ("notice.review", "feedback", "closed"),
    ]
    with store.session(readonly=True) as session:
        actors = [e.actor for e in list_audit(session, limit=100) if e.action.startswith("notice.")]
    assert actors == ["security_admin", "network_admin", "security_admin", "network_admin", "security_admin"]


def test_notice_steps_out_of_order_are_refused(store: StateStore) -> None:
    with store.session() as session:
        notice_id = create_notice(
            session,
            issuer="市公安局网安支队",
            title="弱口令",
            owner_unit="区教育局",
            received_at=T0,
            due_at=T0 + dt.timedelta(days=3),
            settings=SETTINGS,
            now=T0,
            **WHO,
        ).id
    with store.session() as session, pytest.raises(StateRefusedError, match=r"待整改 \(open\)"):
        review_notice(session, notice_id=notice_id, accept=True, text="", now=T0, **WHO)
    with store.session() as session:
        notice_feedback(session, notice_id=notice_id, text="已修改口令", now=T0, **WHO)
    with store.session() as session, pytest.raises(StateRefusedError, match=r"已反馈待审核 \(feedback\)"):
        notice_feedback(session, notice_id=notice_id, text="再次反馈", now=T0, **WHO)
    with store.session() as session, pytest.raises(ReportError, match="needs a review text"):
        review_notice(session, notice_id=notice_id, accept=False, text="  ", now=T0, **WHO)
    with store.session() as session, pytest.raises(RecordNotFoundError, match="no notice 99"):
        notice_feedback(session, notice_id=99, text="x", now=T0, **WHO)
    with store.session() as session, pytest.raises(ReportError, match="must be after"):
        create_notice(
            session,
            issuer="区网信办",
            title="t",
            owner_unit="u",
            received_at=T0,
            due_at=T0,
            settings=SETTINGS,
            now=T0,
            **WHO,
        )


def test_a_notice_is_overdue_past_its_period_until_closed(store: StateStore) -> None:
    due = T0 + dt.timedelta(days=3)
    with store.session() as session:
        notice_id = create_notice(
            session,
            issuer="区网信办",
            title="门户网站页面被篡改",
            owner_unit="区文旅局",
            received_at=T0,
            due_at=due,
            settings=SETTINGS,
            now=T0,
            **WHO,
        ).id
    with store.session(readonly=True) as session:
        [notice] = list_notices(session, now=T0)
        assert [notice_overdue(notice, t) for t in (T0, due, due + SECOND)] == [False, False, True]
        assert [n.id for n in list_notices(session, overdue=True, now=due + SECOND)] == [notice_id]
        assert list_notices(session, overdue=True, now=due) == []
    with store.session() as session:
        notice_feedback(session, notice_id=notice_id, text="已恢复页面并加固", now=due + SECOND, **WHO)
    with store.session(readonly=True) as session:
        # Feedback alone does not stop the clock: the task is done when the review accepts it.
        assert [n.id for n in list_notices(session, overdue=True, now=due + 2 * SECOND)] == [notice_id]
    with store.session() as session:
        review_notice(session, notice_id=notice_id, accept=True, text="", now=due + 2 * SECOND, **WHO)
    with store.session(readonly=True) as session:
        [notice] = list_notices(session, status=NoticeStatus.CLOSED, now=due)
        assert (notice.review, notice_overdue(notice, due + dt.timedelta(days=30))) == (None, False)
        assert list_notices(session, overdue=True, now=due + dt.timedelta(days=30)) == []
