"""Users, roles under 三员分立, login with lockout."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import select, text
from state_support import GOOD_PASSWORD, T0

from soc_core.audit import list_audit, verify_audit_chain
from soc_core.errors import RoleConflictError
from soc_core.passwords import hash_password
from soc_core.state.db import StateStore
from soc_core.state.models import User
from soc_core.state.users import (
    AUTH_FAILED_MESSAGE,
    AuthenticationError,
    DuplicateUserError,
    InvalidUsernameError,
    PasswordPolicyError,
    UnknownRoleError,
    authenticate,
    create_user,
    get_user,
    grant_role,
    list_users,
    revoke_role,
)
from soc_core.vocabulary import Role

MIN = dt.timedelta(minutes=1)


def _make(store: StateStore, username: str = "alice", roles: tuple[Role | str, ...] = (Role.ANALYST,)) -> int:
    with store.session() as session:
        user = create_user(
            session,
            username=username,
            password=GOOD_PASSWORD,
            roles=roles,
            display_name="张三",
            actor="sysadm",
            actor_roles=[Role.SYSTEM_ADMIN],
            source_ip="10.1.1.1",
            now=T0,
        )
        return user.id


def _login(store: StateStore, password: str, *, at: dt.datetime, username: str = "alice") -> User:
    with store.session() as session:
        return authenticate(session, username=username, password=password, source_ip="10.2.2.2", now=at)


def _actions(store: StateStore) -> list[tuple[str, str, str | None]]:
    with store.session(readonly=True) as session:
        return [(e.action, e.outcome, e.target) for e in list_audit(session, limit=1000)]


def test_create_and_authenticate(store: StateStore) -> None:
    _make(store)
    user = _login(store, GOOD_PASSWORD, at=T0 + MIN)
    assert user.username == "alice"
    assert user.roles == {Role.ANALYST}
    assert user.role_names == ["analyst"]
    assert user.display_name == "张三"
    assert user.password_hash.startswith("$argon2id$")
    assert _actions(store) == [("user.create", "success", "alice"), ("user.login", "success", "alice")]
    with store.session(readonly=True) as session:
        assert [u.username for u in list_users(session)] == ["alice"]
        assert get_user(session, username="ALICE") is not None
        created = list_audit(session)[0]
        assert created.actor == "sysadm" and created.roles == ["system_admin"]
        assert created.source_ip == "10.1.1.1"
        assert "password" not in (created.after or "")
        assert verify_audit_chain(session).ok


def test_username_is_case_insensitive(store: StateStore) -> None:
    _make(store, "Alice")
    assert _login(store, GOOD_PASSWORD, at=T0, username="aLiCe").username == "Alice"
    with pytest.raises(DuplicateUserError, match="already taken"), store.session() as session:
        create_user(session, username="ALICE", password=GOOD_PASSWORD, roles=[Role.ANALYST])


@pytest.mark.parametrize("username", ["a", "bad name", "-lead", "x" * 65, "名字", "a\x00b"])
def test_invalid_username(store: StateStore, username: str) -> None:
    with pytest.raises(InvalidUsernameError), store.session() as session:
        create_user(session, username=username, password=GOOD_PASSWORD, roles=[Role.ANALYST])


def test_policy_failure_is_a_value_error(store: StateStore) -> None:
    with pytest.raises(ValueError, match="at least 10 characters") as info, store.session() as session:
        create_user(session, username="bob", password="short", roles=[Role.ANALYST])
    assert isinstance(info.value, PasswordPolicyError)
    assert len(info.value.problems) == 2
    with pytest.raises(PasswordPolicyError, match="username"), store.session() as session:
        create_user(session, username="bob", password="Bob-is-2024!", roles=[Role.ANALYST])
    with store.session(readonly=True) as session:
        assert list_users(session) == []


def test_unknown_role(store: StateStore) -> None:
    with pytest.raises(UnknownRoleError, match="superuser"), store.session() as session:
        create_user(session, username="bob", password=GOOD_PASSWORD, roles=["superuser"])


@pytest.mark.parametrize(
    "roles",
    [
        (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN),
        (Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN),
        ("security_admin", "audit_admin", "analyst"),
    ],
)
def test_role_separation_at_create(store: StateStore, roles: tuple[Role | str, ...]) -> None:
    with pytest.raises(RoleConflictError, match="三员分立"), store.session() as session:
        create_user(session, username="root", password=GOOD_PASSWORD, roles=roles)
    with store.session(readonly=True) as session:
        assert list_users(session) == []


def test_one_admin_role_plus_others_is_fine(store: StateStore) -> None:
    _make(store, "secadm", (Role.SECURITY_ADMIN, Role.ANALYST, Role.NETWORK_ADMIN))
    with store.session(readonly=True) as session:
        user = get_user(session, username="secadm")
        assert user is not None
        assert user.roles == {Role.SECURITY_ADMIN, Role.ANALYST, Role.NETWORK_ADMIN}


def test_grant_role_enforces_separation(store: StateStore) -> None:
    user_id = _make(store, "sysadm", (Role.SYSTEM_ADMIN,))
    with store.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        grant_role(session, user=user, role=Role.ANALYST, actor="secadm")
        grant_role(session, user=user, role=Role.ANALYST, actor="secadm")  # already held: no-op
    with pytest.raises(RoleConflictError), store.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        grant_role(session, user=user, role=Role.AUDIT_ADMIN, actor="secadm")
    with store.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        assert user.roles == {Role.SYSTEM_ADMIN, Role.ANALYST}
        revoke_role(session, user=user, role=Role.SYSTEM_ADMIN, actor="secadm")
        grant_role(session, user=user, role=Role.AUDIT_ADMIN, actor="secadm")
    with store.session(readonly=True) as session:
        user = session.get(User, user_id)
        assert user is not None and user.roles == {Role.AUDIT_ADMIN, Role.ANALYST}
    assert [a for a in _actions(store) if a[0] != "user.create"] == [
        ("user.grant_role", "success", "sysadm"),
        ("user.revoke_role", "success", "sysadm"),
        ("user.grant_role", "success", "sysadm"),
    ]


def test_denied_grant_is_audited_when_caller_commits(store: StateStore) -> None:
    user_id = _make(store, "sysadm", (Role.SYSTEM_ADMIN,))
    with store.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        with pytest.raises(RoleConflictError):
            grant_role(session, user=user, role=Role.SECURITY_ADMIN, actor="secadm")
    assert _actions(store)[-1] == ("user.grant_role", "failure", "sysadm")


def test_role_separation_enforced_by_the_database(store: StateStore) -> None:
    user_id = _make(store, "sysadm", (Role.SYSTEM_ADMIN,))
    with pytest.raises(sa_exc.IntegrityError), store.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO user_roles (user_id, role) VALUES (:u, 'audit_admin')"), {"u": user_id}
        )
    with pytest.raises(sa_exc.IntegrityError), store.engine.begin() as conn:
        conn.execute(text("INSERT INTO user_roles (user_id, role) VALUES (:u, 'root')"), {"u": user_id})
    with store.engine.begin() as conn:  # non-admin roles are still allowed
        conn.execute(text("INSERT INTO user_roles (user_id, role) VALUES (:u, 'analyst')"), {"u": user_id})


def test_role_separation_enforced_by_the_database_for_orm_writes(store: StateStore) -> None:
    from soc_core.state.models import UserRole

    user_id = _make(store, "sysadm", (Role.SYSTEM_ADMIN,))
    with pytest.raises(sa_exc.IntegrityError), store.session() as session:
        session.add(UserRole(user_id=user_id, role=Role.SECURITY_ADMIN.value))


def test_wrong_password_and_unknown_user_look_the_same(store: StateStore) -> None:
    _make(store)
    with pytest.raises(AuthenticationError) as wrong:
        _login(store, "Wrong-Pass-2024", at=T0)
    with pytest.raises(AuthenticationError) as unknown:
        _login(store, GOOD_PASSWORD, at=T0, username="nobody")
    with pytest.raises(AuthenticationError) as junk:
        _login(store, GOOD_PASSWORD, at=T0, username="bad\x00name" * 50)
    assert str(wrong.value) == str(unknown.value) == str(junk.value) == AUTH_FAILED_MESSAGE
    actions = _actions(store)
    assert actions[1:3] == [("user.login", "failure", "alice"), ("user.login", "failure", "nobody")]
    with store.session(readonly=True) as session:
        entries = list_audit(session)
        assert entries[1].detail_value == {"reason": "bad_password", "failures": 1}
        assert entries[2].detail_value == {"reason": "unknown_user"}
        assert "\x00" not in (entries[3].actor + (entries[3].target or ""))
        assert verify_audit_chain(session).ok


def test_lockout_and_unlock_after_window(store: StateStore) -> None:
    _make(store)
    for i in range(5):
        with pytest.raises(AuthenticationError):
            _login(store, "Wrong-Pass-2024", at=T0 + i * MIN)
    locked_at = T0 + 4 * MIN
    # Locked: even the right password is refused, and the response is the same.
    with pytest.raises(AuthenticationError, match=AUTH_FAILED_MESSAGE):
        _login(store, GOOD_PASSWORD, at=locked_at + 14 * MIN)
    with store.session(readonly=True) as session:
        user = get_user(session, username="alice")
        assert user is not None and user.locked_until == locked_at + 15 * MIN
        assert user.is_locked(locked_at + 14 * MIN)
    assert _actions(store)[-3:] == [
        ("user.login", "failure", "alice"),
        ("user.lockout", "success", "alice"),
        ("user.login", "failure", "alice"),
    ]
    user = _login(store, GOOD_PASSWORD, at=locked_at + 15 * MIN)
    assert user.locked_until is None and user.failed_logins == 0


def test_failures_spread_beyond_the_window_do_not_lock(store: StateStore) -> None:
    _make(store)
    for i in range(6):
        with pytest.raises(AuthenticationError):
            _login(store, "Wrong-Pass-2024", at=T0 + i * 16 * MIN)
    assert _login(store, GOOD_PASSWORD, at=T0 + 100 * MIN).username == "alice"
    assert "user.lockout" not in {a[0] for a in _actions(store)}


def test_lockout_parameters_are_configurable(store: StateStore) -> None:
    _make(store)
    for _ in range(2):
        with pytest.raises(AuthenticationError), store.session() as session:
            authenticate(
                session,
                username="alice",
                password="nope",
                source_ip=None,
                now=T0,
                max_failures=2,
                lockout=dt.timedelta(minutes=1),
            )
    with pytest.raises(AuthenticationError):
        _login(store, GOOD_PASSWORD, at=T0 + dt.timedelta(seconds=59))
    assert _login(store, GOOD_PASSWORD, at=T0 + MIN).username == "alice"


def test_success_resets_failure_counter(store: StateStore) -> None:
    _make(store)
    for i in range(4):
        with pytest.raises(AuthenticationError):
            _login(store, "Wrong-Pass-2024", at=T0 + i * MIN)
    _login(store, GOOD_PASSWORD, at=T0 + 5 * MIN)
    for i in range(4):
        with pytest.raises(AuthenticationError):
            _login(store, "Wrong-Pass-2024", at=T0 + (6 + i) * MIN)
    assert _login(store, GOOD_PASSWORD, at=T0 + 11 * MIN).username == "alice"


def test_disabled_user_cannot_log_in(store: StateStore) -> None:
    user_id = _make(store)
    with store.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        user.disabled = True
    with pytest.raises(AuthenticationError):
        _login(store, GOOD_PASSWORD, at=T0)
    with store.session(readonly=True) as session:
        assert list_users(session, include_disabled=False) == []


def test_login_upgrades_outdated_hash(store: StateStore) -> None:
    user_id = _make(store)
    with store.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        user.password_hash = hash_password(GOOD_PASSWORD, fast=False)
    user = _login(store, GOOD_PASSWORD, at=T0)
    assert "t=1," in user.password_hash  # rehashed with the (test) profile in force
    with store.session(readonly=True) as session:
        stored = session.execute(select(User.password_hash).where(User.id == user_id)).scalar_one()
    assert stored == user.password_hash
