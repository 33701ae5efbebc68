"""The hash-chained operation log: append, verify, tamper evidence, immutability, concurrency."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import exc as sa_exc
from sqlalchemy import select, text
from state_support import T0

from soc_core.audit import (
    GENESIS_HASH,
    AuditImmutableError,
    append_audit,
    canonical_json,
    compute_entry_hash,
    list_audit,
    to_ecs,
    verify_audit_chain,
)
from soc_core.events import Event
from soc_core.state.db import ReadOnlySessionError, StateStore
from soc_core.state.models import AuditEntry
from soc_core.vocabulary import Role


def _append(store: StateStore, n: int, *, actor: str = "secadm", start: dt.datetime = T0) -> None:
    with store.session() as session:
        for i in range(n):
            append_audit(
                session,
                actor=actor,
                actor_roles=[Role.SECURITY_ADMIN],
                action="rule.update",
                target=f"rules/sigma/r{i}.yml",
                detail={"n": i, "说明": "修改规则"},
                before={"enabled": False},
                after={"enabled": True},
                source_ip="10.0.0.9",
                now=start + dt.timedelta(seconds=i),
            )


def _verify(store: StateStore, **kwargs: Any) -> Any:
    with store.session(readonly=True) as session:
        return verify_audit_chain(session, **kwargs)


def _raw(store: StateStore, sql: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(text(sql))


def _drop_triggers(store: StateStore) -> None:
    suffix = " ON audit_log" if store.dialect == "postgresql" else ""
    for name in ("audit_log_no_update", "audit_log_no_delete"):
        _raw(store, f"DROP TRIGGER {name}{suffix}")


def test_empty_log_verifies(store: StateStore) -> None:
    result = _verify(store)
    assert result.ok and result.entries == 0 and result.head_hash == GENESIS_HASH


def test_append_and_verify(store: StateStore) -> None:
    _append(store, 5)
    with store.session(readonly=True) as session:
        entries = list_audit(session)
        assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
        assert entries[0].prev_hash == GENESIS_HASH
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
        assert all(compute_entry_hash(e) == e.hash for e in entries)
        first = entries[0]
        assert first.ts == T0 and first.ts.tzinfo is not None
        assert first.roles == ["security_admin"]
        assert first.detail_value == {"n": 0, "说明": "修改规则"}
        assert (first.before_value, first.after_value) == ({"enabled": False}, {"enabled": True})
        assert list_audit(session, after_seq=3) == entries[3:]
        assert len(list_audit(session, action="rule.update", actor="secadm", limit=2)) == 2
    result = _verify(store)
    assert result.ok and result.entries == 5 and result.first_bad_seq is None
    assert (result.head_seq, result.head_hash) == (5, entries[-1].hash)


def test_appends_in_separate_transactions_chain(store: StateStore) -> None:
    for i in range(3):
        _append(store, 1, start=T0 + dt.timedelta(minutes=i))
    assert _verify(store).entries == 3


def test_rolled_back_append_leaves_no_trace(store: StateStore) -> None:
    _append(store, 2)
    with pytest.raises(RuntimeError), store.session() as session:
        append_audit(session, actor="x", action="rule.update")
        raise RuntimeError("boom")
    _append(store, 1)
    result = _verify(store)
    assert result.ok and result.entries == 3


def test_argument_checks(store: StateStore) -> None:
    with store.session() as session:
        with pytest.raises(ValueError, match="outcome"):
            append_audit(session, actor="x", action="a", outcome="ok")
        with pytest.raises(ValueError, match="action"):
            append_audit(session, actor="x", action="")
        with pytest.raises(ValueError):
            append_audit(session, actor="x", action="a", detail={"v": float("nan")})
        with pytest.raises(TypeError):
            append_audit(session, actor="x", action="a", detail={"v": object()})
    with pytest.raises(ReadOnlySessionError), store.session(readonly=True) as session:
        append_audit(session, actor="x", action="a")


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"])
def test_raw_update_and_delete_are_rejected(store: StateStore, statement: str) -> None:
    _append(store, 3)
    with pytest.raises(sa_exc.DBAPIError, match="append-only"):
        _raw(store, statement + " WHERE seq = 2")
    with pytest.raises(sa_exc.DBAPIError, match="append-only"):
        _raw(store, statement)
    assert _verify(store).entries == 3


def test_truncate_is_rejected_on_postgresql(store: StateStore) -> None:
    _append(store, 1)
    statement = "TRUNCATE audit_log" if store.dialect == "postgresql" else "DELETE FROM audit_log"
    with pytest.raises(sa_exc.DBAPIError, match="append-only"):
        _raw(store, statement)


def test_orm_cannot_modify_or_delete(store: StateStore) -> None:
    _append(store, 2)
    with pytest.raises(AuditImmutableError), store.session() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.seq == 1)).scalar_one()
        entry.actor = "mallory"
        session.flush()
    with pytest.raises(AuditImmutableError), store.session() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.seq == 1)).scalar_one()
        session.delete(entry)
        session.flush()
    assert _verify(store).ok


def test_tampered_content_is_detected(store: StateStore) -> None:
    _append(store, 5)
    _drop_triggers(store)
    _raw(store, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
    result = _verify(store)
    assert not result.ok
    assert result.first_bad_seq == 3 and result.entries == 2 and result.head_seq == 2
    assert result.reason is not None and "entry 3" in result.reason


def test_tampered_detail_whitespace_is_detected(store: StateStore) -> None:
    _append(store, 2)
    _drop_triggers(store)
    _raw(store, 'UPDATE audit_log SET detail = \'{"n": 1, "说明": "修改规则"}\' WHERE seq = 2')
    assert _verify(store).first_bad_seq == 2


def test_rehashed_tampering_breaks_the_next_link(store: StateStore) -> None:
    _append(store, 4)
    _drop_triggers(store)
    with store.session() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.seq == 2)).scalar_one()
        entry.target = "rules/other.yml"
        forged = compute_entry_hash(entry)
        session.expunge(entry)
    _raw(store, f"UPDATE audit_log SET target = 'rules/other.yml', hash = '{forged}' WHERE seq = 2")
    result = _verify(store)
    assert (result.ok, result.first_bad_seq) == (False, 3)
    assert result.reason is not None and "prev_hash" in result.reason


def test_deleted_entry_is_detected(store: StateStore) -> None:
    _append(store, 5)
    _drop_triggers(store)
    _raw(store, "DELETE FROM audit_log WHERE seq = 4")
    result = _verify(store)
    assert (result.ok, result.first_bad_seq, result.entries) == (False, 4, 3)
    assert result.reason is not None and "missing" in result.reason


def test_truncated_tail_is_detected_against_an_anchor(store: StateStore) -> None:
    _append(store, 5)
    anchor = _verify(store)
    _drop_triggers(store)
    _raw(store, "DELETE FROM audit_log WHERE seq >= 4")
    assert _verify(store).ok  # the log alone cannot tell
    result = _verify(store, anchor_seq=anchor.head_seq, anchor_hash=anchor.head_hash)
    assert not result.ok and result.first_bad_seq == 4
    assert _verify(store, anchor_seq=3, anchor_hash="f" * 64).first_bad_seq == 3


def test_concurrent_appends_keep_one_chain(store: StateStore) -> None:
    threads, per_thread = 8, 15
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with store.session() as session:
                    append_audit(session, actor=f"user{k}", action="alert.update", target=f"{k}/{i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=120)
    assert not errors, errors
    result = _verify(store)
    assert result.ok and result.entries == threads * per_thread
    with store.session(readonly=True) as session:
        targets = {e.target for e in list_audit(session, limit=1000)}
    assert len(targets) == threads * per_thread


def test_second_writer_waits_for_the_first(store: StateStore) -> None:
    _append(store, 1)
    done: list[int] = []

    def second() -> None:
        with store.session() as session:
            done.append(append_audit(session, actor="b", action="alert.update").seq)

    with store.session() as session:
        assert append_audit(session, actor="a", action="alert.update").seq == 2
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)
        assert done == []  # blocked behind our open transaction
    thread.join(timeout=30)
    assert done == [3]
    assert _verify(store).entries == 3


def test_to_ecs(store: StateStore) -> None:
    with store.session() as session:
        login = append_audit(
            session,
            actor="ana",
            actor_roles=[Role.ANALYST],
            action="user.login",
            target="ana",
            outcome="failure",
            detail={"reason": "bad_password"},
            source_ip="10.0.0.7",
            now=T0,
        )
        change = append_audit(
            session,
            actor="sysadm",
            actor_roles=["system_admin"],
            action="store.retention_set",
            before={"days": 180},
            after={"days": 365},
            source_ip="cli",
            now=T0,
        )
    doc = to_ecs(login)
    assert doc["@timestamp"] == "2024-11-27T08:00:00Z"
    assert doc["event"]["kind"] == "event" and doc["event"]["dataset"] == "shaowang.audit"
    assert doc["event"]["category"] == ["iam"] and doc["event"]["action"] == "user.login"
    assert doc["event"]["outcome"] == "failure"
    assert doc["user"] == {"name": "ana", "roles": ["analyst"]}
    assert doc["source"] == {"ip": "10.0.0.7"}
    assert doc["shaowang"]["audit"]["hash"] == login.hash
    other = to_ecs(change)
    assert other["event"]["category"] == ["configuration"] and "source" not in other
    assert other["shaowang"]["audit"]["after"] == {"days": 365}
    assert other["shaowang"]["audit"]["source"] == "cli"
    for d in (doc, other):
        event = Event.from_dict(d)
        assert event.event.dataset == "shaowang.audit"


def test_canonical_json_is_stable() -> None:
    expected = '{"a":[1,"é"],"b":1,"t":"2024-11-27T08:00:00+00:00"}'
    assert canonical_json({"b": 1, "a": [1, "é"], "t": T0}) == expected


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actor=st.text(min_size=1, max_size=30), target=st.none() | st.text(max_size=30), detail=_json)
def test_any_content_round_trips_and_verifies(
    store: StateStore, actor: str, target: str | None, detail: Any
) -> None:
    with store.session() as session:
        append_audit(session, actor=actor, action="x.y", target=target, detail=detail, source_ip=target)
    result = _verify(store)
    assert result.ok, result
