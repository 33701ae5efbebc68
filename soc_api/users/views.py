"""Account routes for the system admin (the audit admin may list). 三员分立 is refused with 409."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Response, status

from soc_api.auth.deps import Principal, get_context, require
from soc_api.auth.permissions import Permission
from soc_api.context import AppContext
from soc_api.users.models import PasswordReset, UserChange, UserCreate, UserList, UserOut
from soc_core.errors import RoleConflictError
from soc_core.state.models import User
from soc_core.state.users import (
    DuplicateUserError,
    UserError,
    check_role_separation,
    create_user,
    get_user,
    grant_role,
    list_users,
    revoke_role,
    set_disabled,
    set_password,
)

router = APIRouter(prefix="/api/v1/users", tags=["users"])
_can_read = require(Permission.USERS_READ)
_can_manage = require(Permission.USERS_MANAGE)
SEPARATION_HINT = "三员分立：系统管理员、安全管理员、审计管理员三个角色互斥，一个账号只能担任其一。"


def _conflict(exc: RoleConflictError) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, f"{SEPARATION_HINT} {exc.message}")


def _found(session: object, username: str) -> User:
    user = get_user(session, username=username)  # type: ignore[arg-type]
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user {username!r}")
    return user


@router.get("", response_model=UserList)
def list_accounts(ctx: AppContext = Depends(get_context), _: Principal = Depends(_can_read)) -> UserList:
    """Every account with its roles and state."""
    with ctx.state.session(readonly=True) as session:
        return UserList(items=[UserOut.of(u) for u in list_users(session)])


@router.post("", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def create_account(
    body: UserCreate, ctx: AppContext = Depends(get_context), principal: Principal = Depends(_can_manage)
) -> UserOut:
    """Create an account; two admin roles on one account are refused (三员分立)."""
    try:
        with ctx.state.session() as session:
            user = create_user(
                session,
                username=body.username,
                password=body.password,
                roles=body.roles,
                display_name=body.display_name,
                actor=principal.username,
                actor_roles=principal.role_names,
                source_ip=principal.source_ip,
            )
            principal.audited = True
            return UserOut.of(user)
    except RoleConflictError as exc:
        raise _conflict(exc) from None
    except DuplicateUserError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, exc.message) from None
    except UserError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, exc.message) from None


@router.patch("/{username}", response_model=UserOut)
def change_account(
    username: str,
    body: UserChange,
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_can_manage),
) -> UserOut:
    """Disable/enable an account or set its roles."""
    audit = {
        "actor": principal.username,
        "actor_roles": principal.role_names,
        "source_ip": principal.source_ip,
    }
    try:
        with ctx.state.session() as session:
            user = _found(session, username)
            if body.roles is not None:
                if user.username == principal.username:
                    # Nobody widens (or narrows) their own powers; another admin or the host does.
                    raise HTTPException(status.HTTP_400_BAD_REQUEST, "you cannot change your own roles")
                check_role_separation(body.roles)
                for role in sorted(user.roles - set(body.roles)):
                    revoke_role(session, user=user, role=role, **audit)  # type: ignore[arg-type]
                for role in sorted(set(body.roles) - user.roles):
                    grant_role(session, user=user, role=role, **audit)  # type: ignore[arg-type]
            if body.disabled is not None:
                if body.disabled and user.username == principal.username:
                    raise HTTPException(status.HTTP_400_BAD_REQUEST, "you cannot disable your own account")
                set_disabled(session, user=user, disabled=body.disabled, **audit)  # type: ignore[arg-type]
            principal.audited = True
            return UserOut.of(user)
    except RoleConflictError as exc:
        raise _conflict(exc) from None


@router.post("/{username}/password", status_code=status.HTTP_204_NO_CONTENT)
def reset_password(
    username: str,
    body: PasswordReset,
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_can_manage),
) -> Response:
    """Set a new password for an account (its sessions end)."""
    try:
        with ctx.state.session() as session:
            user = _found(session, username)
            set_password(
                session,
                user=user,
                password=body.password,
                actor=principal.username,
                actor_roles=principal.role_names,
                source_ip=principal.source_ip,
            )
            principal.audited = True
    except UserError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, exc.message) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)
