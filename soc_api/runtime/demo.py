"""``soc run --demo``: the platform fed a realistic synthetic extranet, for a first look around.

Everything demo lives apart: its own data directory (``<data>-demo``), its own accounts (one
per role, passwords printed at each start), its own zones and asset register. Every demo
event carries ``labels.demo: "true"`` through the per-source settings, so it can never be
mistaken for real data. The feed replays yesterday and today up to now at once (yesterday is a
whole day, so every attack story is there, complete, within a minute of starting) and then
follows the clock in real time.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from pathlib import Path
from typing import Any

from collectors.demo.generator import DemoGenerator, local_midnight
from collectors.demo.scenario import SOURCES, register_csv, zones
from collectors.intake import IntakeQueue, IntakeStats
from playbooks.loader import load_playbooks, named_ids, playbook_paths
from soc_core.assets.service import AssetError, create_zone, import_assets, list_zones
from soc_core.config import PlaybookSettings, Settings, SourceMapping
from soc_core.records import RawRecord
from soc_core.state.db import StateStore
from soc_core.state.users import create_user, get_user, grant_role, set_disabled, set_password
from soc_core.vocabulary import Role

log = logging.getLogger("shaowang.demo")

DEMO_LABELS = {"demo": "true"}
DEMO_ACTOR = "demo"
TRANSPORT = "demo"
DAY_S = 86_400.0
FEED_INTERVAL_S = 0.5


def demo_data_dir(data_dir: Path) -> Path:
    """``./data`` → ``./data-demo``: demo data never mixes with a site's own."""
    return data_dir.with_name(data_dir.name + "-demo")


def demo_settings(settings: Settings) -> Settings:
    """The settings of a demo run: its own data directory, each demo source labelled, and
    playbooks that notify into outbox files and only plan their blocks (``demo_playbooks``)."""
    mappings = [
        SourceMapping(match=source.ip, dataset=source.dataset, labels=DEMO_LABELS) for source in SOURCES
    ]
    data_dir = demo_data_dir(settings.data_dir)
    loaded, _problems = load_playbooks(playbook_paths(settings))  # the engine reports the problems
    outbox = data_dir.resolve() / "outbox"
    playbooks = demo_playbooks(settings.playbooks, outbox=outbox, named=named_ids(loaded))
    return settings.model_copy(
        update={"data_dir": data_dir, "sources": [*settings.sources, *mappings], "playbooks": playbooks}
    )


def demo_playbooks(
    playbooks: PlaybookSettings, *, outbox: Path, named: tuple[list[str], list[str]]
) -> PlaybookSettings:
    """Playbook settings for a demo: synthetic attacks must reach no one and change no firewall.

    Every configured channel, and every channel id the playbooks name (``named``: channel ids,
    responder ids), becomes a file outbox of the same id (``<outbox>/<id>.ndjson``); every
    responder is dry-run, and one the playbooks name but the settings lack is added as a
    planning-only nftables responder. All the playbooks then load and run on the demo's alerts,
    their messages readable in the outbox files.
    """
    channel_ids, responder_ids = named
    configured = [str(entry["id"]) for entry in playbooks.channels if entry.get("id")]
    channels: list[dict[str, Any]] = [
        {"id": cid, "kind": "file", "path": str(outbox / f"{cid}.ndjson")}
        for cid in dict.fromkeys([*configured, *channel_ids])
    ]
    responders: list[dict[str, Any]] = [{**entry, "dry_run": True} for entry in playbooks.responders]
    defined = {entry.get("id") for entry in responders}
    missing = [rid for rid in responder_ids if rid not in defined]
    responders += [{"id": rid, "kind": "nftables", "dry_run": True} for rid in missing]
    return playbooks.model_copy(update={"channels": channels, "responders": responders})


def demo_password() -> str:
    """A fresh password that passes the policy (letters of both cases, digits, a symbol)."""
    return f"Demo-{secrets.token_hex(3)}-{secrets.randbelow(9000) + 1000}"


def prepare_demo(state: StateStore) -> dict[Role, tuple[str, str]]:
    """One account per role (``demo_<role>``) with a fresh password, and the demo site's zones
    and asset register. Returns role → (username, password) for the terminal."""
    accounts: dict[Role, tuple[str, str]] = {}
    for role in Role:
        username = f"demo_{role.value}"
        password = demo_password()
        with state.session() as session:
            user = get_user(session, username=username)
            if user is None:
                create_user(session, username=username, password=password, roles=[role], actor=DEMO_ACTOR)
            else:
                set_disabled(session, user=user, disabled=False, actor=DEMO_ACTOR)
                grant_role(session, user=user, role=role, actor=DEMO_ACTOR)
                set_password(session, user=user, password=password, actor=DEMO_ACTOR)
        accounts[role] = (username, password)
    known = {zone.id for zone in list_zones(state=state)}
    for zone in zones():
        if zone.id not in known:
            try:
                create_zone(state=state, actor=DEMO_ACTOR, zone=zone)
            except AssetError as exc:  # a name clash with a default zone: keep the default
                log.warning("demo zone %s not created: %s", zone.id, exc)
    report = import_assets(state=state, actor=DEMO_ACTOR, data=register_csv(), filename="demo-register.csv")
    if report.errors:
        log.warning("demo register: %d rows not imported", len(report.errors))
    return accounts


class DemoFeed:
    """Feeds the generator's lines into the intake queue, as if the devices sent them."""

    def __init__(self, queue: IntakeQueue, stats: IntakeStats, *, now: float | None = None) -> None:
        started = time.time() if now is None else now
        self.queue = queue
        self.stats = stats
        self.generator = DemoGenerator(start=replay_start(started), speedup=1.0)
        self.sent = 0

    def due(self, now: float) -> list[RawRecord]:
        """The records due by ``now`` (the backfill comes in slices of the generator's batch size)."""
        records = [
            RawRecord(
                data=line.data,
                received_at=now,
                origin="demo",
                peer=line.peer,
                offset=self.sent + n,
                hint=line.dataset,
            )
            for n, line in enumerate(self.generator.batch(now=now))
        ]
        for record in records:
            self.stats.received(TRANSPORT, (record.peer or "").rsplit(":", 1)[0], 1, len(record.data))
        self.sent += len(records)
        return records

    async def run(self) -> None:
        """Until cancelled: what is due every half second, slowed by a full queue like any sender."""
        while True:
            records = self.due(time.time())
            if records:
                await self.queue.put_many(records)
            await asyncio.sleep(0 if len(records) >= self.generator.max_per_batch else FEED_INTERVAL_S)


def announce(accounts: dict[Role, tuple[str, str]], *, base: str) -> list[str]:
    """Terminal lines telling a newcomer where to look and how to sign in."""
    lines = [
        "",
        "  演示模式 / DEMO MODE: synthetic extranet traffic (labels.demo: true), own data directory.",
        f"  Open {base}/ and sign in with any of these accounts (passwords are new at each start):",
    ]
    lines += [
        f"    {role.label_zh:<6} {username:<26} {password}" for role, (username, password) in accounts.items()
    ]
    return lines


def replay_start(now: float) -> float:
    """Yesterday's local midnight: the replay covers one whole day and today so far."""
    return local_midnight(now) - DAY_S
