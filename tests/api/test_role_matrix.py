"""The role matrix, walked: every API route for every role, allow or deny as MATRIX says.

Each route must declare exactly one permission (``require``) unless it is one of the few public
ones, so a new route cannot slip past the matrix unnoticed. 三员分立 violations are refused with
a message that says why.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import Api, api_for
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from state_fixtures import state_url

from soc_api.app import ROUTERS
from soc_api.auth.permissions import MATRIX, Permission
from soc_core.audit import list_audit
from soc_core.vocabulary import ADMIN_ROLES, Role

__all__ = ["state_url"]

PUBLIC = {
    ("POST", "/api/v1/auth/login"),
    ("GET", "/api/v1/setup"),
    ("POST", "/api/v1/setup/accounts"),
    ("GET", "/healthz"),
}
# Routes whose call would end the caller's own session: walked with a throwaway login.
SESSION_ENDING = {("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/auth/password")}


# The policy, written out by hand so a change to MATRIX must change this table too.
SYS, SEC, AUD = Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN
ANA, NET, COM = Role.ANALYST, Role.NETWORK_ADMIN, Role.COMPLIANCE_OFFICER
POLICY: dict[Permission, set[Role]] = {
    Permission.SELF: {SYS, SEC, AUD, ANA, NET, COM},
    Permission.EVENTS_READ: {ANA, NET, SEC},
    Permission.QUERIES_MANAGE: {ANA, NET, SEC},
    Permission.STATS_READ: {SYS, SEC, AUD, ANA, NET, COM},
    Permission.DASHBOARD_READ: {ANA, SEC, NET, SYS, COM},
    Permission.SOURCES_READ: {ANA, SEC, NET, SYS, COM},
    Permission.RULES_READ: {ANA, SEC, COM},
    Permission.ALERTS_READ: {ANA, SEC, NET, COM},
    Permission.ALERTS_TRIAGE: {ANA, SEC},
    Permission.ASSIGNEES_READ: {ANA, SEC},
    Permission.INCIDENTS_READ: {ANA, SEC, NET, COM},
    Permission.INCIDENTS_MANAGE: {ANA, SEC},
    Permission.ASSETS_READ: {ANA, SEC, NET, SYS, COM},
    Permission.ASSETS_MANAGE: {NET, SYS},
    Permission.ZONES_MANAGE: {NET, SYS},
    Permission.GRAPH_READ: {ANA, SEC, NET, COM},
    Permission.AUDIT_READ: {AUD, COM},
    Permission.USERS_READ: {SYS, AUD},
    Permission.USERS_MANAGE: {SYS},
    Permission.COMPLIANCE_READ: {COM, AUD, SEC, SYS},
    Permission.COMPLIANCE_EXPORT: {AUD, COM},
    Permission.PLAYBOOKS_READ: {ANA, SEC, COM},
    Permission.PLAYBOOKS_APPROVE: {SEC},
    Permission.BLOCKS_MANAGE: {SEC},
    Permission.REPORTS_READ: {ANA, SEC, NET, COM},
    Permission.REPORTS_MANAGE: {ANA, SEC},
    Permission.NOTICES_READ: {ANA, SEC, NET, SYS, COM},
    Permission.NOTICES_MANAGE: {SEC},
    Permission.NOTICES_FEEDBACK: {NET, SYS, SEC},
}
# Routes whose guard matters most, pinned (the walk below checks all of them against MATRIX).
PINNED = {
    ("GET", "/api/v1/audit"): Permission.AUDIT_READ,
    ("GET", "/api/v1/audit/verify"): Permission.AUDIT_READ,
    ("POST", "/api/v1/users"): Permission.USERS_MANAGE,
    ("PATCH", "/api/v1/users/{username}"): Permission.USERS_MANAGE,
    ("POST", "/api/v1/users/{username}/password"): Permission.USERS_MANAGE,
    ("PATCH", "/api/v1/alerts/{alert_id}"): Permission.ALERTS_TRIAGE,
    ("POST", "/api/v1/alerts/bulk"): Permission.ALERTS_TRIAGE,
    ("GET", "/api/v1/events"): Permission.EVENTS_READ,
    ("POST", "/api/v1/compliance/export"): Permission.COMPLIANCE_EXPORT,
}


def _permissions(dependant: Dependant) -> list[Permission]:
    found: list[Permission] = []
    for sub in dependant.dependencies:
        permission = getattr(sub.call, "permission", None)
        if isinstance(permission, Permission):
            found.append(permission)
        found.extend(_permissions(sub))
    return found


def api_routes() -> list[tuple[str, str, Permission | None]]:
    """(method, path, permission) for every API route of the app (``ROUTERS`` is all of them)."""
    routes: list[tuple[str, str, Permission | None]] = [("GET", "/healthz", None)]
    for route in (r for router in ROUTERS for r in router.routes):
        if not isinstance(route, APIRoute):
            continue
        permissions = _permissions(route.dependant)
        for method in sorted(route.methods):
            routes.append((method, route.path, permissions[0] if len(permissions) == 1 else None))
            assert len(permissions) <= 1, f"{method} {route.path} requires {permissions}"
    return routes


ROUTES = api_routes()


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: "1" if m.group(0).endswith("_id}") else "x", path)


@pytest.fixture
def api(tmp_path: Path, state_url: str) -> Iterator[Api]:
    with api_for(tmp_path, state_url) as harness:
        yield harness


def test_the_matrix_is_the_written_policy() -> None:
    assert {p: set(roles) for p, roles in MATRIX.items()} == POLICY


def test_every_route_is_public_or_requires_exactly_one_permission() -> None:
    assert len(ROUTES) > 40
    unguarded = [(m, p) for m, p, perm in ROUTES if perm is None and (m, p) not in PUBLIC]
    assert unguarded == []
    # The operation log can be read but never written over the API.
    declared = {(m, p): perm for m, p, perm in ROUTES}
    assert {key: declared.get(key) for key in PINNED} == PINNED
    audit_writes = [(m, p) for m, p, _ in ROUTES if p.startswith("/api/v1/audit") and m != "GET"]
    assert audit_writes == []


def _call(api: Api, method: str, path: str, headers: dict[str, str]) -> Any:
    body: dict[str, Any] | None = {} if method in {"POST", "PATCH", "PUT"} else None
    return api.client.request(method, _fill(path), headers=headers, json=body)


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_every_route_allows_and_denies_each_role_as_the_matrix_says(api: Api, role: Role) -> None:
    wrong: list[str] = []
    for method, path, permission in ROUTES:
        if permission is None:
            continue
        if (method, path) in SESSION_ENDING:
            token = api.login(role.value).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
        else:
            headers = api.headers(role)
        response = _call(api, method, path, headers)
        expected_allowed = role in MATRIX[permission]
        denied = response.status_code == 403 and "do not grant" in response.text
        if expected_allowed and (denied or response.status_code == 401):
            wrong.append(f"{role.value} refused {method} {path}: {response.status_code} {response.text[:80]}")
        if not expected_allowed and not denied:
            wrong.append(f"{role.value} allowed {method} {path}: {response.status_code}")
    assert wrong == []


def test_without_credentials_every_guarded_route_answers_401(api: Api) -> None:
    answers = {
        (method, path): _call(api, method, path, {}).status_code
        for method, path, permission in ROUTES
        if permission is not None
    }
    assert set(answers.values()) == {401}


def test_refusals_are_written_to_the_operation_log(api: Api) -> None:
    response = api.send("POST", "/api/v1/users", Role.ANALYST, json={"username": "x"})
    assert response.status_code == 403
    with api.state.session(readonly=True) as session:
        entry = list_audit(session, action="http.post", limit=1000)[-1]
    assert (entry.actor, entry.roles, entry.target, entry.outcome) == (
        "analyst",
        ["analyst"],
        "/api/v1/users",
        "failure",
    )
    assert entry.detail_value == {"status": 403, "method": "POST"}


@pytest.mark.parametrize("pair", [("system_admin", "audit_admin"), ("security_admin", "audit_admin")])
def test_two_admin_roles_on_one_account_are_refused(api: Api, pair: tuple[str, str]) -> None:
    created = api.send(
        "POST",
        "/api/v1/users",
        Role.SYSTEM_ADMIN,
        json={"username": "zhangsan", "password": "Zhang-San-2026x", "roles": list(pair)},
    )
    assert created.status_code == 409
    assert "三员分立" in created.json()["detail"]
    assert "one account may hold only one" in created.json()["detail"]
    listed = api.get("/api/v1/users", Role.SYSTEM_ADMIN).json()["items"]
    assert "zhangsan" not in {u["username"] for u in listed}


def test_granting_a_second_admin_role_is_refused_and_nothing_changes(api: Api) -> None:
    made = api.send(
        "POST",
        "/api/v1/users",
        Role.SYSTEM_ADMIN,
        json={"username": "lisi", "password": "Li-Si-Secure-2026", "roles": ["security_admin"]},
    )
    assert made.status_code == 201, made.text
    refused = api.send(
        "PATCH", "/api/v1/users/lisi", Role.SYSTEM_ADMIN, json={"roles": ["security_admin", "system_admin"]}
    )
    assert refused.status_code == 409
    assert "三员分立" in refused.json()["detail"]
    user = {u["username"]: u for u in api.get("/api/v1/users", Role.SYSTEM_ADMIN).json()["items"]}["lisi"]
    assert user["roles"] == ["security_admin"]
    # Moving from one admin role to another is fine: never two at once.
    moved = api.send("PATCH", "/api/v1/users/lisi", Role.SYSTEM_ADMIN, json={"roles": ["audit_admin"]})
    assert moved.status_code == 200 and moved.json()["roles"] == ["audit_admin"]


def test_admin_roles_are_the_three_of_the_separation() -> None:
    assert {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN} == ADMIN_ROLES
    # No role may both manage accounts and read the operation log, nor triage and read it.
    for permission_a, permission_b in [
        (Permission.USERS_MANAGE, Permission.AUDIT_READ),
        (Permission.ALERTS_TRIAGE, Permission.AUDIT_READ),
        (Permission.USERS_MANAGE, Permission.ALERTS_TRIAGE),
    ]:
        assert not (MATRIX[permission_a] & MATRIX[permission_b]), (permission_a, permission_b)
