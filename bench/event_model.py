"""Event model choice: msgspec Structs (what ``soc_core.events`` uses) against pydantic v2.

Builds and serialises the same firewall event N times with both and prints the medians of
five runs and their ratio. Run: ``.venv/bin/python bench/event_model.py``.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

from pydantic import BaseModel, ConfigDict, Field

from soc_core.events import Endpoint, Event, EventInfo, Network, Observer

N = 50_000


class PEventInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str | None = None
    category: list[str] | None = None
    type: list[str] | None = None
    action: str | None = None
    outcome: str | None = None
    dataset: str | None = None
    severity: int | None = None
    original: str | None = None


class PEndpoint(BaseModel):
    ip: str | None = None
    port: int | None = None
    bytes: int | None = None


class PNetwork(BaseModel):
    transport: str | None = None


class PObserver(BaseModel):
    vendor: str | None = None
    product: str | None = None
    type: str | None = None


class PEvent(BaseModel):
    timestamp: dt.datetime = Field(alias="@timestamp")
    event: PEventInfo
    source: PEndpoint | None = None
    destination: PEndpoint | None = None
    network: PNetwork | None = None
    observer: PObserver | None = None


LINE = "devname=fw01 src=192.0.2.10 dst=198.51.100.7 sport=51234 dport=443 proto=tcp action=deny"
TS = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)


def with_msgspec() -> None:
    for i in range(N):
        Event(
            timestamp=TS,
            event=EventInfo(
                kind="event",
                category=["network"],
                type=["connection", "denied"],
                action="deny",
                outcome="failure",
                dataset="syslog.kv",
                severity=3,
                original=LINE,
            ),
            source=Endpoint(ip="192.0.2.10", port=51234 + i % 7),
            destination=Endpoint(ip="198.51.100.7", port=443),
            network=Network(transport="tcp"),
            observer=Observer(vendor="x", product="y", type="firewall"),
        ).to_json()


def with_pydantic() -> None:
    for i in range(N):
        PEvent(
            **{"@timestamp": TS},
            event=PEventInfo(
                kind="event",
                category=["network"],
                type=["connection", "denied"],
                action="deny",
                outcome="failure",
                dataset="syslog.kv",
                severity=3,
                original=LINE,
            ),
            source=PEndpoint(ip="192.0.2.10", port=51234 + i % 7),
            destination=PEndpoint(ip="198.51.100.7", port=443),
            network=PNetwork(transport="tcp"),
            observer=PObserver(vendor="x", product="y", type="firewall"),
        ).model_dump_json(by_alias=True, exclude_none=True)


def median_seconds(fn: object) -> float:
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def main() -> None:
    m = median_seconds(with_msgspec)
    p = median_seconds(with_pydantic)
    print(f"build+serialise {N} events, median of 5 runs")
    print(f"  msgspec  (ours):     {m / N * 1e6:6.2f} us/event  {N / m:10,.0f} events/s")
    print(f"  pydantic (baseline): {p / N * 1e6:6.2f} us/event  {N / p:10,.0f} events/s")
    print(f"  ratio pydantic/msgspec: {p / m:.1f}x")


if __name__ == "__main__":
    main()
