"""API sessions: opaque tokens, hashed at rest, sliding idle timeout, revocation."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select
from state_support import GOOD_PASSWORD, T0

from soc_core.audit import list_audit
from soc_core.state.db import StateStore
from soc_core.state.models import ApiSession, User
from soc_core.state.users import (
    create_session,
    create_user,
    resolve_session,
    revoke_session,
    revoke_user_sessions,
)
from soc_core.vocabulary import Role

MIN = dt.timedelta(minutes=1)


def _user_and_token(store: StateStore, *, idle: int = 30) -> tuple[int, str]:
    with store.session() as session:
        user = create_user(session, username="ana", password=GOOD_PASSWORD, roles=[Role.ANALYST], now=T0)
        token = create_session(session, user=user, source_ip="10.3.3.3", now=T0, idle_minutes=idle)
        return user.id, token


def _resolve(store: StateStore, token: str, at: dt.datetime, idle: int = 30) -> User | None:
    with store.session() as session:
        return resolve_session(session, token=token, now=at, idle_minutes=idle)


def test_token_is_random_and_only_its_hash_is_stored(store: StateStore) -> None:
    _, token = _user_and_token(store)
    assert len(token) >= 40
    with store.session(readonly=True) as session:
        row = session.execute(select(ApiSession)).scalar_one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {row.token_hash, row.source_ip}
    assert row.expires_at == T0 + 30 * MIN and row.source_ip == "10.3.3.3"


def test_resolve_returns_user_and_slides(store: StateStore) -> None:
    _, token = _user_and_token(store)
    user = _resolve(store, token, T0 + 29 * MIN)
    assert user is not None and user.username == "ana" and user.roles == {Role.ANALYST}
    assert _resolve(store, token, T0 + 58 * MIN) is not None  # slid from minute 29
    assert _resolve(store, token, T0 + 88 * MIN) is None  # 30 idle minutes since minute 58
    with store.session(readonly=True) as session:
        row = session.execute(select(ApiSession)).scalar_one()
    assert row.last_seen_at == T0 + 58 * MIN and row.expires_at == T0 + 88 * MIN


def test_idle_timeout(store: StateStore) -> None:
    _, token = _user_and_token(store, idle=10)
    assert _resolve(store, token, T0 + 9 * MIN, idle=10) is not None
    assert _resolve(store, token, T0 + 19 * MIN, idle=10) is None


def test_expired_session_is_not_revived(store: StateStore) -> None:
    _, token = _user_and_token(store, idle=10)
    assert _resolve(store, token, T0 + 11 * MIN, idle=10) is None
    assert _resolve(store, token, T0 + 5 * MIN, idle=10) is None  # clock stepped back
    with store.session(readonly=True) as session:
        assert session.execute(select(ApiSession.revoked)).scalar_one() is True


def test_shorter_idle_setting_applies_to_open_sessions(store: StateStore) -> None:
    _, token = _user_and_token(store, idle=30)
    assert _resolve(store, token, T0 + 20 * MIN, idle=15) is None


def test_absolute_lifetime(store: StateStore) -> None:
    _, token = _user_and_token(store)
    for step in range(1, 36):  # active every 20 minutes up to 11 h 40
        assert _resolve(store, token, T0 + step * 20 * MIN) is not None
    assert _resolve(store, token, T0 + dt.timedelta(hours=12)) is None


def test_unknown_token(store: StateStore) -> None:
    _user_and_token(store)
    assert _resolve(store, "not-a-token", T0) is None


def test_revoke_session(store: StateStore) -> None:
    _, token = _user_and_token(store)
    with store.session() as session:
        assert revoke_session(session, token=token, source_ip="10.3.3.3", now=T0 + MIN)
        assert not revoke_session(session, token=token)
    assert _resolve(store, token, T0 + 2 * MIN) is None
    with store.session(readonly=True) as session:
        assert list_audit(session)[-1].action == "session.revoke"


def test_disabled_user_sessions_stop_working(store: StateStore) -> None:
    user_id, token = _user_and_token(store)
    with store.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        user.disabled = True
    assert _resolve(store, token, T0 + MIN) is None


def test_revoke_all_sessions_of_a_user(store: StateStore) -> None:
    user_id, token = _user_and_token(store)
    with store.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        second = create_session(session, user=user, source_ip=None, now=T0)
        assert revoke_user_sessions(session, user=user, actor="sysadm") == 2
    assert _resolve(store, token, T0 + MIN) is None
    assert _resolve(store, second, T0 + MIN) is None
