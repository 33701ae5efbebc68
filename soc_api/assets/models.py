"""Request and response bodies of the asset and zone routes."""

from __future__ import annotations

import datetime as dt

import msgspec
from pydantic import BaseModel, Field

from soc_core.assets.models import MAX_TEXT, MAX_ZONE_NAME, Asset, ImportReport, Zone
from soc_core.vocabulary import AssetOrigin, Criticality

_TEXT = Field(default=None, max_length=MAX_TEXT)


class AssetOut(BaseModel):
    """One asset of the register."""

    id: int
    ip: str | None
    cidr: str | None
    hostname: str | None
    owner_unit: str | None = Field(description="责任单位")
    zone: str | None = Field(description="zone id (安全域)")
    device_type: str | None
    level: int | None = Field(description="等保 level 1–4")
    criticality: Criticality | None
    contact: str | None
    first_seen: dt.datetime | None
    last_seen: dt.datetime | None
    services: list[str] = Field(description='observed services, "tcp/443"')
    origin: AssetOrigin
    created_at: dt.datetime | None
    updated_at: dt.datetime | None

    @classmethod
    def of(cls, asset: Asset) -> AssetOut:
        """The response body of ``asset``."""
        return cls(**msgspec.structs.asdict(asset))


class AssetPageOut(BaseModel):
    """One page of assets; ``total`` counts every match of the filters."""

    total: int
    offset: int
    limit: int
    assets: list[AssetOut]


class AssetCreate(BaseModel):
    """A new asset: a single IP or a network, and what is known about it."""

    address: str = Field(min_length=1, max_length=64, description="IP address or CIDR network")
    hostname: str | None = _TEXT
    owner_unit: str | None = _TEXT
    zone: str | None = Field(default=None, max_length=32, description="zone id")
    device_type: str | None = _TEXT
    level: int | None = Field(default=None, ge=1, le=4)
    criticality: Criticality | None = None
    contact: str | None = _TEXT


class AssetPatch(BaseModel):
    """Fields to change; fields left out stay as they are, null clears one."""

    address: str | None = Field(default=None, min_length=1, max_length=64)
    hostname: str | None = _TEXT
    owner_unit: str | None = _TEXT
    zone: str | None = Field(default=None, max_length=32)
    device_type: str | None = _TEXT
    level: int | None = Field(default=None, ge=1, le=4)
    criticality: Criticality | None = None
    contact: str | None = _TEXT


class ImportReportOut(BaseModel):
    """What an import did; rows in ``errors`` were refused, the others imported."""

    file: str
    created: int
    updated: int
    unchanged: int
    errors: list[str]

    @classmethod
    def of(cls, report: ImportReport) -> ImportReportOut:
        """The response body of ``report``."""
        return cls(**msgspec.structs.asdict(report))


class ZoneOut(BaseModel):
    """A security zone (安全域)."""

    id: str
    name: str
    description: str | None
    cidrs: list[str] = Field(description="networks that belong to the zone without being listed as assets")

    @classmethod
    def of(cls, zone: Zone) -> ZoneOut:
        """The response body of ``zone``."""
        return cls(**msgspec.structs.asdict(zone))


class ZoneList(BaseModel):
    """Every zone."""

    count: int
    zones: list[ZoneOut]


class ZoneCreate(BaseModel):
    """A site's own zone."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    name: str = Field(min_length=1, max_length=MAX_ZONE_NAME)
    description: str | None = None
    cidrs: list[str] = Field(default_factory=list)


class ZonePatch(BaseModel):
    """Rename a zone or change its description or networks; fields left out stay."""

    name: str | None = Field(default=None, min_length=1, max_length=MAX_ZONE_NAME)
    description: str | None = None
    cidrs: list[str] | None = None
