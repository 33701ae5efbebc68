"""FastAPI dependencies: the current user from a Bearer token, and permission checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from soc_api.auth.permissions import Permission, allowed
from soc_api.context import AppContext
from soc_core.state.users import resolve_session
from soc_core.vocabulary import Role

_bearer = HTTPBearer(auto_error=False)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    username: str
    roles: frozenset[Role]
    source_ip: str | None


def get_context(request: Request) -> AppContext:
    """The platform context stored on the app."""
    ctx: AppContext = request.app.state.ctx
    return ctx


def current_principal(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    ctx: AppContext = Depends(get_context),
) -> Principal:
    """The caller identified by its Bearer token, or 401."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "authentication required", headers={"WWW-Authenticate": "Bearer"}
        )
    with ctx.state.session() as session:
        user = resolve_session(
            session,
            token=credentials.credentials,
            now=dt.datetime.now(dt.UTC),
            idle_minutes=ctx.settings.api.session_idle_minutes,
        )
        if user is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "invalid or expired token",
                headers={"WWW-Authenticate": "Bearer"},
            )
        roles = frozenset(Role(r) for r in user.role_names)
        username = user.username
    return Principal(
        username=username, roles=roles, source_ip=request.client.host if request.client else None
    )


def require(permission: Permission) -> Callable[..., Principal]:
    """A dependency that admits only callers whose roles grant ``permission``."""

    def check(principal: Principal = Depends(current_principal)) -> Principal:
        if not allowed(principal.roles, permission):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"your roles do not grant {permission.value}")
        return principal

    return check
