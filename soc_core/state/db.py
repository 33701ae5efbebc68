"""Opening the StateStore: engine, sessions, and Alembic ``upgrade head`` on open.

SQLite (the default) runs in WAL mode with foreign keys on. Its transactions start with
``BEGIN IMMEDIATE`` so writers queue up (busy timeout) instead of failing with a stale
snapshot; this is what serialises chained writes such as the operation log. Read-only
sessions (``store.session(readonly=True)``) use a deferred ``BEGIN`` and never block.
PostgreSQL serialises chained writers with lock rows (``SELECT … FOR UPDATE``).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from soc_core.errors import StoreError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_S = 30.0
READONLY_KEY = "shaowang_readonly"  # in Session.info and execution options
_MIGRATION_LOCK_KEY = 0x50C_57A7E  # pg_advisory_xact_lock key held while migrating


class ReadOnlySessionError(StoreError):
    """A read-only session tried to write."""


def alembic_config(url: str | None = None) -> Config:
    """An Alembic ``Config`` for the packaged migrations (no ``alembic.ini`` needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str | None:
    """The newest migration revision shipped with this package."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


class StateStore:
    """The relational state of the platform (users, sessions, audit log …)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False)
        readonly_engine = engine.execution_options(**{READONLY_KEY: True})
        if engine.dialect.name == "postgresql":
            readonly_engine = readonly_engine.execution_options(postgresql_readonly=True)
        self._readonly_sessions = sessionmaker(
            bind=readonly_engine, expire_on_commit=False, info={READONLY_KEY: True}
        )
        event.listen(self._readonly_sessions, "before_flush", _guard_readonly)
        # SQLite has one writer at a time; its busy handler polls with sleeps of up to 100 ms, so
        # a burst of writers in this process (sessions sliding their idle clocks together) took
        # hundreds of ms. Queue them on a lock instead; other processes still meet busy_timeout.
        self._write_lock: threading.RLock | None = (
            threading.RLock() if engine.dialect.name == "sqlite" else None
        )

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, readonly: bool = False) -> Iterator[Session]:
        """A session that commits when the block succeeds and rolls back when it raises."""
        factory = self._readonly_sessions if readonly else self._sessions
        lock = None if readonly else self._write_lock
        if lock is not None and not lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_S):
            raise StoreError(
                f"no write access to the state database within {SQLITE_BUSY_TIMEOUT_S:g} s",
                where=repr(self),
            )
        try:
            session = factory()
            try:
                yield session
                if not readonly:
                    session.commit()  # read-only: close() below ends the transaction, objects stay loaded
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()
        finally:
            if lock is not None:
                lock.release()

    @contextmanager
    def session_unless_busy(self) -> Iterator[Session | None]:
        """A write session, or None at once when another thread of this process is writing
        (SQLite): for writes that may as well happen on a later occasion."""
        lock = self._write_lock
        if lock is None:
            with self.session() as session:
                yield session
            return
        if not lock.acquire(blocking=False):
            yield None
            return
        try:
            with self.session() as session:  # re-enters the lock this thread holds
                yield session
        finally:
            lock.release()

    def current_revision(self) -> str | None:
        """The migration revision the database is at."""
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"StateStore({self.engine.url.render_as_string(hide_password=True)!r})"


def _sqlite_engine(url: URL, **kwargs: Any) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S}
    if database in ("", ":memory:"):
        kwargs.setdefault("poolclass", StaticPool)  # one shared connection, or the data vanishes
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see "begin")
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            if database and database != ":memory:":
                _enable_wal(cursor)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        readonly = conn.get_execution_options().get(READONLY_KEY, False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


def _enable_wal(cursor: sqlite3.Cursor) -> None:
    # Switching the journal mode ignores busy_timeout: while another connection holds the
    # file (several processes opening a new database at once) it fails at once, so retry.
    for attempt in range(100):
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if attempt == 99:
                raise
            time.sleep(0.05)


def create_state_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` set up for the StateStore (no migrations run)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, **kwargs)
    if parsed.get_backend_name() != "postgresql":
        raise StoreError(f"unsupported state store backend {parsed.get_backend_name()!r}", where=url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **kwargs)


def _guard_readonly(session: Session, _ctx: object, _instances: object) -> None:
    if session.info.get(READONLY_KEY) and (session.new or session.dirty or session.deleted):
        raise ReadOnlySessionError("write attempted in a read-only state store session")


def migrate(engine: Engine) -> None:
    """Run Alembic ``upgrade head`` on ``engine``; concurrent openers wait for each other."""
    config = alembic_config()
    with engine.begin() as conn:  # BEGIN IMMEDIATE on SQLite
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def open_state(url: str, *, migrate_schema: bool = True, **engine_kwargs: Any) -> StateStore:
    """Open the StateStore at ``url`` (``Settings.state_url``) and bring its schema to head."""
    engine = create_state_engine(url, **engine_kwargs)
    try:
        if migrate_schema:
            migrate(engine)
    except Exception:
        engine.dispose()
        raise
    return StateStore(engine)
