"""The role matrix: which role may do what. Enforced server-side on every route."""

from __future__ import annotations

from enum import StrEnum

from soc_core.vocabulary import Role


class Permission(StrEnum):
    """Things a route can require."""

    EVENTS_READ = "events:read"
    STATS_READ = "stats:read"
    RULES_READ = "rules:read"
    ASSETS_READ = "assets:read"
    ASSETS_MANAGE = "assets:manage"
    ZONES_MANAGE = "zones:manage"
    GRAPH_READ = "graph:read"


MATRIX: dict[Permission, frozenset[Role]] = {
    Permission.EVENTS_READ: frozenset({Role.ANALYST, Role.NETWORK_ADMIN, Role.SECURITY_ADMIN}),
    Permission.STATS_READ: frozenset(Role),
    Permission.RULES_READ: frozenset({Role.ANALYST, Role.SECURITY_ADMIN}),
    # The register and its zones (reading covers zones too): the network and system admins
    # keep them; triage and compliance read them. The audit admin reads the operation log.
    Permission.ASSETS_READ: frozenset(
        {
            Role.ANALYST,
            Role.SECURITY_ADMIN,
            Role.NETWORK_ADMIN,
            Role.SYSTEM_ADMIN,
            Role.COMPLIANCE_OFFICER,
        }
    ),
    Permission.ASSETS_MANAGE: frozenset({Role.NETWORK_ADMIN, Role.SYSTEM_ADMIN}),
    Permission.ZONES_MANAGE: frozenset({Role.NETWORK_ADMIN, Role.SYSTEM_ADMIN}),
    # The threat map: triage and the network side; compliance reads it as evidence.
    Permission.GRAPH_READ: frozenset(
        {Role.ANALYST, Role.SECURITY_ADMIN, Role.NETWORK_ADMIN, Role.COMPLIANCE_OFFICER}
    ),
}


def allowed(roles: set[Role] | frozenset[Role], permission: Permission) -> bool:
    """True when any of ``roles`` grants ``permission``."""
    return bool(MATRIX[permission] & set(roles))
