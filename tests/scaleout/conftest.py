"""Fixtures of the scale-out tests: a real nats-server with JetStream."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from soc_api.testing import NatsServer, nats_server_binary


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


@pytest.fixture
def nats_url(tmp_path: Path) -> Iterator[str]:
    """A JetStream-enabled nats-server on a free loopback port, with its store in tmp_path."""
    binary = nats_server_binary()
    if binary is None:
        reason = "nats-server is not installed (Debian package nats-server; .ci/run installs it)"
        if _in_ci():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    server = NatsServer(tmp_path / "nats", binary)
    try:
        server.wait_ready()
        print(f"\nnats-server: {binary} at {server.url} (JetStream)")
        yield server.url
    finally:
        server.stop()
