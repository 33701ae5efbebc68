"""The asset register in the StateStore (SQLite and PostgreSQL): CRUD with audit, import, discovery, zones."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from alembic import command
from sqlalchemy import inspect, text
from state_fixtures import state_url, store

from soc_core.assets import service
from soc_core.assets.models import (
    Asset,
    AssetInput,
    ImportReport,
    ObserveReport,
    Zone,
    ZoneInput,
    default_zones,
)
from soc_core.assets.service import AssetConflictError, AssetError, AssetNotFoundError
from soc_core.audit import list_audit, verify_audit_chain
from soc_core.state.db import StateStore, alembic_config, create_state_engine, head_revision, open_state
from soc_core.state.models import AuditEntry
from soc_core.vocabulary import AssetOrigin, Criticality, Role

T0 = dt.datetime(2024, 12, 11, 8, 0, tzinfo=dt.UTC)
__all__ = ["state_url", "store"]  # the fixtures these tests use
NETADM: dict[str, Any] = {"actor": "netadm", "actor_roles": [Role.NETWORK_ADMIN], "source_ip": "192.0.2.250"}


def audit(store: StateStore, action: str) -> list[AuditEntry]:
    with store.session(readonly=True) as session:
        return list_audit(session, action=action, limit=1000)


def all_audit(store: StateStore) -> list[AuditEntry]:
    with store.session(readonly=True) as session:
        return list_audit(session, limit=10_000)


def chain_ok(store: StateStore) -> bool:
    with store.session(readonly=True) as session:
        return verify_audit_chain(session).ok


def web01() -> AssetInput:
    return AssetInput(
        address="192.0.2.10",
        hostname="web01.example.com",
        owner_unit="区大数据局",
        zone="dmz",
        device_type="Web服务器",
        level=3,
        criticality=Criticality.CRITICAL,
        contact="张三",
    )


# -- zones -----------------------------------------------------------------------------------------


def test_default_zones_are_seeded(store: StateStore) -> None:
    assert service.list_zones(state=store) == sorted(default_zones(), key=lambda z: z.id)
    assert [(z.id, z.name) for z in service.list_zones(state=store)] == [
        ("dmz", "DMZ"),
        ("internet", "互联网接入区"),
        ("management", "安全管理区"),
        ("private", "专用网络区"),
        ("public", "公用网络区"),
    ]


def test_zone_create_rename_and_cidrs_are_audited(store: StateStore) -> None:
    office = service.create_zone(
        state=store,
        zone=Zone(id="office", name="办公区", cidrs=["198.51.100.7/25", "198.51.100.0/25"]),
        now=T0,
        **NETADM,
    )
    assert office == Zone(id="office", name="办公区", cidrs=["198.51.100.0/25"])
    renamed = service.rename_zone(state=store, zone_id="private", name="业务专网", now=T0, **NETADM)
    assert renamed.name == "业务专网" and renamed.id == "private"
    changed = service.update_zone(
        state=store,
        zone_id="office",
        changes=ZoneInput(description="区政府办公网", cidrs=["2001:db8:1::/48"]),
        **NETADM,
    )
    assert changed == Zone(id="office", name="办公区", description="区政府办公网", cidrs=["2001:db8:1::/48"])
    # Nothing changes, nothing is logged.
    service.rename_zone(state=store, zone_id="private", name="业务专网", **NETADM)

    (created,) = audit(store, "zone.create")
    assert created.target == "office" and created.actor == "netadm" and created.roles == ["network_admin"]
    assert created.after_value == {
        "id": "office",
        "name": "办公区",
        "description": None,
        "cidrs": ["198.51.100.0/25"],
    }
    rename, cidrs = audit(store, "zone.update")
    assert (rename.before_value["name"], rename.after_value["name"]) == ("专用网络区", "业务专网")
    assert rename.detail_value == {"fields": ["name"]}
    assert cidrs.before_value["cidrs"] == ["198.51.100.0/25"] and cidrs.after_value["cidrs"] == [
        "2001:db8:1::/48"
    ]
    assert cidrs.source_ip == "192.0.2.250"
    assert chain_ok(store)


def test_zone_refusals(store: StateStore) -> None:
    with pytest.raises(AssetConflictError, match="zone 'dmz' exists"):
        service.create_zone(state=store, zone=Zone(id="dmz", name="另一个"), **NETADM)
    with pytest.raises(AssetConflictError, match="zone 'private' is already named '专用网络区'"):
        service.create_zone(state=store, zone=Zone(id="biz", name="专用网络区"), **NETADM)
    with pytest.raises(AssetConflictError, match="already named"):
        service.rename_zone(state=store, zone_id="public", name="DMZ", **NETADM)
    with pytest.raises(AssetError, match="invalid zone id 'Bad Id'"):
        service.create_zone(state=store, zone=Zone(id="Bad Id", name="x"), **NETADM)
    with pytest.raises(AssetError, match=re.escape("'198.51.100.0/33' is not a network")):
        service.create_zone(
            state=store, zone=Zone(id="lab", name="实验区", cidrs=["198.51.100.0/33"]), **NETADM
        )
    with pytest.raises(AssetNotFoundError, match="no zone 'nowhere'"):
        service.rename_zone(state=store, zone_id="nowhere", name="x", **NETADM)
    with pytest.raises(AssetError, match="1 to 64 characters"):
        service.rename_zone(state=store, zone_id="dmz", name="  ", **NETADM)
    assert audit(store, "zone.create") == [] and audit(store, "zone.update") == []


# -- assets ----------------------------------------------------------------------------------------


def test_create_update_delete_write_before_and_after(store: StateStore) -> None:
    created = service.create_asset(state=store, data=web01(), now=T0, **NETADM)
    assert created == Asset(
        id=created.id,
        ip="192.0.2.10",
        hostname="web01.example.com",
        owner_unit="区大数据局",
        zone="dmz",
        device_type="Web服务器",
        level=3,
        criticality=Criticality.CRITICAL,
        contact="张三",
        origin=AssetOrigin.API,
        created_at=T0,
        updated_at=T0,
    )
    assert service.get_asset(state=store, asset_id=created.id) == created

    later = T0 + dt.timedelta(hours=1)
    updated = service.update_asset(
        state=store,
        asset_id=created.id,
        changes=AssetInput(level=2, criticality=Criticality.HIGH, contact=None, hostname="  web01  "),
        now=later,
        **NETADM,
    )
    assert (updated.level, updated.criticality, updated.contact, updated.hostname) == (
        2,
        "high",
        None,
        "web01",
    )
    assert updated.updated_at == later and updated.created_at == T0
    same = service.update_asset(state=store, asset_id=created.id, changes=AssetInput(level=2), **NETADM)
    assert same == updated

    gone = service.delete_asset(state=store, asset_id=created.id, **NETADM)
    assert gone == updated
    assert service.get_asset(state=store, asset_id=created.id) is None

    (create,) = audit(store, "asset.create")
    assert create.target == "192.0.2.10" and create.before is None
    assert create.after_value["hostname"] == "web01.example.com" and create.after_value["level"] == 3
    (update,) = audit(store, "asset.update")  # the no-op update wrote nothing
    assert update.detail_value == {
        "id": created.id,
        "fields": ["contact", "criticality", "hostname", "level"],
    }
    assert {k: update.before_value[k] for k in ("level", "criticality", "contact", "hostname")} == {
        "level": 3,
        "criticality": "critical",
        "contact": "张三",
        "hostname": "web01.example.com",
    }
    assert {k: update.after_value[k] for k in ("level", "criticality", "contact", "hostname")} == {
        "level": 2,
        "criticality": "high",
        "contact": None,
        "hostname": "web01",
    }
    (delete,) = audit(store, "asset.delete")
    assert delete.before_value == update.after_value and delete.after is None
    assert chain_ok(store)


def test_asset_refusals(store: StateStore) -> None:
    first = service.create_asset(state=store, data=web01(), **NETADM)
    with pytest.raises(AssetConflictError, match=re.escape(f"192.0.2.10 is already asset {first.id}")):
        service.create_asset(state=store, data=AssetInput(address="192.0.2.10/32"), **NETADM)
    with pytest.raises(AssetError, match=re.escape("'10.0.0.300' is not an IP address or network")):
        service.create_asset(state=store, data=AssetInput(address="10.0.0.300"), **NETADM)
    with pytest.raises(AssetError, match="needs an IP address or a network"):
        service.create_asset(state=store, data=AssetInput(hostname="x"), **NETADM)
    with pytest.raises(AssetError, match="unknown zone 'office'"):
        service.create_asset(state=store, data=AssetInput(address="192.0.2.11", zone="office"), **NETADM)
    with pytest.raises(AssetError, match="is not a 等保 level"):
        service.create_asset(state=store, data=AssetInput(address="192.0.2.11", level=5), **NETADM)
    with pytest.raises(AssetNotFoundError, match="no asset 999"):
        service.update_asset(state=store, asset_id=999, changes=AssetInput(level=1), **NETADM)
    with pytest.raises(AssetNotFoundError, match="no asset 999"):
        service.delete_asset(state=store, asset_id=999, **NETADM)
    other = service.create_asset(state=store, data=AssetInput(address="192.0.2.0/24"), **NETADM)
    with pytest.raises(AssetConflictError, match=re.escape(f"192.0.2.10 is already asset {first.id}")):
        service.update_asset(
            state=store, asset_id=other.id, changes=AssetInput(address="192.0.2.10"), **NETADM
        )
    moved = service.update_asset(
        state=store, asset_id=other.id, changes=AssetInput(address="198.51.100.0/24"), **NETADM
    )
    assert (moved.ip, moved.cidr) == (None, "198.51.100.0/24")
    assert len(audit(store, "asset.create")) == 2


def test_list_filters_and_paging(store: StateStore) -> None:
    service.create_asset(state=store, data=web01(), **NETADM)
    for last in range(1, 26):
        service.create_asset(
            state=store,
            data=AssetInput(
                address=f"198.51.100.{last}",
                hostname=f"pc-{last:02d}.example.org",
                owner_unit="区财政局" if last % 2 else "区教育局",
                zone="private",
                level=2,
                criticality=Criticality.LOW if last % 5 else Criticality.HIGH,
            ),
            **NETADM,
        )
    service.create_asset(state=store, data=AssetInput(address="2001:db8::/48", zone="public"), **NETADM)

    everything = service.list_assets(state=store)
    assert everything.total == 27 and len(everything.assets) == 27
    page = service.list_assets(state=store, zone="private", limit=10, offset=20)
    assert (page.total, page.offset, page.limit) == (25, 20, 10)
    assert [a.hostname for a in page.assets] == [f"pc-{n}.example.org" for n in range(21, 26)]
    assert service.list_assets(state=store, criticality="high").total == 5
    assert service.list_assets(state=store, criticality="核心").total == 1
    assert service.list_assets(state=store, level=3).assets[0].ip == "192.0.2.10"
    assert service.list_assets(state=store, q="教育").total == 12
    assert service.list_assets(state=store, q="PC-0").total == 9
    assert service.list_assets(state=store, q="2001:DB8").assets[0].cidr == "2001:db8::/48"
    assert service.list_assets(state=store, q="100%").total == 0  # % is not a wildcard
    assert service.list_assets(state=store, zone="dmz", level=2).total == 0
    with pytest.raises(AssetError, match="limit must be between 1 and 1000"):
        service.list_assets(state=store, limit=0)


# -- import ----------------------------------------------------------------------------------------

REGISTER = (
    "IP地址,主机名,责任单位,安全域,等保级别,重要程度\n"
    "192.0.2.10,web01.example.com,区大数据局,DMZ,三级,核心\n"
    "192.0.2.11,db01,区大数据局,专用网络区,3,高\n"
    "10.0.0.300,bad,,,,\n"
    "198.51.100.0/24,,区财政局,private,第二级,低\n"
)


def test_import_upserts_by_address_and_audits_once(store: StateStore) -> None:
    first = service.import_assets(
        state=store, data=REGISTER.encode("gb18030"), filename="台账.csv", now=T0, **NETADM
    )
    assert first == ImportReport(
        file="台账.csv",
        created=3,
        updated=0,
        unchanged=0,
        errors=["台账.csv row 4: '10.0.0.300' is not an IP address or network"],
    )
    again = service.import_assets(state=store, data=REGISTER.encode(), filename="台账.csv", **NETADM)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)

    changed = (
        "IP,Hostname,Criticality\n"
        "192.0.2.10,web01.example.com,critical\n"  # same values: unchanged
        "192.0.2.11,db01-new,\n"  # hostname changes, the empty cell keeps the criticality
        "203.0.113.5,new.example.org,\n"
    )
    third = service.import_assets(
        state=store, data=changed.encode(), filename="changes.csv", now=T0, **NETADM
    )
    assert third == ImportReport(file="changes.csv", created=1, updated=1, unchanged=1, errors=[])
    db01 = service.list_assets(state=store, q="db01").assets[0]
    assert (db01.hostname, db01.criticality, db01.level, db01.zone) == ("db01-new", "high", 3, "private")
    assert all(a.origin == AssetOrigin.IMPORT for a in service.list_assets(state=store).assets)

    entries = audit(store, "asset.import")
    assert len(entries) == 3
    assert entries[0].target == "台账.csv" and entries[0].outcome == "success"
    assert entries[0].detail_value == {
        "file": "台账.csv",
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "errors": ["台账.csv row 4: '10.0.0.300' is not an IP address or network"],
    }
    assert entries[0].before is None
    assert sorted(entries[0].after_value) == ["192.0.2.10", "192.0.2.11", "198.51.100.0/24"]
    assert entries[0].after_value["192.0.2.10"]["zone"] == "dmz"
    assert entries[1].before is None and entries[1].after is None  # nothing changed
    assert entries[2].before_value == {"192.0.2.11": entries[0].after_value["192.0.2.11"]}
    assert entries[2].after_value["192.0.2.11"]["hostname"] == "db01-new"
    assert sorted(entries[2].after_value) == ["192.0.2.11", "203.0.113.5"]
    assert audit(store, "asset.create") == []  # one entry per import, not per asset
    assert chain_ok(store)


def test_import_of_an_unreadable_file_is_a_failed_entry(store: StateStore) -> None:
    report = service.import_assets(state=store, data=b"PK\x03\x04junk", filename="a.xlsx", **NETADM)
    assert report.created == 0 and report.errors[0].startswith("a.xlsx: not a readable XLSX workbook")
    (entry,) = audit(store, "asset.import")
    assert entry.outcome == "failure"


def test_import_over_discovered_asset_keeps_what_the_wire_saw(store: StateStore) -> None:
    seen_at = T0.timestamp()
    service.observe(store, [("192.0.2.11", "tcp/5432", seen_at)])
    report = service.import_assets(state=store, data=REGISTER.encode(), filename="台账.csv", **NETADM)
    assert (report.created, report.updated) == (2, 1)
    db01 = service.list_assets(state=store, q="db01").assets[0]
    assert db01.origin == AssetOrigin.IMPORT
    assert (db01.first_seen, db01.last_seen, db01.services) == (T0, T0, ["tcp/5432"])


# -- passive discovery -----------------------------------------------------------------------------


def test_observe_batch_creates_and_widens_without_touching_people_fields(store: StateStore) -> None:
    person = service.create_asset(state=store, data=web01(), **NETADM)
    before_audit = len(all_audit(store))
    t = T0.timestamp()
    batch = [
        (f"198.51.{100 + i // 250}.{i % 250 + 1}", "tcp/443" if i % 2 else None, t + i) for i in range(2000)
    ]
    batch += [("192.0.2.10", "TCP/443", t + 5), ("192.0.2.10", "udp/53", t - 60), ("192.0.2.10", "icmp", t)]
    batch += [("not-an-ip", "tcp/1", t), ("10.0.0.300", None, t), ("2001:DB8::1", "tcp/22", t)]
    report = service.observe(store, batch)
    assert report == ObserveReport(observations=2006, created=2001, updated=1, rejected=2)

    web = service.get_asset(state=store, asset_id=person.id)
    assert web is not None
    assert web.first_seen == T0 - dt.timedelta(seconds=60) and web.last_seen == T0 + dt.timedelta(seconds=5)
    assert web.services == ["tcp/443", "udp/53"]
    assert (web.hostname, web.level, web.origin, web.updated_at) == (
        "web01.example.com",
        3,
        AssetOrigin.API,
        person.updated_at,
    )
    discovered = service.list_assets(state=store, origin="discovered", limit=1000)
    assert discovered.total == 2001
    v6 = service.list_assets(state=store, q="2001:db8::1").assets[0]
    assert (v6.ip, v6.services, v6.first_seen) == ("2001:db8::1", ["tcp/22"], T0)
    assert len(all_audit(store)) == before_audit  # machine-made: counted, not audited

    # A second batch: older sightings widen first_seen, repeats change nothing.
    again = service.observe(
        store,
        [
            ("198.51.100.1", None, t),
            ("198.51.100.2", "tcp/443", t + 1),
            ("198.51.100.3", "udp/161", t - 3600),
        ],
    )
    assert again == ObserveReport(observations=3, created=0, updated=1, rejected=0)
    third = service.list_assets(state=store, q="198.51.100.3").assets[0]
    assert (third.first_seen, third.last_seen, third.services) == (
        T0 - dt.timedelta(hours=1),
        T0 + dt.timedelta(seconds=2),
        ["udp/161"],
    )
    assert service.observe(store, []) == ObserveReport()


def test_load_index_sees_register_and_zone_cidrs(store: StateStore) -> None:
    service.create_asset(state=store, data=web01(), **NETADM)
    service.create_asset(
        state=store, data=AssetInput(address="192.0.2.0/24", owner_unit="区大数据局", zone="dmz"), **NETADM
    )
    service.update_zone(
        state=store, zone_id="private", changes=ZoneInput(cidrs=["198.51.100.0/24"]), **NETADM
    )
    index = service.load_index(state=store)
    web = index.lookup("192.0.2.10")
    assert web is not None and (web.name, web.zone_name, web.criticality) == (
        "web01.example.com",
        "DMZ",
        "critical",
    )
    net = index.lookup("192.0.2.99")
    assert net is not None and net.owner_unit == "区大数据局"
    assert index.lookup("198.51.100.5") is None
    assert index.zone_of("198.51.100.5") == "private"


# -- migration -------------------------------------------------------------------------------------


def test_upgrade_from_0002_keeps_data_and_seeds_zones(state_url: str) -> None:
    engine = create_state_engine(state_url)
    config = alembic_config()
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0002")
            conn.execute(text("INSERT INTO state_locks (name) VALUES ('before-0003')"))
        assert "assets" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()

    with open_state(state_url) as store:
        assert store.current_revision() == head_revision() == "0006"
        assert [z.id for z in service.list_zones(state=store)] == [
            "dmz",
            "internet",
            "management",
            "private",
            "public",
        ]
        with store.session(readonly=True) as session:
            assert "before-0003" in set(session.execute(text("SELECT name FROM state_locks")).scalars())
        service.create_asset(state=store, data=web01(), **NETADM)
        with store.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0002")
        assert not {"assets", "zones"} & set(inspect(store.engine).get_table_names())
        with store.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
        assert len(service.list_zones(state=store)) == 5
        assert service.list_assets(state=store).total == 0
