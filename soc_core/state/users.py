"""Users, roles (三员分立), login with lockout, and API sessions.

Functions take the SQLAlchemy session explicitly and never commit it, with one exception:
:func:`authenticate` commits the failure counter and its audit entry before raising
:class:`AuthenticationError`, so a caller's rollback cannot erase a failed login.
Who may call what (the role matrix) is checked by the API layer; these functions record the
``actor`` they are given in the operation log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, NoReturn

from sqlalchemy import exc as sa_exc
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from soc_core.audit import append_audit
from soc_core.errors import RoleConflictError, ShaowangError
from soc_core.passwords import (
    check_password_policy,
    equalise_timing,
    hash_password,
    needs_rehash,
    verify_password,
)
from soc_core.state.models import ApiSession, User, UserRole, utc, utcnow
from soc_core.vocabulary import ADMIN_ROLES, Role

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$")
MAX_DISPLAY_NAME = 128
DEFAULT_MAX_FAILURES = 5
DEFAULT_FAILURE_WINDOW = dt.timedelta(minutes=15)
DEFAULT_LOCKOUT = dt.timedelta(minutes=15)
DEFAULT_IDLE_MINUTES = 30
DEFAULT_MAX_SESSION_AGE = dt.timedelta(hours=12)
AUTH_FAILED_MESSAGE = "invalid username or password"


class AuthenticationError(ShaowangError):
    """Login refused. The message never says whether the account exists or is locked."""

    def __init__(self, message: str = AUTH_FAILED_MESSAGE) -> None:
        super().__init__(message)


class UserError(ShaowangError, ValueError):
    """A user could not be created or changed as asked."""


class InvalidUsernameError(UserError):
    """The username does not fit ``USERNAME_PATTERN``."""


class DuplicateUserError(UserError):
    """The username (compared case-insensitively) is taken."""


class PasswordPolicyError(UserError):
    """The password fails the complexity policy; ``problems`` lists why."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("password rejected: " + "; ".join(problems))


class UnknownRoleError(UserError):
    """A role name that is not one of the six ``Role`` values."""


def _roles(values: Iterable[Role | str]) -> set[Role]:
    roles: set[Role] = set()
    for value in values:
        try:
            roles.add(Role(value))
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise UnknownRoleError(f"unknown role {value!r}; known roles: {known}") from None
    return roles


def check_role_separation(roles: Iterable[Role | str]) -> None:
    """Raise :class:`RoleConflictError` when ``roles`` hold two or more admin roles (三员分立)."""
    admins = sorted(r.value for r in _roles(roles) & ADMIN_ROLES)
    if len(admins) > 1:
        raise RoleConflictError(
            "三员分立: one account may hold only one of system_admin, security_admin, audit_admin "
            f"(asked for {', '.join(admins)})"
        )


def _is_role_conflict(error: sa_exc.IntegrityError) -> bool:
    text = str(error.orig)
    return "uq_user_roles_one_admin" in text or "user_roles.user_id" in text


def _flush_roles(session: Session) -> None:
    try:
        session.flush()
    except sa_exc.IntegrityError as error:
        if _is_role_conflict(error):
            raise RoleConflictError("三员分立: the database refused a second admin role") from error
        raise


def _user_summary(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "roles": sorted(r.value for r in user.roles),
        "disabled": user.disabled,
    }


def get_user(session: Session, *, user_id: int | None = None, username: str | None = None) -> User | None:
    """The user with ``user_id`` or ``username`` (case-insensitive), or None."""
    if (user_id is None) == (username is None):
        raise ValueError("give exactly one of user_id and username")
    if user_id is not None:
        return session.get(User, user_id)
    assert username is not None
    if not USERNAME_PATTERN.match(username):
        return None
    query = select(User).where(func.lower(User.username) == username.lower())
    return session.execute(query).scalar_one_or_none()


def list_users(session: Session, *, include_disabled: bool = True) -> list[User]:
    """All users ordered by username."""
    query = select(User).order_by(User.username)
    if not include_disabled:
        query = query.where(User.disabled.is_(False))
    return list(session.execute(query).scalars())


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    roles: Iterable[Role | str],
    display_name: str | None = None,
    actor: str = "system",
    actor_roles: Iterable[Role | str] = (),
    source_ip: str | None = None,
    now: dt.datetime | None = None,
) -> User:
    """Create an account after checking username, 三员分立 and the password policy."""
    if not USERNAME_PATTERN.match(username):
        raise InvalidUsernameError(
            f"invalid username {username!r}: 2-64 characters, letters, digits and _ . @ -, "
            "starting with a letter or digit"
        )
    if display_name is not None and len(display_name) > MAX_DISPLAY_NAME:
        raise UserError(f"display name longer than {MAX_DISPLAY_NAME} characters")
    wanted = _roles(roles)
    check_role_separation(wanted)
    problems = check_password_policy(password, username)
    if problems:
        raise PasswordPolicyError(problems)
    if get_user(session, username=username) is not None:
        raise DuplicateUserError(f"username {username!r} is already taken")
    when = utc(now) if now is not None else utcnow()
    user = User(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        disabled=False,
        created_at=when,
        failed_logins=0,
        password_changed_at=when,
        role_rows=[UserRole(role=r.value) for r in sorted(wanted)],
    )
    session.add(user)
    try:
        session.flush()
    except sa_exc.IntegrityError as error:
        if "username" in str(error.orig).lower():
            raise DuplicateUserError(f"username {username!r} is already taken") from error
        if _is_role_conflict(error):
            raise RoleConflictError("三员分立: the database refused a second admin role") from error
        raise
    append_audit(
        session,
        actor=actor,
        actor_roles=[str(r) for r in actor_roles],
        action="user.create",
        target=username,
        after=_user_summary(user),
        source_ip=source_ip,
        now=when,
    )
    return user


def grant_role(
    session: Session,
    *,
    user: User,
    role: Role | str,
    actor: str = "system",
    actor_roles: Iterable[Role | str] = (),
    source_ip: str | None = None,
    now: dt.datetime | None = None,
) -> User:
    """Add ``role`` to ``user``; a second admin role raises :class:`RoleConflictError`."""
    (new_role,) = _roles([role])
    before = _user_summary(user)
    if new_role in user.roles:
        return user
    try:
        check_role_separation(user.roles | {new_role})
    except RoleConflictError:
        append_audit(
            session,
            actor=actor,
            actor_roles=[str(r) for r in actor_roles],
            action="user.grant_role",
            target=user.username,
            outcome="failure",
            detail={"role": new_role.value, "reason": "三员分立"},
            source_ip=source_ip,
            now=now,
        )
        raise
    user.role_rows.append(UserRole(role=new_role.value))
    _flush_roles(session)
    append_audit(
        session,
        actor=actor,
        actor_roles=[str(r) for r in actor_roles],
        action="user.grant_role",
        target=user.username,
        detail={"role": new_role.value},
        before=before,
        after=_user_summary(user),
        source_ip=source_ip,
        now=now,
    )
    return user


def revoke_role(
    session: Session,
    *,
    user: User,
    role: Role | str,
    actor: str = "system",
    actor_roles: Iterable[Role | str] = (),
    source_ip: str | None = None,
    now: dt.datetime | None = None,
) -> User:
    """Remove ``role`` from ``user`` (no-op when not held)."""
    (old_role,) = _roles([role])
    if old_role not in user.roles:
        return user
    before = _user_summary(user)
    user.role_rows = [row for row in user.role_rows if row.role != old_role.value]
    session.flush()
    append_audit(
        session,
        actor=actor,
        actor_roles=[str(r) for r in actor_roles],
        action="user.revoke_role",
        target=user.username,
        detail={"role": old_role.value},
        before=before,
        after=_user_summary(user),
        source_ip=source_ip,
        now=now,
    )
    return user


def _load_for_login(session: Session, username: str) -> User | None:
    if not USERNAME_PATTERN.match(username):
        return None
    query = select(User).where(func.lower(User.username) == username.lower())
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=User)  # concurrent failures count, none is lost
    return session.execute(query).scalar_one_or_none()


def authenticate(
    session: Session,
    *,
    username: str,
    password: str,
    source_ip: str | None,
    now: dt.datetime,
    max_failures: int = DEFAULT_MAX_FAILURES,
    failure_window: dt.timedelta = DEFAULT_FAILURE_WINDOW,
    lockout: dt.timedelta = DEFAULT_LOCKOUT,
) -> User:
    """Check a login; return the user or raise :class:`AuthenticationError`.

    ``max_failures`` wrong passwords, each within ``failure_window`` of the previous one,
    lock the account for ``lockout`` (so any ``max_failures`` failures inside one window do).
    While locked even the right password is refused. Success resets the counter and upgrades
    an outdated password hash. Every outcome is written to the operation log.
    """
    now = utc(now)
    user = _load_for_login(session, username)
    if user is None:
        equalise_timing(password)
        _login_failed(
            session, username=username, user=None, source_ip=source_ip, now=now, reason="unknown_user"
        )
    elif user.disabled:
        equalise_timing(password)
        _login_failed(session, username=username, user=user, source_ip=source_ip, now=now, reason="disabled")
    elif user.is_locked(now):
        equalise_timing(password)
        _login_failed(session, username=username, user=user, source_ip=source_ip, now=now, reason="locked")
    elif not verify_password(user.password_hash, password):
        _count_failure(
            session,
            user,
            source_ip=source_ip,
            now=now,
            max_failures=max_failures,
            failure_window=failure_window,
            lockout=lockout,
        )
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    append_audit(
        session,
        actor=user.username,
        actor_roles=[r.value for r in user.roles],
        action="user.login",
        target=user.username,
        source_ip=source_ip,
        now=now,
    )
    return user


def _count_failure(
    session: Session,
    user: User,
    *,
    source_ip: str | None,
    now: dt.datetime,
    max_failures: int,
    failure_window: dt.timedelta,
    lockout: dt.timedelta,
) -> NoReturn:
    recent = user.last_failed_at is not None and now - user.last_failed_at <= failure_window
    user.failed_logins = (user.failed_logins if recent else 0) + 1
    user.last_failed_at = now
    count = user.failed_logins
    locked = count >= max_failures
    if locked:
        user.locked_until = now + lockout
        user.failed_logins = 0
    detail = {"reason": "bad_password", "failures": count}
    entry_roles = [r.value for r in user.roles]
    append_audit(
        session,
        actor=user.username,
        actor_roles=entry_roles,
        action="user.login",
        target=user.username,
        outcome="failure",
        detail=detail,
        source_ip=source_ip,
        now=now,
    )
    if locked:
        assert user.locked_until is not None
        append_audit(
            session,
            actor="system",
            action="user.lockout",
            target=user.username,
            detail={
                "failures": count,
                "locked_until": user.locked_until,
                "window_s": failure_window.total_seconds(),
            },
            source_ip=source_ip,
            now=now,
        )
    session.commit()
    raise AuthenticationError()


def _login_failed(
    session: Session,
    *,
    username: str,
    user: User | None,
    source_ip: str | None,
    now: dt.datetime,
    reason: str,
) -> NoReturn:
    detail: dict[str, Any] = {"reason": reason}
    if user is not None and reason == "locked":
        detail["locked_until"] = user.locked_until
    roles = [] if user is None else [r.value for r in user.roles]
    append_audit(
        session,
        actor=username[:256],
        actor_roles=roles,
        action="user.login",
        target=username[:256],
        outcome="failure",
        detail=detail,
        source_ip=source_ip,
        now=now,
    )
    session.commit()
    raise AuthenticationError()


def token_digest(token: str) -> str:
    """SHA-256 hex of a session token (what the database keeps)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_session(
    session: Session,
    *,
    user: User,
    source_ip: str | None,
    now: dt.datetime,
    idle_minutes: int = DEFAULT_IDLE_MINUTES,
) -> str:
    """Open an API session for ``user``; returns the bearer token (only its hash is stored)."""
    now = utc(now)
    token = secrets.token_urlsafe(32)
    session.add(
        ApiSession(
            token_hash=token_digest(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + dt.timedelta(minutes=idle_minutes),
            source_ip=source_ip,
            revoked=False,
        )
    )
    session.flush()
    return token


def resolve_session(
    session: Session,
    *,
    token: str,
    now: dt.datetime,
    idle_minutes: int = DEFAULT_IDLE_MINUTES,
    max_age: dt.timedelta = DEFAULT_MAX_SESSION_AGE,
) -> User | None:
    """The user behind ``token``, or None when unknown, revoked, idle too long or too old.

    A valid session slides: ``last_seen_at`` becomes ``now`` and ``expires_at`` moves to
    ``now + idle_minutes``. An expired session is marked revoked. Sessions of disabled users
    do not resolve.
    """
    now = utc(now)
    row = session.execute(
        select(ApiSession).where(ApiSession.token_hash == token_digest(token))
    ).scalar_one_or_none()
    if row is None or row.revoked or row.user.disabled:
        return None
    idle = dt.timedelta(minutes=idle_minutes)
    if now >= row.expires_at or now - row.last_seen_at >= idle or now - row.created_at >= max_age:
        row.revoked = True  # dead for good, even if a clock later steps back
        return None
    row.last_seen_at = now
    row.expires_at = now + idle
    return row.user


DEFAULT_SLIDE_EVERY = dt.timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class SessionLookup:
    """What a read-only look at a session found.

    ``state``: ``valid`` (use it as is), ``stale`` (valid, but its idle clock should slide:
    call :func:`resolve_session` in a write transaction), ``expired`` (dead: call
    :func:`resolve_session` to mark it revoked) or ``unknown`` (no such live session).
    ``urgent``: a stale session idle for half its timeout or more, whose slide must not wait
    for a later request.
    """

    state: Literal["valid", "stale", "expired", "unknown"]
    username: str | None = None
    roles: tuple[str, ...] = ()
    urgent: bool = False


def lookup_session(
    session: Session,
    *,
    token: str,
    now: dt.datetime,
    idle_minutes: int = DEFAULT_IDLE_MINUTES,
    max_age: dt.timedelta = DEFAULT_MAX_SESSION_AGE,
    slide_every: dt.timedelta = DEFAULT_SLIDE_EVERY,
) -> SessionLookup:
    """Check ``token`` without writing, so most requests need no write transaction at all.

    The idle clock only needs moving once per ``slide_every``; in between a request reads.
    """
    now = utc(now)
    row = session.execute(
        select(ApiSession).where(ApiSession.token_hash == token_digest(token))
    ).scalar_one_or_none()
    if row is None or row.revoked or row.user.disabled:
        return SessionLookup("unknown")
    idle = dt.timedelta(minutes=idle_minutes)
    if now >= row.expires_at or now - row.last_seen_at >= idle or now - row.created_at >= max_age:
        return SessionLookup("expired")
    idle_for = now - row.last_seen_at
    state: Literal["valid", "stale"] = "stale" if idle_for >= slide_every else "valid"
    return SessionLookup(state, row.user.username, tuple(row.user.role_names), urgent=idle_for >= idle / 2)


def revoke_session(
    session: Session,
    *,
    token: str,
    source_ip: str | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """Log out: revoke the session behind ``token``. True when there was a live one."""
    row = session.execute(
        select(ApiSession).where(ApiSession.token_hash == token_digest(token))
    ).scalar_one_or_none()
    if row is None or row.revoked:
        return False
    row.revoked = True
    append_audit(
        session,
        actor=row.user.username,
        actor_roles=[r.value for r in row.user.roles],
        action="session.revoke",
        target=row.user.username,
        source_ip=source_ip,
        now=now,
    )
    return True


def revoke_user_sessions(
    session: Session,
    *,
    user: User,
    actor: str = "system",
    actor_roles: Iterable[Role | str] = (),
    source_ip: str | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Revoke every live session of ``user`` (e.g. after disabling it); returns how many."""
    rows = list(
        session.execute(
            select(ApiSession).where(ApiSession.user_id == user.id, ApiSession.revoked.is_(False))
        ).scalars()
    )
    for row in rows:
        row.revoked = True
    if rows:
        append_audit(
            session,
            actor=actor,
            actor_roles=[str(r) for r in actor_roles],
            action="session.revoke_all",
            target=user.username,
            detail={"sessions": len(rows)},
            source_ip=source_ip,
            now=now,
        )
    return len(rows)


def set_password(
    session: Session,
    *,
    user: User,
    password: str,
    actor: str = "system",
    actor_roles: Iterable[Role | str] = (),
    source_ip: str | None = None,
    now: dt.datetime | None = None,
) -> User:
    """Replace ``user``'s password (policy checked) and end every session of theirs."""
    problems = check_password_policy(password, user.username)
    if problems:
        raise PasswordPolicyError(problems)
    when = utc(now) if now is not None else utcnow()
    user.password_hash = hash_password(password)
    user.password_changed_at = when
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    append_audit(
        session,
        actor=actor,
        actor_roles=[str(r) for r in actor_roles],
        action="user.password",
        target=user.username,
        source_ip=source_ip,
        now=when,
    )
    revoke_user_sessions(
        session, user=user, actor=actor, actor_roles=actor_roles, source_ip=source_ip, now=when
    )
    return user


def set_disabled(
    session: Session,
    *,
    user: User,
    disabled: bool,
    actor: str = "system",
    actor_roles: Iterable[Role | str] = (),
    source_ip: str | None = None,
    now: dt.datetime | None = None,
) -> User:
    """Disable (ending every session) or re-enable an account."""
    if user.disabled == disabled:
        return user
    before = _user_summary(user)
    user.disabled = disabled
    session.flush()
    append_audit(
        session,
        actor=actor,
        actor_roles=[str(r) for r in actor_roles],
        action="user.disable" if disabled else "user.enable",
        target=user.username,
        before=before,
        after=_user_summary(user),
        source_ip=source_ip,
        now=now,
    )
    if disabled:
        revoke_user_sessions(
            session, user=user, actor=actor, actor_roles=actor_roles, source_ip=source_ip, now=now
        )
    return user
