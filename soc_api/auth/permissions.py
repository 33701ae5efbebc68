"""The role matrix: which role may do what. Enforced server-side on every route."""

from __future__ import annotations

from enum import StrEnum

from soc_core.vocabulary import Role


class Permission(StrEnum):
    """Things a route can require."""

    EVENTS_READ = "events:read"
    STATS_READ = "stats:read"
    RULES_READ = "rules:read"


MATRIX: dict[Permission, frozenset[Role]] = {
    Permission.EVENTS_READ: frozenset({Role.ANALYST, Role.NETWORK_ADMIN, Role.SECURITY_ADMIN}),
    Permission.STATS_READ: frozenset(Role),
    Permission.RULES_READ: frozenset({Role.ANALYST, Role.SECURITY_ADMIN}),
}


def allowed(roles: set[Role] | frozenset[Role], permission: Permission) -> bool:
    """True when any of ``roles`` grants ``permission``."""
    return bool(MATRIX[permission] & set(roles))
