"""The asset register's operations: list, read, change, import, passive discovery, zones.

Every function takes its dependencies explicitly and runs in one StateStore transaction.
People's changes (API, import, command line) are written to the operation log with before and
after; passive discovery is machine-made and only counted. Who may call what is the API's
role matrix; these functions record the ``actor`` they are given.

Writers of the register are serialised (PostgreSQL: a transaction-scoped advisory lock;
SQLite: ``BEGIN IMMEDIATE``), so a discovery batch and an import never race on an address.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import msgspec
from sqlalchemy import func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from soc_core.assets.lookup import AssetIndex
from soc_core.assets.models import (
    MAX_SERVICES,
    MAX_TEXT,
    MAX_ZONE_NAME,
    UNSET,
    ZONE_ID_PATTERN,
    Asset,
    AssetInput,
    AssetPage,
    ImportReport,
    ObserveReport,
    Zone,
    ZoneInput,
    parse_address,
    parse_cidr,
    parse_criticality,
    parse_level,
    parse_service,
)
from soc_core.assets.register import RegisterRow, read_register
from soc_core.audit import append_audit
from soc_core.errors import ShaowangError
from soc_core.state.db import StateStore
from soc_core.state.models import AssetRecord, ZoneRecord, utc, utcnow
from soc_core.vocabulary import AssetOrigin, Criticality, Role

__all__ = [
    "DEFAULT_PAGE",
    "MAX_PAGE",
    "AssetConflictError",
    "AssetError",
    "AssetNotFoundError",
    "create_asset",
    "create_zone",
    "delete_asset",
    "get_asset",
    "import_assets",
    "list_assets",
    "list_zones",
    "load_index",
    "observe",
    "rename_zone",
    "update_asset",
    "update_zone",
]

DEFAULT_PAGE = 100
MAX_PAGE = 1000
_IN_CHUNK = 500  # addresses per IN (…) list: well inside every backend's parameter limit
_ASSETS_LOCK_KEY = 0x50C_A55E7  # pg_advisory_xact_lock key of the register's writers
_TEXT_FIELDS = ("hostname", "owner_unit", "device_type", "contact")
_PERSON_FIELDS = ("ip", "cidr", *_TEXT_FIELDS, "zone", "level", "criticality")


class AssetError(ShaowangError, ValueError):
    """An asset or zone could not be created or changed as asked."""


class AssetNotFoundError(AssetError):
    """No asset or zone with that id."""


class AssetConflictError(AssetError):
    """The address or zone name is taken by another entry."""


# -- helpers -----------------------------------------------------------------------------------


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ASSETS_LOCK_KEY})


def _roles(actor_roles: Iterable[Role | str]) -> list[str]:
    return [str(r) for r in actor_roles]


def _to_asset(row: AssetRecord) -> Asset:
    return Asset(
        id=row.id,
        ip=row.ip,
        cidr=row.cidr,
        hostname=row.hostname,
        owner_unit=row.owner_unit,
        zone=row.zone,
        device_type=row.device_type,
        level=row.level,
        criticality=None if row.criticality is None else Criticality(row.criticality),
        contact=row.contact,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        services=list(row.services),
        origin=AssetOrigin(row.origin),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _to_zone(row: ZoneRecord) -> Zone:
    return Zone(id=row.id, name=row.name, description=row.description, cidrs=list(row.cidrs))


def _summary(row: AssetRecord) -> dict[str, Any]:
    return _to_asset(row).summary()


def _zone_summary(row: ZoneRecord) -> dict[str, Any]:
    value: dict[str, Any] = msgspec.to_builtins(_to_zone(row))
    return value


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


def _by_address(session: Session, ips: Sequence[str], cidrs: Sequence[str]) -> dict[str, AssetRecord]:
    found: dict[str, AssetRecord] = {}
    for column, values in ((AssetRecord.ip, ips), (AssetRecord.cidr, cidrs)):
        for chunk in _chunks(values):
            for row in session.scalars(select(AssetRecord).where(column.in_(chunk))):
                found[row.ip or row.cidr or ""] = row
    return found


def _zone_ids(session: Session) -> set[str]:
    return set(session.scalars(select(ZoneRecord.id)))


def _checked(changes: AssetInput, zone_ids: set[str]) -> dict[str, Any]:
    """Column values for the given fields, or :class:`AssetError` saying what is wrong."""
    values: dict[str, Any] = {}
    if changes.address is not UNSET:
        parsed = parse_address(changes.address)
        if parsed is None:
            raise AssetError(f"{changes.address!r} is not an IP address or network")
        values["ip"], values["cidr"] = parsed
    for name in _TEXT_FIELDS:
        value = getattr(changes, name)
        if value is UNSET:
            continue
        value = value.strip() if isinstance(value, str) else None
        if value is not None and len(value) > MAX_TEXT:
            raise AssetError(f"{name} longer than {MAX_TEXT} characters")
        values[name] = value or None
    if changes.level is not UNSET:
        level = None if changes.level is None else parse_level(changes.level)
        if changes.level is not None and level is None:
            raise AssetError(f"{changes.level!r} is not a 等保 level (1–4)")
        values["level"] = level
    if changes.criticality is not UNSET:
        criticality = None if changes.criticality is None else parse_criticality(changes.criticality)
        if changes.criticality is not None and criticality is None:
            raise AssetError(f"{changes.criticality!r} is not a criticality (low/medium/high/critical)")
        values["criticality"] = None if criticality is None else criticality.value
    if changes.zone is not UNSET:
        zone = changes.zone.strip() if isinstance(changes.zone, str) and changes.zone.strip() else None
        if zone is not None and zone not in zone_ids:
            raise AssetError(f"unknown zone {zone!r} (known: {', '.join(sorted(zone_ids))})")
        values["zone"] = zone
    return values


def _address_taken(session: Session, ip: str | None, cidr: str | None, *, other_than: int | None) -> None:
    column, value = (AssetRecord.ip, ip) if ip is not None else (AssetRecord.cidr, cidr)
    existing = session.scalar(select(AssetRecord.id).where(column == value))
    if existing is not None and existing != other_than:
        raise AssetConflictError(f"{value} is already asset {existing}")


# -- assets ------------------------------------------------------------------------------------


def list_assets(
    *,
    state: StateStore,
    zone: str | None = None,
    level: int | None = None,
    criticality: Criticality | str | None = None,
    origin: AssetOrigin | str | None = None,
    q: str | None = None,
    limit: int = DEFAULT_PAGE,
    offset: int = 0,
) -> AssetPage:
    """Assets by id; ``q`` is a substring of address, hostname, owner unit, device type or contact."""
    if not 0 < limit <= MAX_PAGE:
        raise AssetError(f"limit must be between 1 and {MAX_PAGE}, got {limit}")
    if offset < 0:
        raise AssetError(f"offset must not be negative, got {offset}")
    query = select(AssetRecord)
    if zone is not None:
        query = query.where(AssetRecord.zone == zone)
    if level is not None:
        query = query.where(AssetRecord.level == level)
    if criticality is not None:
        wanted = parse_criticality(criticality)
        if wanted is None:
            raise AssetError(f"{criticality!r} is not a criticality (low/medium/high/critical)")
        query = query.where(AssetRecord.criticality == wanted.value)
    if origin is not None:
        query = query.where(AssetRecord.origin == AssetOrigin(origin).value)
    if q:
        needle = q.strip().lower()
        columns = (
            AssetRecord.ip,
            AssetRecord.cidr,
            AssetRecord.hostname,
            AssetRecord.owner_unit,
            AssetRecord.device_type,
            AssetRecord.contact,
        )
        query = query.where(or_(*(func.lower(c).contains(needle, autoescape=True) for c in columns)))
    with state.session(readonly=True) as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(AssetRecord.id).limit(limit).offset(offset))
        assets = [_to_asset(row) for row in rows]
    return AssetPage(total=total, offset=offset, limit=limit, assets=assets)


def get_asset(*, state: StateStore, asset_id: int) -> Asset | None:
    """The asset with this id, or None."""
    with state.session(readonly=True) as session:
        row = session.get(AssetRecord, asset_id)
        return None if row is None else _to_asset(row)


def create_asset(
    *,
    state: StateStore,
    actor: str,
    actor_roles: Iterable[Role | str] = (),
    source_ip: str | None = None,
    data: AssetInput,
    origin: AssetOrigin = AssetOrigin.API,
    now: dt.datetime | None = None,
) -> Asset:
    """Add one asset (``data.address`` is required); audited as ``asset.create``."""
    if data.address is UNSET:
        raise AssetError("an asset needs an IP address or a network")
    when = utc(now) if now is not None else utcnow()
    with state.session() as session:
        _lock(session)
        values = _checked(data, _zone_ids(session))
        _address_taken(session, values["ip"], values["cidr"], other_than=None)
        row = AssetRecord(services=[], origin=origin.value, created_at=when, updated_at=when, **values)
        session.add(row)
        session.flush()
        append_audit(
            session,
            actor=actor,
            actor_roles=_roles(actor_roles),
            action="asset.create",
            target=row.ip or row.cidr,
            after=_summary(row),
            source_ip=source_ip,
            now=when,
        )
        return _to_asset(row)


def update_asset(
    *,
    state: StateStore,
    actor: str,
    actor_roles: Iterable[Role | str] = (),
    source_ip: str | None = None,
    asset_id: int,
    changes: AssetInput,
    origin: AssetOrigin = AssetOrigin.API,
    now: dt.datetime | None = None,
) -> Asset:
    """Change the given fields of an asset; audited as ``asset.update`` when anything changed.

    A person's edit of a discovered asset makes it theirs: its origin becomes ``origin``, so
    the console stops listing it as unreviewed.
    """
    when = utc(now) if now is not None else utcnow()
    with state.session() as session:
        _lock(session)
        row = session.get(AssetRecord, asset_id)
        if row is None:
            raise AssetNotFoundError(f"no asset {asset_id}")
        values = _checked(changes, _zone_ids(session))
        if "ip" in values:
            _address_taken(session, values["ip"], values["cidr"], other_than=row.id)
        if row.origin == AssetOrigin.DISCOVERED.value:
            values["origin"] = origin.value
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        if not changed:
            return _to_asset(row)
        before = _summary(row)
        for name, value in changed.items():
            setattr(row, name, value)
        row.updated_at = when
        session.flush()
        append_audit(
            session,
            actor=actor,
            actor_roles=_roles(actor_roles),
            action="asset.update",
            target=row.ip or row.cidr,
            detail={"id": row.id, "fields": sorted(changed)},
            before=before,
            after=_summary(row),
            source_ip=source_ip,
            now=when,
        )
        return _to_asset(row)


def delete_asset(
    *,
    state: StateStore,
    actor: str,
    actor_roles: Iterable[Role | str] = (),
    source_ip: str | None = None,
    asset_id: int,
    now: dt.datetime | None = None,
) -> Asset:
    """Remove an asset and return what it was; audited as ``asset.delete``."""
    with state.session() as session:
        _lock(session)
        row = session.get(AssetRecord, asset_id)
        if row is None:
            raise AssetNotFoundError(f"no asset {asset_id}")
        gone = _to_asset(row)
        session.delete(row)
        session.flush()
        append_audit(
            session,
            actor=actor,
            actor_roles=_roles(actor_roles),
            action="asset.delete",
            target=gone.address,
            detail={"id": gone.id},
            before=gone.summary(),
            source_ip=source_ip,
            now=now,
        )
        return gone


def import_assets(
    *,
    state: StateStore,
    actor: str,
    actor_roles: Iterable[Role | str] = (),
    source_ip: str | None = None,
    data: bytes,
    filename: str,
    now: dt.datetime | None = None,
) -> ImportReport:
    """Upsert a CSV/XLSX register by address; rows that fail are reported, the rest imported.

    One ``asset.import`` entry records the counts, the row errors, and per address the values
    before (updated rows) and after (created and updated rows).
    """
    when = utc(now) if now is not None else utcnow()
    report = ImportReport(file=filename)
    with state.session() as session:
        _lock(session)
        zones = [_to_zone(z) for z in session.scalars(select(ZoneRecord))]
        zone_ids = {z.id for z in zones}
        parsed = read_register(data, filename, zones=zones)
        report.errors = parsed.errors
        existing = _by_address(
            session,
            [r.ip for r in parsed.rows if r.ip is not None],
            [r.cidr for r in parsed.rows if r.cidr is not None],
        )
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for entry in parsed.rows:
            row = existing.get(entry.address)
            if row is None:
                row = _new_imported(entry, when)
                session.add(row)
                report.created += 1
                after[entry.address] = row
                continue
            values = _checked(entry.fields, zone_ids)
            del values["ip"], values["cidr"]  # the address is what matched the row
            if row.origin == AssetOrigin.DISCOVERED.value:
                values["origin"] = AssetOrigin.IMPORT.value
            changed = {k: v for k, v in values.items() if getattr(row, k) != v}
            if not changed:
                report.unchanged += 1
                continue
            before[entry.address] = _summary(row)
            for name, value in changed.items():
                setattr(row, name, value)
            row.updated_at = when
            report.updated += 1
            after[entry.address] = row
        session.flush()
        written = report.created + report.updated + report.unchanged
        append_audit(
            session,
            actor=actor,
            actor_roles=_roles(actor_roles),
            action="asset.import",
            target=filename,
            outcome="failure" if report.errors and not written else "success",
            detail=msgspec.to_builtins(report),
            before=before or None,
            after={address: _summary(row) for address, row in after.items()} or None,
            source_ip=source_ip,
            now=when,
        )
    return report


def _new_imported(entry: RegisterRow, when: dt.datetime) -> AssetRecord:
    values = entry.fields.given()
    criticality = values.get("criticality")
    if isinstance(criticality, Criticality):
        values["criticality"] = criticality.value
    return AssetRecord(
        ip=entry.ip,
        cidr=entry.cidr,
        services=[],
        origin=AssetOrigin.IMPORT.value,
        created_at=when,
        updated_at=when,
        **values,
    )


# -- passive discovery -------------------------------------------------------------------------


def observe(
    state: StateStore,
    observations: Iterable[tuple[str, str | None, float]],
    *,
    now: dt.datetime | None = None,
) -> ObserveReport:
    """Record hosts seen on the wire: ``(ip, "tcp/443" or None, epoch seconds)``.

    Unknown hosts become ``discovered`` assets; known ones get ``first_seen``/``last_seen``
    widened and new services added. Fields people own are never written. One transaction,
    a few bulk statements per batch; the caller picks which addresses are worth recording.
    """
    report = ObserveReport()
    seen: dict[str, list[Any]] = {}  # canonical ip → [first ts, last ts, services]
    canonical: dict[str, str | None] = {}
    for ip, service, ts in observations:
        report.observations += 1
        address = canonical.get(ip, "")
        if address == "":
            address = _host(ip)
            canonical[ip] = address
        if address is None:
            report.rejected += 1
            continue
        entry = seen.get(address)
        if entry is None:
            entry = seen[address] = [ts, ts, set()]
        elif ts < entry[0]:
            entry[0] = ts
        elif ts > entry[1]:
            entry[1] = ts
        if service is not None and (name := parse_service(service)) is not None:
            entry[2].add(name)
    if not seen:
        return report
    when = utc(now) if now is not None else utcnow()
    with state.session() as session:
        _lock(session)
        known: dict[str, tuple[int, dt.datetime | None, dt.datetime | None, list[str]]] = {}
        for chunk in _chunks(list(seen)):
            query = select(
                AssetRecord.ip,
                AssetRecord.id,
                AssetRecord.first_seen,
                AssetRecord.last_seen,
                AssetRecord.services,
            ).where(AssetRecord.ip.in_(chunk))
            for host, asset_id, first_seen, last_seen, listed in session.execute(query):
                known[str(host)] = (asset_id, first_seen, last_seen, listed)
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for address, (first_ts, last_ts, services) in seen.items():
            first, last = _when(first_ts), _when(last_ts)
            row = known.get(address)
            if row is None:
                inserts.append(
                    {
                        "ip": address,
                        "first_seen": first,
                        "last_seen": last,
                        "services": sorted(services)[:MAX_SERVICES],
                        "origin": AssetOrigin.DISCOVERED.value,
                        "created_at": when,
                        "updated_at": when,
                    }
                )
                continue
            asset_id, old_first, old_last, old_services = row
            merged = _merge_services(old_services, services)
            new_first = first if old_first is None or first < old_first else old_first
            new_last = last if old_last is None or last > old_last else old_last
            if (new_first, new_last, merged) != (old_first, old_last, old_services):
                updates.append(
                    {"id": asset_id, "first_seen": new_first, "last_seen": new_last, "services": merged}
                )
        if inserts:
            session.execute(insert(AssetRecord), inserts)
        if updates:
            session.execute(update(AssetRecord), updates)
    report.created, report.updated = len(inserts), len(updates)
    return report


def _host(ip: str) -> str | None:
    try:
        return ipaddress.ip_address(ip.strip()).compressed
    except (ValueError, AttributeError):
        return None


def _when(ts: float) -> dt.datetime:
    # Rounded to what both backends keep, so a re-observation compares equal to the stored value.
    return dt.datetime.fromtimestamp(round(ts, 6), dt.UTC)


def _merge_services(old: list[str], new: set[str]) -> list[str]:
    if new.issubset(old):
        return old
    return sorted(set(old) | new)[:MAX_SERVICES] if len(old) < MAX_SERVICES else old


# -- zones -------------------------------------------------------------------------------------


def list_zones(*, state: StateStore) -> list[Zone]:
    """Every zone, by id."""
    with state.session(readonly=True) as session:
        return [_to_zone(z) for z in session.scalars(select(ZoneRecord).order_by(ZoneRecord.id))]


def _zone_name(name: str) -> str:
    cleaned = name.strip()
    if not 0 < len(cleaned) <= MAX_ZONE_NAME:
        raise AssetError(f"a zone name has 1 to {MAX_ZONE_NAME} characters")
    return cleaned


def _zone_cidrs(cidrs: Iterable[str]) -> list[str]:
    out: list[str] = []
    for value in cidrs:
        network = parse_cidr(value)
        if network is None:
            raise AssetError(f"{value!r} is not a network")
        if network not in out:
            out.append(network)
    return out


def _name_taken(session: Session, name: str, *, other_than: str | None) -> None:
    holder = session.scalar(select(ZoneRecord.id).where(ZoneRecord.name == name))
    if holder is not None and holder != other_than:
        raise AssetConflictError(f"zone {holder!r} is already named {name!r}")


def create_zone(
    *,
    state: StateStore,
    actor: str,
    actor_roles: Iterable[Role | str] = (),
    source_ip: str | None = None,
    zone: Zone,
    now: dt.datetime | None = None,
) -> Zone:
    """Add a site zone; audited as ``zone.create``."""
    if not ZONE_ID_PATTERN.match(zone.id):
        raise AssetError(f"invalid zone id {zone.id!r}: 1-32 of a-z 0-9 _ -, starting with a letter")
    name = _zone_name(zone.name)
    cidrs = _zone_cidrs(zone.cidrs)
    when = utc(now) if now is not None else utcnow()
    with state.session() as session:
        _lock(session)
        if session.get(ZoneRecord, zone.id) is not None:
            raise AssetConflictError(f"zone {zone.id!r} exists")
        _name_taken(session, name, other_than=None)
        row = ZoneRecord(
            id=zone.id, name=name, description=zone.description, cidrs=cidrs, created_at=when, updated_at=when
        )
        session.add(row)
        session.flush()
        append_audit(
            session,
            actor=actor,
            actor_roles=_roles(actor_roles),
            action="zone.create",
            target=zone.id,
            after=_zone_summary(row),
            source_ip=source_ip,
            now=when,
        )
        return _to_zone(row)


def update_zone(
    *,
    state: StateStore,
    actor: str,
    actor_roles: Iterable[Role | str] = (),
    source_ip: str | None = None,
    zone_id: str,
    changes: ZoneInput,
    now: dt.datetime | None = None,
) -> Zone:
    """Rename a zone or change its description or CIDRs (the id stays); audited as ``zone.update``."""
    values: dict[str, Any] = {}
    if changes.name is not UNSET:
        values["name"] = _zone_name(changes.name)
    if changes.description is not UNSET:
        values["description"] = changes.description or None
    if changes.cidrs is not UNSET:
        values["cidrs"] = _zone_cidrs(changes.cidrs)
    when = utc(now) if now is not None else utcnow()
    with state.session() as session:
        _lock(session)
        row = session.get(ZoneRecord, zone_id)
        if row is None:
            raise AssetNotFoundError(f"no zone {zone_id!r}")
        if "name" in values:
            _name_taken(session, values["name"], other_than=zone_id)
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        if not changed:
            return _to_zone(row)
        before = _zone_summary(row)
        for name, value in changed.items():
            setattr(row, name, value)
        row.updated_at = when
        session.flush()
        append_audit(
            session,
            actor=actor,
            actor_roles=_roles(actor_roles),
            action="zone.update",
            target=zone_id,
            detail={"fields": sorted(changed)},
            before=before,
            after=_zone_summary(row),
            source_ip=source_ip,
            now=when,
        )
        return _to_zone(row)


def rename_zone(
    *,
    state: StateStore,
    actor: str,
    actor_roles: Iterable[Role | str] = (),
    source_ip: str | None = None,
    zone_id: str,
    name: str,
    now: dt.datetime | None = None,
) -> Zone:
    """Give a zone a new display name (a site's own word for 专用网络区 …)."""
    return update_zone(
        state=state,
        actor=actor,
        actor_roles=actor_roles,
        source_ip=source_ip,
        zone_id=zone_id,
        changes=ZoneInput(name=name),
        now=now,
    )


# -- enrichment --------------------------------------------------------------------------------


def load_index(*, state: StateStore) -> AssetIndex:
    """An :class:`AssetIndex` of the whole register and its zones, for enrichment."""
    with state.session(readonly=True) as session:
        zones = [_to_zone(z) for z in session.scalars(select(ZoneRecord))]
        rows = session.scalars(select(AssetRecord).execution_options(yield_per=5000))
        return AssetIndex.build((_to_asset(r) for r in rows), zones)
