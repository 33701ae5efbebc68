"""StateStore fixtures for these tests (see ``tests/state_fixtures.py``)."""

from __future__ import annotations

import pytest
from state_fixtures import PG_ENV, state_url, store

__all__ = ["PG_ENV", "state_url", "store"]


@pytest.fixture(autouse=True)
def _fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOC_ARGON2_FAST", "1")
