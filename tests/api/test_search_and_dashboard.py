"""Event search helpers (field sidebar, histogram), saved queries, the dashboard, log sources and
the operation log, through the real app over real stores."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import T0, Api, alert, api_for, store_alerts, store_events
from httpx2 import Response
from state_fixtures import state_url

from soc_api.sources.service import source_health
from soc_core.state.alerts import RuleHealthEntry, record_rule_health
from soc_core.vocabulary import Role

__all__ = ["state_url"]

HOUR = {"from": "2026-11-27T09:00:00Z", "to": "2026-11-27T10:00:00Z"}
FW, WAF = "fortigate.traffic", "waf.modsecurity"
SOURCE_IPS = ["203.0.113.10"] * 6 + ["203.0.113.11"] * 5 + ["198.51.100.7"] * 4
SOURCE_IPS += ["198.51.100.8"] * 2 + ["192.0.2.9"] * 2 + ["192.0.2.200"]


@pytest.fixture
def api(tmp_path: Path, state_url: str) -> Iterator[Api]:
    with api_for(tmp_path, state_url) as harness:
        yield harness


@pytest.fixture
def events_api(tmp_path: Path) -> Iterator[Api]:
    """The app on SQLite only: these routes read the event store, never the StateStore's tables."""
    with api_for(tmp_path, f"sqlite:///{tmp_path / 'state.db'}") as harness:
        yield harness


def at(seconds: float) -> str:
    """T0 plus ``seconds``, ISO-8601."""
    moment: dt.datetime = T0 + dt.timedelta(seconds=seconds)
    return moment.isoformat()


def json_of(response: Response, status: int = 200) -> Any:
    """The JSON body of a response that must have ``status``."""
    assert response.status_code == status, response.text
    return response.json()


def twenty_events() -> list[dict[str, Any]]:
    """12 firewall events from 09:00 to 09:11, then 8 WAF events from 09:22 to 09:29."""
    docs: list[dict[str, Any]] = []
    for i, source_ip in enumerate(SOURCE_IPS):
        firewall = i < 12
        doc: dict[str, Any] = {
            "@timestamp": at(60 * (i if firewall else i + 10)),
            "event": {"dataset": FW if firewall else WAF, "category": ["network"] if firewall else ["web"]},
            "observer": {"hostname": "fw01.example.com" if firewall else "waf01.example.com"},
            "source": {"ip": source_ip},
            "destination": {"ip": "192.0.2.80", "port": 443 if firewall else 80},
            "message": f"record {i}",
        }
        if not firewall:
            doc["event"]["risk_score"] = 0.1234567
            doc["http"] = {"response": {"status_code": 403 if i < 17 else 200}}
            if i >= 17:
                doc["event"]["category"].append("intrusion_detection")
        docs.append(doc)
    # Outside the hour every query below asks about.
    docs.append({"@timestamp": at(7200), "event": {"dataset": FW}, "source": {"ip": "203.0.113.99"}})
    return docs


# -- events: the field sidebar and the histogram -----------------------------------------------------


def test_fields_count_carriers_and_top_values(events_api: Api) -> None:
    store_events(events_api.events, twenty_events())
    summary = json_of(events_api.get("/api/v1/events/fields", **HOUR))
    assert summary["sampled"] == 20
    fields = {f["name"]: f for f in summary["fields"]}
    assert [f["name"] for f in summary["fields"]] == [
        "@timestamp",
        "destination.ip",
        "destination.port",
        "event.category",
        "event.dataset",
        "message",
        "observer.hostname",
        "source.ip",
        "event.risk_score",
        "http.response.status_code",
    ]
    assert fields["event.dataset"] == {
        "name": "event.dataset",
        "count": 20,
        "top": [{"value": FW, "count": 12}, {"value": WAF, "count": 8}],
    }
    assert fields["destination.port"]["top"] == [{"value": 443, "count": 12}, {"value": 80, "count": 8}]
    # A list field counts each of its values; the event carrying it once.
    assert fields["event.category"] == {
        "name": "event.category",
        "count": 20,
        "top": [
            {"value": "network", "count": 12},
            {"value": "web", "count": 8},
            {"value": "intrusion_detection", "count": 3},
        ],
    }
    # At most five values; the sixth (192.0.2.200, once) is left out.
    top_sources = fields["source.ip"]["top"]
    assert [v["count"] for v in top_sources] == [6, 5, 4, 2, 2]
    assert [v["value"] for v in top_sources[:3]] == ["203.0.113.10", "203.0.113.11", "198.51.100.7"]
    assert {v["value"] for v in top_sources[3:]} == {"198.51.100.8", "192.0.2.9"}
    assert fields["http.response.status_code"] == {
        "name": "http.response.status_code",
        "count": 8,
        "top": [{"value": 403, "count": 5}, {"value": 200, "count": 3}],
    }
    assert fields["event.risk_score"]["top"] == [{"value": 0.123457, "count": 8}]
    # Free text is counted but has no top values.
    assert fields["message"] == {"name": "message", "count": 20, "top": []}
    waf_only = json_of(events_api.get("/api/v1/events/fields", q=f"event.dataset:{WAF}", **HOUR))
    assert waf_only["sampled"] == 8
    assert {f["name"]: f["count"] for f in waf_only["fields"]}["observer.hostname"] == 8
    everything = json_of(events_api.get("/api/v1/events/fields"))
    assert everything["sampled"] == 21
    bad = events_api.get("/api/v1/events/fields", q="source.ip:(203.0.113.10")
    assert bad.status_code == 400 and "unclosed parenthesis" in bad.json()["detail"]
    assert events_api.get("/api/v1/events/fields", Role.AUDIT_ADMIN).status_code == 403


def test_histogram_buckets_over_an_explicit_window(events_api: Api) -> None:
    store_events(events_api.events, twenty_events())

    def buckets(**params: Any) -> tuple[str, list[tuple[str, int]]]:
        body = json_of(events_api.get("/api/v1/events/histogram", **params))
        return body["interval"], [(b["t"], b["count"]) for b in body["buckets"]]

    # Empty buckets between the first and the last are filled with 0.
    assert buckets(interval="5m", **HOUR) == (
        "5m",
        [
            ("2026-11-27T09:00:00Z", 5),
            ("2026-11-27T09:05:00Z", 5),
            ("2026-11-27T09:10:00Z", 2),
            ("2026-11-27T09:15:00Z", 0),
            ("2026-11-27T09:20:00Z", 3),
            ("2026-11-27T09:25:00Z", 5),
        ],
    )
    assert buckets(interval="10m", q=f"event.dataset:{WAF}", **HOUR) == ("10m", [("2026-11-27T09:20:00Z", 8)])
    assert buckets(interval="1h", **HOUR) == ("1h", [("2026-11-27T09:00:00Z", 20)])
    interval, per_minute = buckets(**HOUR)  # auto: about 60 bars over the hour
    assert interval == "1m"
    assert len(per_minute) == 30
    assert [c for _, c in per_minute] == [1] * 12 + [0] * 10 + [1] * 8
    assert buckets(interval="5m", **{"from": "2026-11-27T09:12:00Z", "to": "2026-11-27T09:20:00Z"}) == (
        "5m",
        [],
    )
    # Naive times are UTC.
    assert buckets(interval="1h", **{"from": "2026-11-27T09:00:00", "to": "2026-11-27T10:00:00"})[1] == [
        ("2026-11-27T09:00:00Z", 20)
    ]


def test_histogram_refuses_bad_windows_queries_and_intervals(events_api: Api) -> None:
    url = "/api/v1/events/histogram"
    for window in (HOUR["to"], HOUR["from"]), (HOUR["from"], HOUR["from"]):
        refused = events_api.get(url, **{"from": window[0], "to": window[1]})
        assert (refused.status_code, refused.json()) == (400, {"detail": "'from' must be before 'to'"})
    bad = events_api.get(url, q="source.ip:(203.0.113.10", **HOUR)
    assert bad.status_code == 400
    assert bad.json()["detail"] == (
        "column 24: query ends unexpectedly: check for an unclosed parenthesis or bracket, "
        "or a trailing AND/OR/NOT"
    )
    zero = events_api.get(url, interval="0m", **HOUR)
    assert (zero.status_code, zero.json()) == (400, {"detail": "interval must be positive"})
    for interval in ("5x", "m", "10000s", "1w"):
        assert events_api.get(url, interval=interval, **HOUR).status_code == 422, interval


# -- saved queries --------------------------------------------------------------------------------


def save(api: Api, who: Role, name: str, query: str, *, shared: bool = False) -> Response:
    """POST a saved query as ``who``."""
    response: Response = api.send(
        "POST", "/api/v1/queries", who, json={"name": name, "query": query, "shared": shared}
    )
    return response


def test_saved_queries_are_private_unless_shared(api: Api) -> None:
    mine = json_of(save(api, Role.ANALYST, "mine", "source.ip:203.0.113.10"), 201)
    assert {k: mine[k] for k in ("name", "query", "owner", "shared")} == {
        "name": "mine",
        "query": "source.ip:203.0.113.10",
        "owner": "analyst",
        "shared": False,
    }
    team = json_of(save(api, Role.ANALYST, "team", "event.action:deny", shared=True), 201)
    theirs = json_of(save(api, Role.NETWORK_ADMIN, "theirs-private", "observer.hostname:fw01"), 201)
    shared = json_of(
        save(api, Role.NETWORK_ADMIN, "theirs-shared", "event.dataset:fortigate.*", shared=True), 201
    )
    # Names are unique per owner, not across owners.
    same_name = json_of(save(api, Role.NETWORK_ADMIN, "mine", "*"), 201)
    duplicate = save(api, Role.ANALYST, "mine", "other")
    assert (duplicate.status_code, duplicate.json()) == (
        409,
        {"detail": "you already have a saved query named 'mine'"},
    )

    def listed(who: Role) -> list[tuple[str, str]]:
        return [(q["owner"], q["name"]) for q in json_of(api.get("/api/v1/queries", who))["items"]]

    assert listed(Role.ANALYST) == [
        ("analyst", "mine"),
        ("analyst", "team"),
        ("network_admin", "theirs-shared"),
    ]
    assert listed(Role.NETWORK_ADMIN) == [
        ("network_admin", "mine"),
        ("analyst", "team"),
        ("network_admin", "theirs-private"),
        ("network_admin", "theirs-shared"),
    ]
    assert listed(Role.SECURITY_ADMIN) == [("analyst", "team"), ("network_admin", "theirs-shared")]

    def delete(who: Role, query_id: int) -> Response:
        response: Response = api.send("DELETE", f"/api/v1/queries/{query_id}", who)
        return response

    forbidden = delete(Role.ANALYST, shared["id"])
    assert (forbidden.status_code, forbidden.json()) == (
        403,
        {"detail": f"saved query {shared['id']} belongs to network_admin"},
    )
    hidden = delete(Role.ANALYST, theirs["id"])
    assert (hidden.status_code, hidden.json()) == (404, {"detail": f"no saved query {theirs['id']}"})
    assert delete(Role.ANALYST, 9999).status_code == 404
    removed = delete(Role.ANALYST, mine["id"])
    assert (removed.status_code, removed.content) == (204, b"")
    assert delete(Role.ANALYST, mine["id"]).status_code == 404
    assert listed(Role.ANALYST) == [("analyst", "team"), ("network_admin", "theirs-shared")]
    assert delete(Role.NETWORK_ADMIN, same_name["id"]).status_code == 204
    saves = json_of(api.get("/api/v1/audit", Role.AUDIT_ADMIN, action="query.save"))["items"]
    assert [(e["actor"], e["target"], e["after"]) for e in reversed(saves)] == [
        ("analyst", str(mine["id"]), {"name": "mine", "query": "source.ip:203.0.113.10", "shared": False}),
        ("analyst", str(team["id"]), {"name": "team", "query": "event.action:deny", "shared": True}),
        (
            "network_admin",
            str(theirs["id"]),
            {"name": "theirs-private", "query": "observer.hostname:fw01", "shared": False},
        ),
        (
            "network_admin",
            str(shared["id"]),
            {"name": "theirs-shared", "query": "event.dataset:fortigate.*", "shared": True},
        ),
        ("network_admin", str(same_name["id"]), {"name": "mine", "query": "*", "shared": False}),
    ]
    deletes = json_of(api.get("/api/v1/audit", Role.AUDIT_ADMIN, action="query.delete"))["items"]
    assert [(e["actor"], e["target"], e["before"]) for e in reversed(deletes)] == [
        ("analyst", str(mine["id"]), {"name": "mine", "query": "source.ip:203.0.113.10", "shared": False}),
        ("network_admin", str(same_name["id"]), {"name": "mine", "query": "*", "shared": False}),
    ]
    for who in (Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN, Role.COMPLIANCE_OFFICER):
        assert api.get("/api/v1/queries", who).status_code == 403
        refused = save(api, who, "x", "*")
        assert (refused.status_code, refused.json()) == (
            403,
            {"detail": "your roles do not grant queries:manage"},
        )
        assert delete(who, team["id"]).status_code == 403
    assert listed(Role.ANALYST) == [("analyst", "team"), ("network_admin", "theirs-shared")]
    assert save(api, Role.ANALYST, "", "*").status_code == 422


# -- the dashboard and log sources ----------------------------------------------------------------


def dashboard_events() -> list[dict[str, Any]]:
    """6 firewall, 4 WAF and 3 dead-letter records in the first 1000 s after T0, two outside."""
    docs: list[dict[str, Any]] = [
        {"@timestamp": at(s), "event": {"dataset": FW}, "observer": {"hostname": "fw01.example.com"}}
        for s in (10, 40, 70, 100, 400, 900, -10, 1000)
    ]
    docs += [
        {"@timestamp": at(s), "event": {"dataset": WAF}, "observer": {"hostname": "waf01.example.com"}}
        for s in (20, 130, 140, 500)
    ]
    for s, reason, host in (
        (50, "parse_error", "sw01.example.com"),
        (600, "parse_error", "sw01.example.com"),
    ):
        docs.append(
            {
                "@timestamp": at(s),
                "event": {"dataset": "shaowang.deadletter", "original": "\x00garbage"},
                "error": {"type": reason, "message": "no parser recognised the record"},
                "observer": {"hostname": host},
            }
        )
    docs.append(
        {
            "@timestamp": at(990),
            "event": {"dataset": "shaowang.deadletter"},
            "error": {"type": "record_too_long", "message": "record longer than 65536 bytes"},
        }
    )
    return docs


def test_the_dashboard_figures(api: Api) -> None:
    store_events(api.events, dashboard_events())
    store_alerts(
        api.state,
        [alert(n) for n in range(4)]
        + [alert(4, destination_ip="192.0.2.81"), alert(5, source_ip="198.51.100.7"), alert(20)],
    )
    asset = api.send(
        "POST",
        "/api/v1/assets",
        Role.NETWORK_ADMIN,
        json={
            "address": "192.0.2.80",
            "hostname": "portal.gov.example",
            "owner_unit": "办公室",
            "zone": "dmz",
        },
    )
    assert asset.status_code == 201, asset.text
    with api.state.session() as session:
        record_rule_health(
            session,
            rows=[
                RuleHealthEntry(
                    rule_id="web-sqli",
                    state="loaded",
                    title="SQL injection",
                    matches=40,
                    last_fired=T0 + dt.timedelta(minutes=5),
                    cost_ns_total=5000,
                    evaluations=1000,
                ),
                RuleHealthEntry(rule_id="web-xss", state="loaded", title="XSS", matches=7),
                RuleHealthEntry(rule_id="dns-tunnel", state="loaded", title="DNS tunnel"),
                RuleHealthEntry(
                    rule_id="broken",
                    state="failed",
                    path="rules/broken.yml",
                    reason="unknown modifier 'contain'",
                ),
                RuleHealthEntry(rule_id="win-logon", state="unrouted", title="Windows logon"),
            ],
        )
    window = {"from": "2026-11-27T09:00:00Z", "to": "2026-11-27T09:16:40Z"}  # 1000 s: 30 s buckets
    figures = json_of(api.get("/api/v1/dashboard", **window))
    over_time = figures.pop("events_over_time")
    assert (len(over_time), over_time[0]["t"], over_time[-1]["t"]) == (
        34,
        "2026-11-27T09:00:00Z",
        "2026-11-27T09:16:30Z",
    )
    assert {b["t"][11:19]: b["count"] for b in over_time if b["count"]} == {
        "09:00:00": 2,
        "09:00:30": 2,
        "09:01:00": 1,
        "09:01:30": 1,
        "09:02:00": 2,
        "09:06:30": 1,
        "09:08:00": 1,
        "09:10:00": 1,
        "09:15:00": 1,
        "09:16:30": 1,
    }
    empty_severities = {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}
    assert figures == {
        "from": "2026-11-27T09:00:00Z",
        "to": "2026-11-27T09:16:40Z",
        "interval": "30s",
        "events_by_dataset": [
            {"dataset": FW, "count": 6, "rate_per_s": 0.006},
            {"dataset": WAF, "count": 4, "rate_per_s": 0.004},
            {"dataset": "shaowang.deadletter", "count": 3, "rate_per_s": 0.003},
        ],
        "events_by_source": [
            {"source": "fw01.example.com", "count": 6, "rate_per_s": 0.006},
            {"source": "waf01.example.com", "count": 4, "rate_per_s": 0.004},
            {"source": "sw01.example.com", "count": 2, "rate_per_s": 0.002},
        ],
        "dead_letters": {"total": 3, "by_reason": {"parse_error": 2, "record_too_long": 1}},
        # alert-020 starts at 09:20, after the window.
        "alerts_over_time": [
            {"t": f"2026-11-27T09:0{n}:00Z", "by_severity": {**empty_severities, str(2 + n % 4): 1}}
            for n in range(6)
        ],
        "alerts_by_severity": {"1": 0, "2": 2, "3": 2, "4": 1, "5": 1},
        "top_sources": [
            {"ip": "203.0.113.10", "alerts": 3, "asset": None},
            {"ip": "203.0.113.11", "alerts": 2, "asset": None},
            {"ip": "198.51.100.7", "alerts": 1, "asset": None},
        ],
        "top_targets": [
            {
                "ip": "192.0.2.80",
                "alerts": 5,
                "asset": {"hostname": "portal.gov.example", "owner_unit": "办公室", "zone": "dmz"},
            },
            {"ip": "192.0.2.81", "alerts": 1, "asset": None},
        ],
        "rules": {
            "loaded": 3,
            "failed": 1,
            "unrouted": 1,
            "failing": [
                {"rule_id": "broken", "path": "rules/broken.yml", "reason": "unknown modifier 'contain'"}
            ],
            "top": [
                {
                    "rule_id": "web-sqli",
                    "title": "SQL injection",
                    "matches": 40,
                    "last_fired": "2026-11-27T09:05:00Z",
                    "cost_ns_per_event": 5.0,
                },
                {
                    "rule_id": "web-xss",
                    "title": "XSS",
                    "matches": 7,
                    "last_fired": None,
                    "cost_ns_per_event": None,
                },
            ],
        },
        "sources": [],
        "response": {
            "reports_overdue": 0,
            "reports_open": 0,
            "notices_overdue": 0,
            "notices_open": 0,
            "overdue_reports": [],
            "overdue_notices": [],
        },
    }
    refused = api.get("/api/v1/dashboard", **{"from": window["to"], "to": window["from"]})
    assert (refused.status_code, refused.json()) == (400, {"detail": "'from' must be before 'to'"})
    assert api.get("/api/v1/dashboard", Role.SYSTEM_ADMIN, **window).status_code == 200
    assert api.get("/api/v1/dashboard", Role.AUDIT_ADMIN, **window).status_code == 403


def test_sources_are_empty_without_intake_counters(api: Api) -> None:
    assert json_of(api.get("/api/v1/sources", Role.NETWORK_ADMIN)) == {"items": []}
    assert json_of(api.get("/api/v1/sources", Role.SYSTEM_ADMIN)) == {"items": []}
    assert api.get("/api/v1/sources", Role.AUDIT_ADMIN).status_code == 403


def test_source_health_puts_the_silent_first() -> None:
    now = 1_000_000.0
    peers: list[dict[str, Any]] = [
        {
            "peer": "192.0.2.1:514",
            "transport": "udp",
            "records": 10,
            "bytes": 1000,
            "first_seen": 999_000.0,
            "last_seen": 999_950.0,
        },
        {
            "peer": "192.0.2.2:514",
            "transport": "tcp",
            "records": 5,
            "bytes": 400,
            "dropped": 2,
            "errors": 1,
            "first_seen": 990_000.0,
            "last_seen": 998_000.0,
        },
        {
            "peer": "192.0.2.3:6514",
            "transport": "tls",
            "records": 1,
            "bytes": 90,
            "first_seen": 999_100.0,
            "last_seen": 999_100.0,
        },
        {"peer": "192.0.2.4"},
        {
            "peer": "192.0.2.0:514",
            "transport": "udp",
            "records": 3,
            "bytes": 300,
            "first_seen": 999_000.0,
            "last_seen": 999_950.0,
        },
        {
            "peer": "192.0.2.5:514",
            "transport": "udp",
            "records": 1,
            "bytes": 50,
            "first_seen": 999_000.0,
            "last_seen": 1_000_100.0,
        },
    ]
    rows = source_health(peers, now=now, expected_interval_s=900.0)
    assert [(r.peer, r.silent, r.silent_for_s) for r in rows] == [
        ("192.0.2.2:514", True, 2000.0),
        ("192.0.2.3:6514", True, 900.0),  # quiet exactly as long as allowed: silent
        ("192.0.2.0:514", False, 50.0),
        ("192.0.2.1:514", False, 50.0),
        ("192.0.2.4", False, 0.0),  # never sent: not silent
        ("192.0.2.5:514", False, 0.0),  # clock ahead of ours: not quiet
    ]
    tcp = rows[0].model_dump()
    assert tcp == {
        "peer": "192.0.2.2:514",
        "transport": "tcp",
        "records": 5,
        "bytes": 400,
        "dropped": 2,
        "errors": 1,
        "first_seen": dt.datetime(1970, 1, 12, 11, 0, tzinfo=dt.UTC),
        "last_seen": dt.datetime(1970, 1, 12, 13, 13, 20, tzinfo=dt.UTC),
        "silent": True,
        "silent_for_s": 2000.0,
        "expected_interval_s": 900.0,
    }
    never = rows[4].model_dump()
    assert never == {
        "peer": "192.0.2.4",
        "transport": "",
        "records": 0,
        "bytes": 0,
        "dropped": 0,
        "errors": 0,
        "first_seen": None,
        "last_seen": None,
        "silent": False,
        "silent_for_s": 0.0,
        "expected_interval_s": 900.0,
    }
    assert source_health([], now=now, expected_interval_s=900.0) == []


# -- the operation log ----------------------------------------------------------------------------


def test_the_operation_log_filters_pages_and_verifies(api: Api) -> None:
    store_alerts(api.state, [alert(0), alert(1)])
    for who in (Role.ANALYST, Role.SECURITY_ADMIN, Role.NETWORK_ADMIN, Role.AUDIT_ADMIN):
        api.token(who)  # one user.login entry each, in this order
    assert api.send("PATCH", "/api/v1/alerts/alert-000", json={"status": "in_progress"}).status_code == 200
    assert api.send("POST", "/api/v1/alerts/alert-000/comments", json={"text": "查看中"}).status_code == 201
    assert (
        api.send(
            "PATCH", "/api/v1/alerts/alert-001", Role.SECURITY_ADMIN, json={"assignee": "analyst"}
        ).status_code
        == 200
    )
    assert (
        api.send("PATCH", "/api/v1/alerts/alert-001", Role.NETWORK_ADMIN, json={"assignee": ""}).status_code
        == 403
    )
    assert save(api, Role.ANALYST, "scans", "event.category:network").status_code == 201

    def read(**params: Any) -> tuple[int, list[tuple[str, str]]]:
        page = json_of(api.get("/api/v1/audit", Role.AUDIT_ADMIN, **params))
        return page["total"], [(e["actor"], e["action"]) for e in page["items"]]

    newest_first = [
        ("analyst", "query.save"),
        ("network_admin", "http.patch"),
        ("security_admin", "alert.update"),
        ("analyst", "alert.comment"),
        ("analyst", "alert.update"),
        ("audit_admin", "user.login"),
        ("network_admin", "user.login"),
        ("security_admin", "user.login"),
        ("analyst", "user.login"),
    ]
    newest_first += [("system", "user.create")] * 6  # the harness's accounts
    assert read(limit=1000) == (15, newest_first)
    assert read(actor="analyst") == (4, [e for e in newest_first if e[0] == "analyst"])
    assert read(action="alert.") == (3, newest_first[2:5])
    assert read(action="alert.update") == (2, [newest_first[2], newest_first[4]])
    assert read(action="alert") == (0, [])
    assert read(action="user.") == (10, newest_first[5:])
    assert read(outcome="failure") == (1, [("network_admin", "http.patch")])
    assert read(actor="analyst", action="alert.") == (2, newest_first[3:5])
    assert [read(limit=4, offset=offset) for offset in (0, 4, 8, 12)] == [
        (15, newest_first[:4]),
        (15, newest_first[4:8]),
        (15, newest_first[8:12]),
        (15, newest_first[12:]),
    ]
    assert read(**{"from": "2100-01-01T00:00:00Z"}) == (0, [])
    assert read(to="2000-01-01T00:00:00Z") == (0, [])
    entries = json_of(api.get("/api/v1/audit", Role.AUDIT_ADMIN))["items"]
    assert [e["seq"] for e in entries] == sorted((e["seq"] for e in entries), reverse=True)
    refusal = entries[1]
    assert (refusal["target"], refusal["outcome"], refusal["detail"], refusal["actor_roles"]) == (
        "/api/v1/alerts/alert-001",
        "failure",
        {"status": 403, "method": "PATCH"},
        ["network_admin"],
    )
    verified = json_of(api.get("/api/v1/audit/verify", Role.AUDIT_ADMIN))
    assert verified == {
        "ok": True,
        "entries": 15,
        "first_bad_seq": None,
        "reason": None,
        "head_seq": entries[0]["seq"],
        "head_hash": entries[0]["hash"],
    }
    denied = api.get("/api/v1/audit", Role.ANALYST)
    assert (denied.status_code, denied.json()) == (403, {"detail": "your roles do not grant audit:read"})
    assert api.get("/api/v1/audit/verify", Role.SECURITY_ADMIN).status_code == 403
    assert api.get("/api/v1/audit", Role.COMPLIANCE_OFFICER, action="query.save").json()["total"] == 1
    assert api.get("/api/v1/audit", Role.AUDIT_ADMIN, outcome="maybe").status_code == 422
