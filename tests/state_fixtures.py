"""StateStore fixtures shared by the state and asset tests: each runs on SQLite and PostgreSQL.

PostgreSQL comes from ``SOC_TEST_PG_URL`` (``postgresql+psycopg://soc:soc@127.0.0.1:5432/soc_test``).
Each PostgreSQL test gets a fresh schema (``search_path`` set through the URL), dropped after.
Without the variable the PostgreSQL cases are skipped with a reason, unless ``CI`` is set:
then they fail, so CI never silently skips a backend.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from soc_core.state.db import StateStore, open_state

PG_ENV = "SOC_TEST_PG_URL"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def _pg_base_url() -> str:
    url = os.environ.get(PG_ENV, "").strip()
    if url:
        return url
    if _in_ci():
        pytest.fail(
            f"{PG_ENV} is not set but CI is: the PostgreSQL StateStore tests must run in CI", pytrace=False
        )
    pytest.skip(
        f"PostgreSQL backend not configured: set {PG_ENV}="
        "postgresql+psycopg://soc:soc@127.0.0.1:5432/soc_test to run these cases"
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database: a fresh SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nested' / 'dir' / 'state.db'}"
        return
    base = _pg_base_url()
    schema = f"soc_t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store(state_url: str) -> Iterator[StateStore]:
    """An open, migrated StateStore on the parametrised backend."""
    opened = open_state(state_url)
    try:
        yield opened
    finally:
        opened.close()
