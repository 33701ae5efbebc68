"""Alert triage through the real app: the queue, assignment, status and disposition, comments,
bulk changes, similar alerts and groups, linked events, the role guard and the operation log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import T0, Api, alert, api_for, store_alerts, store_events
from httpx2 import Response
from state_fixtures import state_url

from soc_core.events import new_event_id
from soc_core.vocabulary import ALERT_TRANSITIONS, AlertStatus, Role

__all__ = ["state_url"]

ALERTS = "/api/v1/alerts"
CLOSE_BENIGN: dict[str, Any] = {"status": "closed", "disposition": "benign"}


@pytest.fixture
def api(tmp_path: Path, state_url: str) -> Iterator[Api]:
    with api_for(tmp_path, state_url) as harness:
        yield harness


def ids(response: Response) -> list[str]:
    """The alert ids of a queue page, in order."""
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def patch(api: Api, alert_id: str, who: Role = Role.ANALYST, **body: Any) -> Response:
    """PATCH one alert as ``who``."""
    response: Response = api.send("PATCH", f"{ALERTS}/{alert_id}", who, json=body)
    return response


def ok_patch(api: Api, alert_id: str, who: Role = Role.ANALYST, **body: Any) -> dict[str, Any]:
    """PATCH one alert and insist it worked."""
    response = patch(api, alert_id, who, **body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def detail(api: Api, alert_id: str) -> dict[str, Any]:
    """GET one alert."""
    response = api.get(f"{ALERTS}/{alert_id}")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def triage_of(api: Api, alert_id: str) -> tuple[str, str | None, str | None]:
    """(status, assignee, disposition) of an alert as the API shows it."""
    shown = detail(api, alert_id)
    return shown["status"], shown["assignee"], shown["disposition"]


def audit(api: Api, **params: Any) -> list[dict[str, Any]]:
    """Operation-log entries (newest first) as the audit admin reads them."""
    response = api.get("/api/v1/audit", Role.AUDIT_ADMIN, limit=1000, **params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def changes(api: Api, alert_id: str) -> list[tuple[Any, Any]]:
    """(before, after) of every ``alert.update`` entry on ``alert_id``, oldest first."""
    entries = [e for e in audit(api, action="alert.update") if e["target"] == alert_id]
    return [(e["before"], e["after"]) for e in reversed(entries)]


def state(status: str = "new", assignee: str | None = None, disposition: str | None = None) -> dict[str, Any]:
    """The triage state an ``alert.update`` entry records."""
    return {"status": status, "assignee": assignee, "disposition": disposition}


def six(api: Api, **per_alert: dict[str, Any]) -> None:
    """Store alert-000 … alert-005 (``per_alert["a3"]`` overrides alert-003's fields)."""
    store_alerts(api.state, [alert(n, **per_alert.get(f"a{n}", {})) for n in range(6)])


# -- the queue ----------------------------------------------------------------------------------


def test_the_queue_shows_every_column_newest_first_with_the_total(api: Api) -> None:
    six(api, a3={"count": 4, "group_key": "203.0.113.11"})
    page = api.get(ALERTS)
    assert page.status_code == 200
    assert page.json()["total"] == 6
    assert ids(page) == ["alert-005", "alert-004", "alert-003", "alert-002", "alert-001", "alert-000"]
    assert page.json()["items"][2] == {
        "id": "alert-003",
        "rule_id": "rule-0",
        "rule_name": "Web attack 0",
        "severity": 5,
        "severity_label": "严重",
        "status": "new",
        "assignee": None,
        "disposition": None,
        "timestamp": "2026-11-27T09:03:00Z",
        "last_seen": "2026-11-27T09:03:30Z",
        "count": 4,
        "source_ip": "203.0.113.11",
        "destination_ip": "192.0.2.80",
        "target": "http://192.0.2.80/login",
        "attack_type": "SQL injection",
        "gb20986_category": "NAI",
        "tags": ["attack.initial_access", "attack.t1190"],
        "group_key": "203.0.113.11",
        "demo": False,
    }


def test_the_queue_filters_on_every_criterion(api: Api) -> None:
    six(
        api,
        a4={"rule_name": "Webshell upload", "attack_type": "Webshell", "target": "http://192.0.2.81/up.php"},
    )
    ok_patch(api, "alert-001", status="in_progress", assignee="analyst")
    ok_patch(api, "alert-002", assignee="security_admin", **CLOSE_BENIGN)
    cases: dict[str, dict[str, Any]] = {
        "status new": {"status": "new"},
        "status in_progress": {"status": "in_progress"},
        "status closed": {"status": "closed"},
        "severity_min 4": {"severity_min": 4},
        "severity_min 5": {"severity_min": 5},
        "rule": {"rule_id": "rule-1"},
        "assignee analyst": {"assignee": "analyst"},
        "assignee security_admin": {"assignee": "security_admin"},
        "unassigned": {"assignee": "none"},
        "source": {"source_ip": "203.0.113.11"},
        "text in rule name, any case": {"q": "WEBSHELL up"},
        "text in target": {"q": "up.php"},
        "text in attack type": {"q": "sql inj"},
        "text is a rule id": {"q": "rule-2"},
        "part of a rule id is not enough": {"q": "rule-"},
        "seen at or after from": {"from": "2026-11-27T09:03:31Z"},
        "started before to": {"to": "2026-11-27T09:02:00Z"},
        "overlapping the window": {"from": "2026-11-27T09:01:30Z", "to": "2026-11-27T09:03:00Z"},
        "combined": {"status": "new", "source_ip": "203.0.113.10"},
        "nothing": {"rule_id": "rule-9"},
    }
    got = {name: ids(api.get(ALERTS, **params)) for name, params in cases.items()}
    assert got == {
        "status new": ["alert-005", "alert-004", "alert-003", "alert-000"],
        "status in_progress": ["alert-001"],
        "status closed": ["alert-002"],
        "severity_min 4": ["alert-003", "alert-002"],
        "severity_min 5": ["alert-003"],
        "rule": ["alert-004", "alert-001"],
        "assignee analyst": ["alert-001"],
        "assignee security_admin": ["alert-002"],
        "unassigned": ["alert-005", "alert-004", "alert-003", "alert-000"],
        "source": ["alert-005", "alert-003", "alert-001"],
        "text in rule name, any case": ["alert-004"],
        "text in target": ["alert-004"],
        "text in attack type": ["alert-005", "alert-003", "alert-002", "alert-001", "alert-000"],
        "text is a rule id": ["alert-005", "alert-002"],
        "part of a rule id is not enough": [],
        "seen at or after from": ["alert-005", "alert-004"],
        "started before to": ["alert-001", "alert-000"],
        "overlapping the window": ["alert-002", "alert-001"],
        "combined": ["alert-004", "alert-000"],
        "nothing": [],
    }
    # ``total`` counts the filtered set, not the whole queue.
    assert api.get(ALERTS, status="new", limit=1).json()["total"] == 4
    assert api.get(ALERTS, severity_min=0).status_code == 422
    assert api.get(ALERTS, status="done").status_code == 422


def test_text_search_takes_underscore_and_percent_literally(api: Api) -> None:
    six(api, a2={"rule_name": "Upload to /cgi_bin"})
    assert ids(api.get(ALERTS, q="_")) == ["alert-002"]
    assert ids(api.get(ALERTS, q="100%")) == []


def test_the_queue_sorts_on_each_key_both_ways(api: Api) -> None:
    counts = [7, 3, 9, 1, 5, 2]
    six(api, **{f"a{n}": {"count": c} for n, c in enumerate(counts)})
    # Severities: 000 2, 001 3, 002 4, 003 5, 004 2, 005 3; ties go to the most recently seen.
    got = {
        (sort, order): ids(api.get(ALERTS, sort=sort, order=order))
        for sort in ("severity", "count", "last_seen", "timestamp")
        for order in ("asc", "desc")
    }
    ascending = [f"alert-00{n}" for n in range(6)]
    assert got == {
        ("severity", "desc"): ["alert-003", "alert-002", "alert-005", "alert-001", "alert-004", "alert-000"],
        ("severity", "asc"): ["alert-004", "alert-000", "alert-005", "alert-001", "alert-002", "alert-003"],
        ("count", "desc"): ["alert-002", "alert-000", "alert-004", "alert-001", "alert-005", "alert-003"],
        ("count", "asc"): ["alert-003", "alert-005", "alert-001", "alert-004", "alert-000", "alert-002"],
        ("last_seen", "asc"): ascending,
        ("last_seen", "desc"): ascending[::-1],
        ("timestamp", "asc"): ascending,
        ("timestamp", "desc"): ascending[::-1],
    }
    assert api.get(ALERTS, sort="rule_id").status_code == 422
    assert api.get(ALERTS, order="up").status_code == 422


def test_the_queue_pages_with_limit_and_offset(api: Api) -> None:
    six(api)
    pages = [api.get(ALERTS, limit=2, offset=offset).json() for offset in (0, 2, 4, 6)]
    assert [page["total"] for page in pages] == [6, 6, 6, 6]
    assert [[item["id"] for item in page["items"]] for page in pages] == [
        ["alert-005", "alert-004"],
        ["alert-003", "alert-002"],
        ["alert-001", "alert-000"],
        [],
    ]
    filtered = api.get(ALERTS, source_ip="203.0.113.10", sort="timestamp", order="asc", limit=2, offset=1)
    assert filtered.json()["total"] == 3
    assert ids(filtered) == ["alert-002", "alert-004"]
    assert api.get(ALERTS, limit=0).status_code == 422
    assert api.get(ALERTS, limit=1001).status_code == 422
    assert api.get(ALERTS, offset=-1).status_code == 422


# -- changes --------------------------------------------------------------------------------------


def test_assigning_checks_the_account_and_empty_or_null_unassigns(api: Api) -> None:
    six(api)
    assert ok_patch(api, "alert-000", assignee="analyst")["assignee"] == "analyst"
    # The account's own spelling is kept; the same person again is no change.
    assert ok_patch(api, "alert-000", assignee="ANALYST")["assignee"] == "analyst"
    assert ok_patch(api, "alert-000", assignee="security_admin")["assignee"] == "security_admin"
    assert ok_patch(api, "alert-000", assignee="")["assignee"] is None
    assert ok_patch(api, "alert-000", assignee="analyst")["assignee"] == "analyst"
    assert ok_patch(api, "alert-000", assignee=None)["assignee"] is None
    for who in ("network_admin", "compliance_officer", "system_admin", "nobody"):
        refused = patch(api, "alert-000", assignee=who)
        assert refused.status_code == 400
        assert refused.json() == {"detail": f"'{who}' is not an enabled analyst or security admin"}
    assert triage_of(api, "alert-000") == ("new", None, None)
    assert changes(api, "alert-000") == [
        (state(), state(assignee="analyst")),
        (state(assignee="analyst"), state(assignee="security_admin")),
        (state(assignee="security_admin"), state()),
        (state(), state(assignee="analyst")),
        (state(assignee="analyst"), state()),
    ]
    entry = audit(api, action="alert.update")[0]
    assert (entry["actor"], entry["actor_roles"], entry["outcome"], entry["detail"]) == (
        "analyst",
        ["analyst"],
        "success",
        None,
    )


def test_only_enabled_triage_accounts_can_be_assigned(api: Api) -> None:
    six(api)
    made = api.send(
        "POST",
        "/api/v1/users",
        Role.SYSTEM_ADMIN,
        json={"username": "wangwu", "password": "Wang-Wu-Secure-2026", "roles": ["analyst"]},
    )
    assert made.status_code == 201, made.text
    listed = api.get("/api/v1/users/assignable").json()["items"]
    assert [u["username"] for u in listed] == ["analyst", "security_admin", "wangwu"]
    assert ok_patch(api, "alert-001", assignee="wangwu")["assignee"] == "wangwu"
    disabled = api.send("PATCH", "/api/v1/users/wangwu", Role.SYSTEM_ADMIN, json={"disabled": True})
    assert disabled.status_code == 200, disabled.text
    assert [u["username"] for u in api.get("/api/v1/users/assignable").json()["items"]] == [
        "analyst",
        "security_admin",
    ]
    refused = patch(api, "alert-002", assignee="wangwu")
    assert refused.status_code == 400
    assert refused.json()["detail"] == "'wangwu' is not an enabled analyst or security admin"


def test_status_moves_exactly_as_the_transition_table_allows(api: Api) -> None:
    allowed = {("new", "in_progress"), ("new", "closed"), ("in_progress", "new"), ("in_progress", "closed")}
    allowed.add(("closed", "in_progress"))
    assert {(a.value, b.value) for a, targets in ALERT_TRANSITIONS.items() for b in targets} == allowed
    pairs = [(a.value, b.value) for a in AlertStatus for b in AlertStatus if a is not b]
    store_alerts(api.state, [alert(n) for n in range(len(pairs))])
    outcomes: dict[tuple[str, str], tuple[int, str]] = {}
    for n, (start, goal) in enumerate(pairs):
        alert_id = f"alert-{n:03d}"
        if start != "new":
            ok_patch(api, alert_id, status=start, disposition="benign" if start == "closed" else None)
        body: dict[str, Any] = {"status": goal}
        if goal == "closed":
            body["disposition"] = "true_positive"
        response = patch(api, alert_id, **body)
        outcomes[(start, goal)] = (response.status_code, triage_of(api, alert_id)[0])
        if response.status_code == 400:
            assert response.json() == {"detail": f"alert {alert_id}: cannot go from {start} to {goal}"}
    assert outcomes == {pair: (200, pair[1]) if pair in allowed else (400, pair[0]) for pair in pairs}


def test_closing_needs_a_disposition_and_reopening_clears_it(api: Api) -> None:
    six(api)
    message = "alert alert-000: closing needs a disposition (true_positive, false_positive or benign)"
    refused = patch(api, "alert-000", status="closed")
    assert (refused.status_code, refused.json()) == (400, {"detail": message})
    ok_patch(api, "alert-000", status="in_progress", assignee="analyst")
    refused = patch(api, "alert-000", status="closed", comment="done")
    assert (refused.status_code, refused.json()) == (400, {"detail": message})
    # The refused change left nothing behind: not the status, not the comment.
    assert triage_of(api, "alert-000") == ("in_progress", "analyst", None)
    assert detail(api, "alert-000")["comments"] == []
    closed = ok_patch(api, "alert-000", status="closed", disposition="false_positive")
    assert (closed["status"], closed["disposition"]) == ("closed", "false_positive")
    # A closed alert may have its verdict corrected, and never loses it while closed.
    assert ok_patch(api, "alert-000", disposition="true_positive")["disposition"] == "true_positive"
    reopened = ok_patch(api, "alert-000", status="in_progress")
    assert (reopened["status"], reopened["disposition"]) == ("in_progress", None)
    assert changes(api, "alert-000") == [
        (state(), state("in_progress", "analyst")),
        (state("in_progress", "analyst"), state("closed", "analyst", "false_positive")),
        (state("closed", "analyst", "false_positive"), state("closed", "analyst", "true_positive")),
        (state("closed", "analyst", "true_positive"), state("in_progress", "analyst")),
    ]
    # Each refusal is in the log too, as the middleware's generic failure entry.
    failures = audit(api, action="http.patch", outcome="failure")
    assert [(e["actor"], e["target"], e["detail"]) for e in failures] == [
        ("analyst", "/api/v1/alerts/alert-000", {"status": 400, "method": "PATCH"}),
        ("analyst", "/api/v1/alerts/alert-000", {"status": 400, "method": "PATCH"}),
    ]


def test_only_a_closed_alert_carries_a_disposition(api: Api) -> None:
    six(api)
    ok_patch(api, "alert-001", **CLOSE_BENIGN)
    patch(api, "alert-000", disposition="benign")
    patch(api, "alert-001", status="in_progress", disposition="true_positive")
    for alert_id in ("alert-000", "alert-001"):
        status, _, disposition = triage_of(api, alert_id)
        assert status == "closed" or disposition is None, (alert_id, status, disposition)


def test_unknown_alerts_and_bad_bodies_are_refused(api: Api) -> None:
    six(api)
    missing = patch(api, "alert-999", status="in_progress")
    assert (missing.status_code, missing.json()) == (404, {"detail": "no alert 'alert-999'"})
    assert api.get(f"{ALERTS}/alert-999").status_code == 404
    assert patch(api, "alert-000", status="done").status_code == 422
    assert patch(api, "alert-000", disposition="maybe").status_code == 422
    assert patch(api, "alert-000", assignee="x" * 65).status_code == 422
    assert triage_of(api, "alert-000") == ("new", None, None)


def test_a_comment_in_the_change_shows_in_the_detail_and_the_log(api: Api) -> None:
    six(api)
    changed = ok_patch(api, "alert-001", status="in_progress", comment="源地址为扫描器，继续观察")
    assert changed["status"] == "in_progress"
    ok_patch(api, "alert-001", Role.SECURITY_ADMIN, comment="已通知网络管理员封禁")
    comments = detail(api, "alert-001")["comments"]
    assert [(c["author"], c["text"]) for c in comments] == [
        ("analyst", "源地址为扫描器，继续观察"),
        ("security_admin", "已通知网络管理员封禁"),
    ]
    assert comments[0]["id"] < comments[1]["id"]
    entries = [e for e in audit(api, action="alert.update") if e["target"] == "alert-001"]
    assert [(e["actor"], e["before"], e["after"], e["detail"]) for e in entries] == [
        (
            "security_admin",
            state("in_progress"),
            state("in_progress"),
            {"comment": "已通知网络管理员封禁", "bulk": False},
        ),
        ("analyst", state(), state("in_progress"), {"comment": "源地址为扫描器，继续观察", "bulk": False}),
    ]
    assert detail(api, "alert-000")["comments"] == []


def test_a_detection_update_keeps_what_triage_decided(api: Api) -> None:
    six(api)
    ok_patch(api, "alert-001", assignee="analyst", status="closed", disposition="true_positive")
    later = T0 + dt.timedelta(hours=2)
    store_alerts(api.state, [alert(1, count=12, last_seen=later, severity=5)])
    shown = detail(api, "alert-001")
    assert (shown["status"], shown["assignee"], shown["disposition"]) == (
        "closed",
        "analyst",
        "true_positive",
    )
    assert (shown["count"], shown["last_seen"], shown["severity"]) == (12, "2026-11-27T11:00:00Z", 5)
    assert ids(api.get(ALERTS, status="closed", assignee="analyst")) == ["alert-001"]


# -- bulk -----------------------------------------------------------------------------------------


def bulk(api: Api, who: Role = Role.ANALYST, **body: Any) -> Response:
    """POST a bulk change."""
    response: Response = api.send("POST", f"{ALERTS}/bulk", who, json=body)
    return response


def test_bulk_changes_every_alert_and_logs_each(api: Api) -> None:
    six(api)
    done = bulk(
        api,
        ids=["alert-000", "alert-001", "alert-002", "alert-001"],
        status="in_progress",
        assignee="analyst",
        comment="同一扫描源，批量处理",
    )
    assert (done.status_code, done.json()) == (200, {"updated": 3})
    assert [triage_of(api, f"alert-00{n}") for n in range(4)] == [
        ("in_progress", "analyst", None),
        ("in_progress", "analyst", None),
        ("in_progress", "analyst", None),
        ("new", None, None),
    ]
    assert [c["text"] for c in detail(api, "alert-001")["comments"]] == ["同一扫描源，批量处理"]
    entries = audit(api, action="alert.update")
    assert sorted((e["target"], e["actor"]) for e in entries) == [
        ("alert-000", "analyst"),
        ("alert-001", "analyst"),
        ("alert-002", "analyst"),
    ]
    assert [(e["before"], e["after"]) for e in entries] == [(state(), state("in_progress", "analyst"))] * 3
    assert [e["detail"] for e in entries] == [{"comment": "同一扫描源，批量处理", "bulk": True}] * 3
    closed = bulk(api, ids=["alert-000", "alert-001"], **CLOSE_BENIGN)
    assert closed.json() == {"updated": 2}
    assert triage_of(api, "alert-001") == ("closed", "analyst", "benign")
    assert bulk(api, ids=[]).status_code == 422


def test_bulk_with_an_unknown_alert_changes_none(api: Api) -> None:
    six(api)
    refused = bulk(api, ids=["alert-000", "alert-999", "alert-001"], assignee="analyst", comment="x")
    assert (refused.status_code, refused.json()) == (404, {"detail": "no alert 'alert-999'"})
    assert [triage_of(api, f"alert-00{n}") for n in (0, 1)] == [("new", None, None)] * 2
    assert detail(api, "alert-000")["comments"] == []
    assert audit(api, action="alert.update") == []
    failure = audit(api, action="http.post", outcome="failure")
    assert [(e["target"], e["detail"]) for e in failure] == [
        ("/api/v1/alerts/bulk", {"status": 404, "method": "POST"})
    ]


def test_bulk_with_one_refused_transition_changes_none(api: Api) -> None:
    six(api)
    ok_patch(api, "alert-001", status="in_progress")
    ok_patch(api, "alert-002", **CLOSE_BENIGN)
    refused = bulk(api, ids=["alert-000", "alert-001", "alert-002"], status="new", assignee="analyst")
    assert (refused.status_code, refused.json()) == (
        400,
        {"detail": "alert alert-002: cannot go from closed to new"},
    )
    # alert-000 and alert-001 were changed in memory before alert-002 failed: none of it stays.
    assert [triage_of(api, f"alert-00{n}") for n in (0, 1, 2)] == [
        ("new", None, None),
        ("in_progress", None, None),
        ("closed", None, "benign"),
    ]
    assert len(audit(api, action="alert.update")) == 2  # the two set-up changes only


def test_bulk_counts_only_the_alerts_it_changed(api: Api) -> None:
    six(api)
    ok_patch(api, "alert-001", status="in_progress")
    done = bulk(api, ids=["alert-000", "alert-001"], status="in_progress")
    assert len([e for e in audit(api, action="alert.update") if e["target"] == "alert-000"]) == 1
    assert done.json() == {"updated": 1}


# -- comments, similar alerts, groups, linked events ----------------------------------------------


def test_the_comments_route(api: Api) -> None:
    six(api)
    first = api.send("POST", f"{ALERTS}/alert-002/comments", json={"text": "已确认为误报候选"})
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["author"], body["text"]) == ("analyst", "已确认为误报候选")
    assert dt.datetime.fromisoformat(body["created_at"]).tzinfo is not None
    second = api.send("POST", f"{ALERTS}/alert-002/comments", Role.SECURITY_ADMIN, json={"text": "同意"})
    assert second.status_code == 201
    shown = detail(api, "alert-002")["comments"]
    assert [(c["id"], c["author"], c["text"]) for c in shown] == [
        (body["id"], "analyst", "已确认为误报候选"),
        (second.json()["id"], "security_admin", "同意"),
    ]
    entries = audit(api, action="alert.comment")
    assert [(e["actor"], e["target"], e["detail"]) for e in entries] == [
        ("security_admin", "alert-002", {"comment": "同意"}),
        ("analyst", "alert-002", {"comment": "已确认为误报候选"}),
    ]
    missing = api.send("POST", f"{ALERTS}/alert-999/comments", json={"text": "x"})
    assert (missing.status_code, missing.json()) == (404, {"detail": "no alert 'alert-999'"})
    assert api.send("POST", f"{ALERTS}/alert-002/comments", json={"text": ""}).status_code == 422
    readonly = api.send("POST", f"{ALERTS}/alert-002/comments", Role.NETWORK_ADMIN, json={"text": "x"})
    assert readonly.status_code == 403
    assert len(detail(api, "alert-002")["comments"]) == 2


def test_similar_alerts_share_rule_and_source_and_exclude_the_alert_itself(api: Api) -> None:
    # rule-0 fires on n = 0, 3, 6, 9, 12, 15; the source alternates .10 / .11 with n.
    store_alerts(
        api.state,
        [alert(n) for n in (0, 1, 3, 6, 9, 18)]
        + [alert(12, source_ip=None), alert(15, source_ip=None), alert(4, source_ip=None)],
    )

    def similar(alert_id: str) -> list[str]:
        return ids(api.get(f"{ALERTS}/{alert_id}/similar"))

    assert {a: similar(a) for a in ("alert-000", "alert-003", "alert-012", "alert-001")} == {
        "alert-000": ["alert-018", "alert-006"],
        "alert-003": ["alert-009"],
        "alert-012": ["alert-015"],
        "alert-001": [],
    }
    missing = api.get(f"{ALERTS}/alert-999/similar")
    assert (missing.status_code, missing.json()) == (404, {"detail": "no alert 'alert-999'"})


def test_groups_count_alerts_per_status_and_sum_matches(api: Api) -> None:
    store_alerts(
        api.state,
        [alert(0, count=4), alert(6, count=3), alert(3, count=2), alert(1), alert(9, count=5)],
    )
    ok_patch(api, "alert-006", status="in_progress")
    ok_patch(api, "alert-009", **CLOSE_BENIGN)
    groups = api.get(f"{ALERTS}/groups")
    assert groups.status_code == 200
    assert groups.json()["items"] == [
        {
            "rule_id": "rule-0",
            "rule_name": "Web attack 0",
            "source_ip": "203.0.113.11",
            "severity": 5,
            "alerts": 2,
            "matches": 7,
            "last_seen": "2026-11-27T09:09:30Z",
            "statuses": {"new": 1, "closed": 1},
        },
        {
            "rule_id": "rule-0",
            "rule_name": "Web attack 0",
            "source_ip": "203.0.113.10",
            "severity": 4,
            "alerts": 2,
            "matches": 7,
            "last_seen": "2026-11-27T09:06:30Z",
            "statuses": {"new": 1, "in_progress": 1},
        },
        {
            "rule_id": "rule-1",
            "rule_name": "Web attack 1",
            "source_ip": "203.0.113.11",
            "severity": 3,
            "alerts": 1,
            "matches": 1,
            "last_seen": "2026-11-27T09:01:30Z",
            "statuses": {"new": 1},
        },
    ]
    only_new = api.get(f"{ALERTS}/groups", status="new").json()["items"]
    assert [(g["source_ip"], g["alerts"], g["matches"], g["severity"], g["statuses"]) for g in only_new] == [
        ("203.0.113.11", 1, 2, 5, {"new": 1}),
        ("203.0.113.11", 1, 1, 3, {"new": 1}),
        ("203.0.113.10", 1, 4, 2, {"new": 1}),
    ]


def test_the_detail_carries_the_events_the_alert_was_raised_on(api: Api) -> None:
    event_ids = [new_event_id() for _ in range(3)]
    store_alerts(api.state, [alert(1, event_ids=event_ids[:2], count=2), alert(2)])
    store_events(
        api.events,
        [
            {
                "@timestamp": (T0 + dt.timedelta(minutes=1, seconds=s)).isoformat(),
                "event": {"id": event_id, "dataset": "waf.modsecurity", "action": "block"},
                "source": {"ip": "203.0.113.11"},
                "url": {"original": f"/login?id={s}"},
            }
            for s, event_id in zip((0, 20, 25), event_ids, strict=True)
        ],
    )
    shown = detail(api, "alert-001")
    assert shown["event_ids"] == event_ids[:2]
    assert shown["events"] == [
        {
            "@timestamp": "2026-11-27T09:01:00Z",
            "event": {"id": event_ids[0], "dataset": "waf.modsecurity", "action": "block"},
            "source": {"ip": "203.0.113.11"},
            "url": {"original": "/login?id=0"},
        },
        {
            "@timestamp": "2026-11-27T09:01:20Z",
            "event": {"id": event_ids[1], "dataset": "waf.modsecurity", "action": "block"},
            "source": {"ip": "203.0.113.11"},
            "url": {"original": "/login?id=20"},
        },
    ]
    assert (shown["techniques"], shown["incident_ids"], shown["comments"]) == (["T1190"], [], [])
    assert detail(api, "alert-002")["events"] == []


# -- roles ----------------------------------------------------------------------------------------


def test_read_only_roles_read_but_cannot_change_and_admins_cannot_read(api: Api) -> None:
    six(api)
    for reader in (Role.NETWORK_ADMIN, Role.COMPLIANCE_OFFICER):
        assert api.get(ALERTS, reader).json()["total"] == 6
        assert api.get(f"{ALERTS}/alert-000", reader).status_code == 200
        assert api.get(f"{ALERTS}/groups", reader).status_code == 200
        refused = patch(api, "alert-000", reader, status="in_progress")
        assert (refused.status_code, refused.json()) == (
            403,
            {"detail": "your roles do not grant alerts:triage"},
        )
        assert bulk(api, reader, ids=["alert-000"], status="in_progress").status_code == 403
    for admin in (Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN):
        denied = api.get(ALERTS, admin)
        assert (denied.status_code, denied.json()) == (403, {"detail": "your roles do not grant alerts:read"})
        assert api.get(f"{ALERTS}/alert-000", admin).status_code == 403
    assert triage_of(api, "alert-000") == ("new", None, None)
    assert audit(api, action="alert.update") == []
    refusals = audit(api, action="http.patch")
    assert [(e["actor"], e["actor_roles"], e["target"], e["outcome"], e["detail"]) for e in refusals] == [
        (
            "compliance_officer",
            ["compliance_officer"],
            "/api/v1/alerts/alert-000",
            "failure",
            {"status": 403, "method": "PATCH"},
        ),
        (
            "network_admin",
            ["network_admin"],
            "/api/v1/alerts/alert-000",
            "failure",
            {"status": 403, "method": "PATCH"},
        ),
    ]
