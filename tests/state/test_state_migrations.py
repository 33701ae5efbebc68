"""Opening the StateStore runs the packaged Alembic migrations, idempotently."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from soc_core.errors import StoreError
from soc_core.state.db import StateStore, head_revision, open_state
from soc_core.state.models import Base

TABLES = {"users", "user_roles", "api_sessions", "audit_log", "state_locks", "alembic_version"}


def test_open_creates_schema_at_head(store: StateStore) -> None:
    assert head_revision() == "0006"
    assert store.current_revision() == head_revision()
    assert set(inspect(store.engine).get_table_names()) >= TABLES


def test_open_twice_is_idempotent(state_url: str) -> None:
    first = open_state(state_url)
    with first.session() as session:
        session.execute(text("INSERT INTO state_locks (name) VALUES ('probe')"))
    first.close()
    second = open_state(state_url)
    try:
        assert second.current_revision() == head_revision()
        with second.session(readonly=True) as session:
            names = set(session.execute(text("SELECT name FROM state_locks")).scalars())
        assert names == {"audit_log", "probe"}
    finally:
        second.close()


@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_models_match_migrations(store: StateStore) -> None:
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # Server-side defaults and functional indexes are not compared by autogenerate.
    assert [d for d in diffs if not _is_expression_index(d)] == []


def _is_expression_index(diff: object) -> bool:
    return (
        isinstance(diff, tuple)
        and diff[0] in {"add_index", "remove_index"}
        and diff[1].name == "uq_users_username_lower"
    )


def test_append_only_triggers_installed(store: StateStore) -> None:
    with store.engine.connect() as conn:
        if store.dialect == "postgresql":
            query = "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal"
        else:
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'"
        names = set(conn.execute(text(query)).scalars())
    assert {"audit_log_no_update", "audit_log_no_delete"} <= names


def test_sqlite_file_pragmas_and_parent_dir(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "state.db"
    with open_state(f"sqlite:///{path}") as store, store.engine.connect() as conn:
        assert path.exists()
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_sqlite_in_memory_works_across_sessions() -> None:
    with open_state("sqlite://") as store:
        with store.session() as session:
            session.execute(text("INSERT INTO state_locks (name) VALUES ('m')"))
        with store.session(readonly=True) as session:
            assert session.execute(text("SELECT count(*) FROM state_locks")).scalar() == 2


def test_unsupported_backend_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match="unsupported state store backend"):
        open_state("mysql://u:p@localhost/db")


def test_concurrent_opens_migrate_once(state_url: str) -> None:
    errors: list[BaseException] = []
    stores: list[StateStore] = []
    barrier = threading.Barrier(4)

    def opener() -> None:
        try:
            barrier.wait()
            stores.append(open_state(state_url))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for opened in stores:
        opened.close()
    assert not errors, errors
    assert len(stores) == 4
