"""The role matrix: which role may do what. Enforced server-side on every route.

Every API route but login, logout, setup and ``/healthz`` depends on exactly one
:func:`soc_api.auth.deps.require`; ``tests/api/test_role_matrix.py`` walks them all.
"""

from __future__ import annotations

from enum import StrEnum

from soc_core.vocabulary import Role


class Permission(StrEnum):
    """Things a route can require."""

    SELF = "self"  # one's own session, profile and password: every signed-in user
    EVENTS_READ = "events:read"
    QUERIES_MANAGE = "queries:manage"
    STATS_READ = "stats:read"
    DASHBOARD_READ = "dashboard:read"
    SOURCES_READ = "sources:read"
    RULES_READ = "rules:read"
    ALERTS_READ = "alerts:read"
    ALERTS_TRIAGE = "alerts:triage"
    INCIDENTS_READ = "incidents:read"
    INCIDENTS_MANAGE = "incidents:manage"
    ASSETS_READ = "assets:read"
    ASSETS_MANAGE = "assets:manage"
    ZONES_MANAGE = "zones:manage"
    GRAPH_READ = "graph:read"
    AUDIT_READ = "audit:read"
    USERS_READ = "users:read"
    USERS_MANAGE = "users:manage"
    ASSIGNEES_READ = "assignees:read"
    COMPLIANCE_READ = "compliance:read"
    COMPLIANCE_EXPORT = "compliance:export"
    PLAYBOOKS_READ = "playbooks:read"
    PLAYBOOKS_APPROVE = "playbooks:approve"
    BLOCKS_MANAGE = "blocks:manage"
    REPORTS_READ = "reports:read"
    REPORTS_MANAGE = "reports:manage"
    NOTICES_READ = "notices:read"
    NOTICES_MANAGE = "notices:manage"
    NOTICES_FEEDBACK = "notices:feedback"


_R = Role
_TRIAGE = frozenset({_R.ANALYST, _R.SECURITY_ADMIN})
_SECURITY_VIEW = frozenset({_R.ANALYST, _R.SECURITY_ADMIN, _R.NETWORK_ADMIN, _R.COMPLIANCE_OFFICER})

MATRIX: dict[Permission, frozenset[Role]] = {
    Permission.SELF: frozenset(Role),
    # Events and searches: the people who investigate; the network admin checks device logs.
    # The audit admin reads the operation log instead, never the business events (三员分立).
    Permission.EVENTS_READ: frozenset({_R.ANALYST, _R.NETWORK_ADMIN, _R.SECURITY_ADMIN}),
    Permission.QUERIES_MANAGE: frozenset({_R.ANALYST, _R.NETWORK_ADMIN, _R.SECURITY_ADMIN}),
    Permission.STATS_READ: frozenset(Role),
    Permission.DASHBOARD_READ: frozenset(
        {_R.ANALYST, _R.SECURITY_ADMIN, _R.NETWORK_ADMIN, _R.SYSTEM_ADMIN, _R.COMPLIANCE_OFFICER}
    ),
    # Log-source health: the network admin keeps the sources, the system admin the platform.
    Permission.SOURCES_READ: frozenset(
        {_R.ANALYST, _R.SECURITY_ADMIN, _R.NETWORK_ADMIN, _R.SYSTEM_ADMIN, _R.COMPLIANCE_OFFICER}
    ),
    Permission.RULES_READ: frozenset({_R.ANALYST, _R.SECURITY_ADMIN, _R.COMPLIANCE_OFFICER}),
    # Alerts: triage works them; the network side and compliance read them.
    Permission.ALERTS_READ: _SECURITY_VIEW,
    Permission.ALERTS_TRIAGE: _TRIAGE,
    Permission.ASSIGNEES_READ: _TRIAGE,
    Permission.INCIDENTS_READ: _SECURITY_VIEW,
    Permission.INCIDENTS_MANAGE: _TRIAGE,
    # The register and its zones (reading covers zones too): the network and system admins
    # keep them; triage and compliance read them.
    Permission.ASSETS_READ: frozenset(
        {_R.ANALYST, _R.SECURITY_ADMIN, _R.NETWORK_ADMIN, _R.SYSTEM_ADMIN, _R.COMPLIANCE_OFFICER}
    ),
    Permission.ASSETS_MANAGE: frozenset({_R.NETWORK_ADMIN, _R.SYSTEM_ADMIN}),
    Permission.ZONES_MANAGE: frozenset({_R.NETWORK_ADMIN, _R.SYSTEM_ADMIN}),
    # The threat map: triage and the network side; compliance reads it as evidence.
    Permission.GRAPH_READ: _SECURITY_VIEW,
    # The operation log: only the audit admin, and compliance read-only; nobody writes it.
    Permission.AUDIT_READ: frozenset({_R.AUDIT_ADMIN, _R.COMPLIANCE_OFFICER}),
    # Accounts: the system admin manages them; the audit admin may see who exists.
    Permission.USERS_READ: frozenset({_R.SYSTEM_ADMIN, _R.AUDIT_ADMIN}),
    Permission.USERS_MANAGE: frozenset({_R.SYSTEM_ADMIN}),
    # 等保 evidence: the gap view for whoever answers for a control (compliance, the three admins);
    # the pack itself, with everyone's operation log inside, only for audit and compliance.
    Permission.COMPLIANCE_READ: frozenset(
        {_R.COMPLIANCE_OFFICER, _R.AUDIT_ADMIN, _R.SECURITY_ADMIN, _R.SYSTEM_ADMIN}
    ),
    Permission.COMPLIANCE_EXPORT: frozenset({_R.AUDIT_ADMIN, _R.COMPLIANCE_OFFICER}),
    # Response: triage sees the runs; only the security admin approves a block or lifts one.
    Permission.PLAYBOOKS_READ: frozenset({_R.ANALYST, _R.SECURITY_ADMIN, _R.COMPLIANCE_OFFICER}),
    Permission.PLAYBOOKS_APPROVE: frozenset({_R.SECURITY_ADMIN}),
    Permission.BLOCKS_MANAGE: frozenset({_R.SECURITY_ADMIN}),
    # 通报 records: triage writes and files them; the network side and compliance read them.
    Permission.REPORTS_READ: _SECURITY_VIEW,
    Permission.REPORTS_MANAGE: _TRIAGE,
    # Inbound notices: the security admin registers and reviews them; owner units' admins answer.
    Permission.NOTICES_READ: frozenset(
        {_R.ANALYST, _R.SECURITY_ADMIN, _R.NETWORK_ADMIN, _R.SYSTEM_ADMIN, _R.COMPLIANCE_OFFICER}
    ),
    Permission.NOTICES_MANAGE: frozenset({_R.SECURITY_ADMIN}),
    Permission.NOTICES_FEEDBACK: frozenset({_R.NETWORK_ADMIN, _R.SYSTEM_ADMIN, _R.SECURITY_ADMIN}),
}


def allowed(roles: set[Role] | frozenset[Role], permission: Permission) -> bool:
    """True when any of ``roles`` grants ``permission``."""
    return bool(MATRIX[permission] & set(roles))


def permissions_of(roles: set[Role] | frozenset[Role]) -> list[str]:
    """Every permission ``roles`` grant, sorted (what the console uses to show its menus)."""
    return sorted(p.value for p in Permission if allowed(roles, p))
