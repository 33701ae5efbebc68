"""Log-source health from the intake counters: who sends, how much, who has gone quiet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel


class SourceHealth(BaseModel):
    """One sender as the network admin watches it."""

    peer: str
    transport: str
    records: int
    bytes: int
    dropped: int
    errors: int
    first_seen: dt.datetime | None
    last_seen: dt.datetime | None
    silent: bool
    silent_for_s: float
    expected_interval_s: float


def source_health(
    peers: Iterable[Mapping[str, Any]], *, now: float, expected_interval_s: float
) -> list[SourceHealth]:
    """Each sender with its counters; silent when quiet longer than ``expected_interval_s``."""
    rows: list[SourceHealth] = []
    for peer in peers:
        last = float(peer.get("last_seen") or 0.0)
        first = float(peer.get("first_seen") or 0.0)
        quiet = max(0.0, now - last) if last else 0.0
        rows.append(
            SourceHealth(
                peer=str(peer.get("peer", "")),
                transport=str(peer.get("transport", "")),
                records=int(peer.get("records", 0)),
                bytes=int(peer.get("bytes", 0)),
                dropped=int(peer.get("dropped", 0)),
                errors=int(peer.get("errors", 0)),
                first_seen=dt.datetime.fromtimestamp(first, dt.UTC) if first else None,
                last_seen=dt.datetime.fromtimestamp(last, dt.UTC) if last else None,
                silent=bool(last) and quiet >= expected_interval_s,
                silent_for_s=round(quiet, 1) if last else 0.0,
                expected_interval_s=expected_interval_s,
            )
        )
    # The silent ones first: they are what the admin has to act on.
    return sorted(rows, key=lambda r: (not r.silent, -r.silent_for_s, r.peer))
