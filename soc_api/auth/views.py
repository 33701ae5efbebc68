"""Auth routes: log in (Bearer token and console cookies), log out, who am I, change password."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status

from soc_api.auth.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    Principal,
    client_ip,
    csrf_token_for,
    get_context,
    require,
)
from soc_api.auth.models import LoginRequest, LoginResponse, Me, PasswordChange
from soc_api.auth.permissions import Permission, permissions_of
from soc_api.context import AppContext
from soc_core.passwords import verify_password
from soc_core.state.users import (
    AuthenticationError,
    PasswordPolicyError,
    authenticate,
    create_session,
    get_user,
    revoke_session,
    set_password,
)

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
_signed_in = require(Permission.SELF)


def _set_cookies(response: Response, *, token: str, ctx: AppContext) -> str:
    csrf = csrf_token_for(token)
    secure = ctx.settings.api.cookie_secure
    # No max-age: the cookie ends with the browser, the session itself ends when idle.
    response.set_cookie(SESSION_COOKIE, token, httponly=True, secure=secure, samesite="strict", path="/")
    response.set_cookie(CSRF_COOKIE, csrf, httponly=False, secure=secure, samesite="strict", path="/")
    return csrf


@router.post("/login", response_model=LoginResponse)
def login(
    body: LoginRequest, request: Request, response: Response, ctx: AppContext = Depends(get_context)
) -> LoginResponse:
    """Exchange a username and password for a session (Bearer token and console cookies)."""
    source_ip = client_ip(request)
    now = dt.datetime.now(dt.UTC)
    idle = ctx.settings.api.session_idle_minutes
    try:
        with ctx.state.session() as session:
            user = authenticate(
                session, username=body.username, password=body.password, source_ip=source_ip, now=now
            )
            token = create_session(session, user=user, source_ip=source_ip, now=now, idle_minutes=idle)
            roles = sorted(user.role_names)
            username = user.username
    except AuthenticationError as exc:
        request.state.audited = True  # authenticate recorded the failure
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, exc.message) from None
    request.state.audited = True
    csrf = _set_cookies(response, token=token, ctx=ctx)
    return LoginResponse(
        access_token=token, expires_in=idle * 60, roles=roles, username=username, csrf_token=csrf
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(
    request: Request, ctx: AppContext = Depends(get_context), principal: Principal = Depends(_signed_in)
) -> Response:
    """End this session and clear the console cookies."""
    with ctx.state.session() as session:
        revoke_session(session, token=principal.token, source_ip=principal.source_ip)
    principal.audited = True
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/me", response_model=Me)
def me(ctx: AppContext = Depends(get_context), principal: Principal = Depends(_signed_in)) -> Me:
    """The signed-in user and what their roles allow."""
    with ctx.state.session(readonly=True) as session:
        user = get_user(session, username=principal.username)
        display_name = None if user is None else user.display_name
    return Me(
        username=principal.username,
        display_name=display_name,
        roles=principal.role_names,
        role_labels={r.value: r.label_zh for r in principal.roles},
        permissions=permissions_of(principal.roles),
        idle_timeout_s=ctx.settings.api.session_idle_minutes * 60,
        demo=ctx.demo,
    )


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(
    body: PasswordChange,
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_signed_in),
) -> Response:
    """Change one's own password (the current one is checked first)."""
    with ctx.state.session() as session:
        user = get_user(session, username=principal.username)
        if user is None or not verify_password(user.password_hash, body.current_password):
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "the current password is wrong")
        try:
            set_password(
                session,
                user=user,
                password=body.new_password,
                actor=principal.username,
                actor_roles=principal.role_names,
                source_ip=principal.source_ip,
            )
        except PasswordPolicyError as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, exc.message) from None
        principal.audited = True
    return Response(status_code=status.HTTP_204_NO_CONTENT)
