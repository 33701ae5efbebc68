"""Source health: a log source that stops sending becomes an event, so rules can alert on it.

A device that goes quiet is either broken, cut off, or had its logging switched off — each a
gap in the retained record (等保 8.1.5.4 d). Every sender that has sent at least once is
watched; after ``silence_after_s`` without a record a ``shaowang.health`` event with
``event.action: source_silent`` is raised (once per silence), and ``source_resumed`` when it
sends again. Counters live in memory: silences that began before a restart are seen again
only once the source has sent after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from collectors.intake import PeerCounters
from soc_core.events import Event, EventInfo, Log
from soc_core.vocabulary import HEALTH_DATASET, EventKind, Severity


def _host(peer: str) -> str:
    """``192.0.2.1:514`` / ``[2001:db8::1]:514`` → the address without the port."""
    if peer.startswith("["):
        return peer[1 : peer.find("]")] if "]" in peer else peer
    host, sep, port = peer.rpartition(":")
    return host if sep and port.isdigit() and ":" not in host else peer


@dataclass(slots=True)
class SilenceWatch:
    """Turns per-sender last-seen times into silence and resume events."""

    after_s: float
    silent: dict[str, float] = field(default_factory=dict)  # host -> last_seen when reported

    def check(self, peers: Iterable[PeerCounters], *, now: float) -> list[Event]:
        """Events for senders that went silent or came back since the last check."""
        last: dict[str, tuple[float, list[str]]] = {}
        for counters in peers:
            if counters.records <= 0:
                continue
            host = _host(counters.peer)
            seen, transports = last.get(host, (0.0, []))
            last[host] = (max(seen, counters.last_seen), [*transports, counters.transport])
        events: list[Event] = []
        for host, (seen, transports) in sorted(last.items()):
            quiet = now - seen
            reported = self.silent.get(host)
            if reported is not None and seen > reported:
                del self.silent[host]
                events.append(
                    self._event(host, transports, now, quiet, "source_resumed", silent_since=reported)
                )
            elif reported is None and quiet >= self.after_s:
                self.silent[host] = seen
                events.append(self._event(host, transports, now, quiet, "source_silent", silent_since=seen))
        return events

    def _event(
        self, host: str, transports: list[str], now: float, quiet: float, action: str, *, silent_since: float
    ) -> Event:
        silent = action == "source_silent"
        stamp = dt.datetime.fromtimestamp(now, dt.UTC)
        since = dt.datetime.fromtimestamp(silent_since, dt.UTC)
        reason = (
            f"no records from {host} for {quiet:.0f} s (threshold {self.after_s:.0f} s)"
            if silent
            else f"{host} sends again after a silence since {since.isoformat()}"
        )
        return Event(
            timestamp=stamp,
            event=EventInfo(
                kind=EventKind.STATE,
                dataset=HEALTH_DATASET,
                action=action,
                category=["host"],
                type=["info"],
                severity=int(Severity.MEDIUM if silent else Severity.INFORMATIONAL),
                reason=reason,
                created=stamp,
            ),
            log=Log(source_address=host),
            extra={
                "shaowang": {
                    "health": {
                        "source": host,
                        "transports": sorted(set(transports)),
                        "silent_seconds": int(quiet) if silent else int(now - silent_since),
                        "threshold_seconds": int(self.after_s),
                        "last_record_at": since.isoformat(),
                    }
                }
            },
        )
