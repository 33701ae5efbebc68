"""Helpers shared by the embedded store tests (imported, not a conftest: keeps other suites clean)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from soc_core.config import StoreSettings
from soc_core.events import Endpoint, Event, EventInfo, Network

REPO = Path(__file__).resolve().parents[2]
T0 = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


def settings(**kw: Any) -> StoreSettings:
    """Settings that never rotate or seal on their own unless asked to."""
    base: dict[str, Any] = {"seal_interval_s": 3600.0, "seal_max_events": 1_000_000, "compact_min_files": 4}
    base.update(kw)
    return StoreSettings(**base)


def fw_event(
    i: int, *, when: dt.datetime | None = None, dataset: str = "fortinet.firewall", **extra: Any
) -> Event:
    """A small firewall event with predictable fields."""
    ts = when or T0 + dt.timedelta(seconds=i)
    action = "deny" if i % 4 == 0 else "accept"
    return Event(
        timestamp=ts,
        event=EventInfo(
            id=f"ev-{i:06d}",
            dataset=dataset,
            category=["network"],
            action=action,
            original=f"srcip=192.0.2.{i % 10} dstport={[443, 53, 22][i % 3]} action={action}",
        ),
        source=Endpoint(ip=f"192.0.2.{i % 10}", port=40000 + i),
        destination=Endpoint(ip="203.0.113.5", port=[443, 53, 22][i % 3]),
        network=Network(transport="tcp"),
        extra=extra or None,
    )


def run_py(
    code: str, *, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``python -c code`` with the repository importable."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full_env, timeout=timeout, cwd=REPO
    )


def spawn_py(code: str, *, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start ``python -c code`` with stdout piped, line-buffered."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full_env,
        cwd=REPO,
    )
