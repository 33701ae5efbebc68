"""Demo mode runs the shipped playbook library, and its synthetic attacks reach no one and block nothing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from playbooks.engine import build_engine
from playbooks.loader import LIBRARY, playbook_files
from soc_api.runtime.demo import demo_settings
from soc_core.alerts import Alert
from soc_core.config import Settings, load_settings
from soc_core.state.alerts import save_alerts
from soc_core.state.db import StateStore, open_state
from soc_core.state.response import Approval, BlockRecord, PlaybookRun
from soc_core.vocabulary import Severity

T0 = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def state(tmp_path: Path) -> Iterator[StateStore]:
    store = open_state(f"sqlite:///{tmp_path / 'state.db'}")
    yield store
    store.close()


def site_settings(tmp_path: Path) -> Settings:
    """A site that notifies real people and blocks for real."""
    return load_settings(
        data_dir=tmp_path / "data",
        playbooks={
            "channels": [
                {
                    "id": "soc-mail",
                    "kind": "email",
                    "host": "mail.example.gov.example",
                    "sender": "soc@example.gov.example",
                    "to": ["duty@example.gov.example"],
                },
                {"id": "duty-hook", "kind": "webhook", "url": "https://hook.example.gov.example/x"},
            ],
            "responders": [{"id": "edge", "kind": "iptables", "dry_run": False}],
        },
    )


def test_demo_channels_are_outbox_files_and_responders_only_plan(tmp_path: Path) -> None:
    settings = demo_settings(site_settings(tmp_path))
    outbox = (tmp_path / "data-demo" / "outbox").resolve()
    assert settings.data_dir == tmp_path / "data-demo"
    assert settings.playbooks.channels == [
        {"id": "soc-mail", "kind": "file", "path": str(outbox / "soc-mail.ndjson")},
        {"id": "duty-hook", "kind": "file", "path": str(outbox / "duty-hook.ndjson")},
        {"id": "soc-im", "kind": "file", "path": str(outbox / "soc-im.ndjson")},
    ]
    assert settings.playbooks.responders == [{"id": "edge", "kind": "iptables", "dry_run": True}]


def test_without_site_settings_the_demo_still_names_what_the_library_needs(tmp_path: Path) -> None:
    settings = demo_settings(load_settings(data_dir=tmp_path / "data"))
    assert [c["id"] for c in settings.playbooks.channels] == ["soc-im", "soc-mail"]  # in order of first use
    assert {c["kind"] for c in settings.playbooks.channels} == {"file"}
    assert settings.playbooks.responders == [{"id": "edge", "kind": "nftables", "dry_run": True}]


def test_the_whole_library_loads_and_a_brute_force_alert_notifies_into_the_outbox(
    tmp_path: Path, state: StateStore
) -> None:
    settings = demo_settings(site_settings(tmp_path))
    engine, problems = build_engine(settings, state)
    try:
        assert problems == []
        assert len(engine.playbooks) == len(playbook_files([LIBRARY])) >= 9

        alert = Alert(
            id="demo-alert-1",
            rule_id="auth_vpn_bruteforce",
            rule_name="VPN 口令暴力破解",
            severity=Severity.HIGH,
            timestamp=T0,
            last_seen=T0,
            source_ip="203.0.113.77",
            destination_ip="192.0.2.10",
            attack_type="暴力破解",
            tags=["attack.credential_access", "attack.t1110"],
            labels={"demo": "true"},
        )
        with state.session() as session:
            save_alerts(session, alerts=[alert], now=T0)
        engine.submit_alerts([alert])
        engine.run_pending()

        outbox = settings.data_dir.resolve() / "outbox" / "soc-im.ndjson"
        (message,) = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
        assert message["channel"] == "soc-im"
        assert "VPN 口令暴力破解" in message["title"]
        assert "203.0.113.77" in message["text"]

        with state.session(readonly=True) as session:
            (approval_id,) = session.scalars(select(Approval.id).where(Approval.status == "pending"))
        engine.decide(
            approval_id, approve=True, actor="demo_security_admin", roles=["security_admin"], source_ip=None
        )
        engine.run_pending()
        with state.session(readonly=True) as session:
            (block,) = session.scalars(select(BlockRecord))
            assert (block.address, block.status, block.dry_run) == ("203.0.113.77", "dry_run", True)
            statuses = [run.status for run in session.scalars(select(PlaybookRun))]
        assert statuses == ["succeeded"]
    finally:
        engine.stop()
