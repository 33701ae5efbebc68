"""Auth routes: log in for a Bearer token."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, HTTPException, Request, status

from soc_api.auth.deps import get_context
from soc_api.auth.models import LoginRequest, LoginResponse
from soc_api.context import AppContext
from soc_core.state.users import AuthenticationError, authenticate, create_session

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/login", response_model=LoginResponse)
def login(body: LoginRequest, request: Request, ctx: AppContext = Depends(get_context)) -> LoginResponse:
    """Exchange a username and password for a Bearer token."""
    source_ip = request.client.host if request.client else None
    now = dt.datetime.now(dt.UTC)
    idle = ctx.settings.api.session_idle_minutes
    try:
        with ctx.state.session() as session:
            user = authenticate(
                session, username=body.username, password=body.password, source_ip=source_ip, now=now
            )
            token = create_session(session, user=user, source_ip=source_ip, now=now, idle_minutes=idle)
            roles = sorted(user.role_names)
    except AuthenticationError as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, exc.message) from None
    return LoginResponse(access_token=token, expires_in=idle * 60, roles=roles)
