"""First start: with no accounts at all, a one-time token lets three people create the three
admin accounts (系统管理员, 安全管理员, 审计管理员), each their own, so no one person ever holds
the keys to the whole platform (三员分立). Until all three exist the console and API answer only
the setup page and ``/healthz``; intake and storage run as usual.

Only the token's SHA-256 is kept (flag ``setup``); the token itself is printed on the host's
terminal and never stored or logged. A restart during setup prints a fresh token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from soc_api.errors import ApiError
from soc_core.audit import append_audit
from soc_core.state.models import PlatformFlag, User, UserRole, utc
from soc_core.state.users import create_user
from soc_core.vocabulary import ADMIN_ROLES, Role

SETUP_FLAG = "setup"
SETUP_ROLES: tuple[Role, ...] = (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)


class SetupError(ApiError):
    """A setup step was refused."""


@dataclass(frozen=True, slots=True)
class SetupStatus:
    """Whether setup is still required, and which admin role has its account."""

    required: bool
    holders: dict[Role, str | None]

    @property
    def remaining(self) -> list[Role]:
        """Admin roles still without an account, in setup order."""
        return [role for role in SETUP_ROLES if self.holders.get(role) is None]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _holders(session: Session) -> dict[Role, str | None]:
    rows = session.execute(
        select(UserRole.role, User.username)
        .join(User, User.id == UserRole.user_id)
        .where(UserRole.role.in_([r.value for r in ADMIN_ROLES]), User.disabled.is_(False))
        .order_by(User.username)
    ).all()
    holders: dict[Role, str | None] = dict.fromkeys(SETUP_ROLES)
    for role, username in rows:
        holders[Role(role)] = holders[Role(role)] or username
    return holders


def begin_setup(session: Session, *, now: dt.datetime) -> str | None:
    """A fresh one-time setup token when setup is needed (no accounts, or setup unfinished)."""
    flag = session.get(PlatformFlag, SETUP_FLAG)
    if flag is None:
        if session.scalar(select(func.count()).select_from(User)):
            return None  # accounts made with `soc user add` before the first start
    elif flag.value.get("completed_at"):
        return None
    token = secrets.token_urlsafe(24)
    value = {
        "token_sha256": _digest(token),
        "started_at": utc(now).isoformat(),
        "completed_at": None,
    }
    if flag is None:
        session.add(PlatformFlag(name=SETUP_FLAG, value=value, updated_at=utc(now)))
    else:
        flag.value = {**value, "started_at": flag.value.get("started_at", value["started_at"])}
        flag.updated_at = utc(now)
    session.flush()
    return token


def setup_status(session: Session) -> SetupStatus:
    """Where setup stands. Accounts made with ``soc user add`` count too."""
    flag = session.get(PlatformFlag, SETUP_FLAG)
    holders = _holders(session)
    required = (
        flag is not None
        and not flag.value.get("completed_at")
        and any(holders[r] is None for r in SETUP_ROLES)
    )
    return SetupStatus(required=required, holders=holders)


def create_setup_account(
    session: Session,
    *,
    token: str,
    role: Role,
    username: str,
    password: str,
    display_name: str | None,
    source_ip: str | None,
    now: dt.datetime,
) -> SetupStatus:
    """Create one admin account with the setup token; finishes setup after the third."""
    flag = session.get(PlatformFlag, SETUP_FLAG)
    expected = None if flag is None else flag.value.get("token_sha256")
    if not expected or not hmac.compare_digest(_digest(token), str(expected)):
        append_audit(
            session,
            actor=username[:64],
            action="setup.account",
            target=role.value,
            outcome="failure",
            detail={"reason": "bad or spent setup token"},
            source_ip=source_ip,
            now=now,
        )
        session.commit()
        raise SetupError("the setup link is wrong or already used", status=403)
    if role not in SETUP_ROLES:
        raise SetupError(f"setup creates only the three admin roles, not {role.value}", status=400)
    status = setup_status(session)
    if status.holders[role] is not None:
        raise SetupError(f"{role.label_zh} ({role.value}) already has an account", status=409)
    create_user(
        session,
        username=username,
        password=password,
        roles=[role],
        display_name=display_name,
        actor=username,
        actor_roles=[role],
        source_ip=source_ip,
        now=now,
    )
    status = setup_status(session)
    if not status.remaining:
        assert flag is not None
        flag.value = {**flag.value, "token_sha256": None, "completed_at": utc(now).isoformat()}
        flag.updated_at = utc(now)
        append_audit(
            session,
            actor=username,
            actor_roles=[role.value],
            action="setup.complete",
            detail={r.value: status.holders[r] for r in SETUP_ROLES},
            source_ip=source_ip,
            now=now,
        )
        session.flush()
        status = SetupStatus(required=False, holders=status.holders)
    return status
