"""FastAPI dependencies: who is calling (Bearer token or console cookie), CSRF, permissions.

The console authenticates with an HttpOnly session cookie; a cookie is sent by the browser on
its own, so every state-changing request that relies on one must also carry the CSRF token
(header ``X-CSRF-Token``), which only a page of our own origin can read. API clients send
``Authorization: Bearer``, which a browser never adds by itself, so they need no CSRF token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from soc_api.auth.permissions import Permission, allowed
from soc_api.context import AppContext
from soc_core.state.users import SessionLookup, lookup_session, resolve_session
from soc_core.vocabulary import Role

SESSION_COOKIE = "shaowang_session"
CSRF_COOKIE = "shaowang_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_bearer = HTTPBearer(auto_error=False, description="token from POST /api/v1/auth/login")
_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="console session")


@dataclass
class Principal:
    """The authenticated caller. Service functions record it in the operation log."""

    username: str
    roles: frozenset[Role]
    source_ip: str | None
    via: Literal["bearer", "cookie"] = "bearer"
    token: str = field(default="", repr=False)
    audited: bool = False  # set once an operation-log entry names this request

    @property
    def role_names(self) -> list[str]:
        """The roles as sorted strings (what the operation log keeps)."""
        return sorted(r.value for r in self.roles)


def csrf_token_for(session_token: str) -> str:
    """The CSRF token bound to a console session: unguessable without the HttpOnly cookie."""
    return hmac.new(session_token.encode(), b"shaowang-csrf", hashlib.sha256).hexdigest()


async def get_context(request: Request) -> AppContext:
    """The platform context stored on the app (async: no thread hop for a lookup)."""
    ctx: AppContext = request.app.state.ctx
    return ctx


def client_ip(request: Request) -> str | None:
    """The peer address of the request (the platform is reached directly, not via a proxy)."""
    return request.client.host if request.client else None


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"})


def _resolved(session: Session, *, token: str, now: dt.datetime, idle: int) -> SessionLookup:
    user = resolve_session(session, token=token, now=now, idle_minutes=idle)
    return (
        SessionLookup("unknown")
        if user is None
        else SessionLookup("valid", user.username, tuple(user.role_names))
    )


def current_principal(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    cookie: str | None = Depends(_cookie),
    ctx: AppContext = Depends(get_context),
) -> Principal:
    """The caller identified by its Bearer token or session cookie, or 401 (403 on a bad CSRF)."""
    if credentials is not None and credentials.scheme.lower() == "bearer":
        token, via = credentials.credentials, "bearer"
    elif cookie:
        token, via = cookie, "cookie"
    else:
        raise _unauthorized("authentication required")
    now = dt.datetime.now(dt.UTC)
    idle = ctx.settings.api.session_idle_minutes
    with ctx.state.session(readonly=True) as session:
        found = lookup_session(session, token=token, now=now, idle_minutes=idle)
    if found.state == "expired" or (found.state == "stale" and found.urgent):
        # Mark the session revoked for good, or slide an idle clock that must not wait; leave
        # the block normally so that is committed rather than rolled back by a refusal below.
        with ctx.state.session() as session:
            found = _resolved(session, token=token, now=now, idle=idle)
    elif found.state == "stale":
        # Valid either way: slide now unless another request is writing (a crowd of sessions
        # going stale together would queue on the database), else on a later request.
        with ctx.state.session_unless_busy() as session:
            if session is not None:
                found = _resolved(session, token=token, now=now, idle=idle)
    if found.state not in ("valid", "stale") or found.username is None:
        raise _unauthorized("invalid or expired session")
    username, roles = found.username, frozenset(Role(r) for r in found.roles)
    principal = Principal(
        username=username,
        roles=roles,
        source_ip=client_ip(request),
        via="cookie" if via == "cookie" else "bearer",
        token=token,
    )
    request.state.principal = principal
    if via == "cookie" and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), csrf_token_for(token).encode()):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "CSRF token missing or wrong")
    return principal


def require(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    """A dependency that admits only callers whose roles grant ``permission``."""

    async def check(principal: Principal = Depends(current_principal)) -> Principal:
        if not allowed(principal.roles, permission):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"your roles do not grant {permission.value}")
        return principal

    check.permission = permission  # type: ignore[attr-defined]  # read by the role-matrix test
    return check
