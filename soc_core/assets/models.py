"""The asset register's values: assets, zones, and the parsers for what people type into them.

``ip`` holds one host, ``cidr`` a network; an asset has exactly one of them. Addresses are kept
in canonical text (``ipaddress`` ``compressed``), so equal addresses compare equal as strings.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from soc_core.vocabulary import (
    CRITICALITY_LABELS_ZH,
    DEFAULT_ZONE_DESCRIPTIONS,
    DEFAULT_ZONE_NAMES_ZH,
    PROTECTION_LEVELS,
    AssetOrigin,
    Criticality,
    DefaultZone,
)

__all__ = [
    "MAX_SERVICES",
    "MAX_TEXT",
    "MAX_ZONE_NAME",
    "UNSET",
    "ZONE_ID_PATTERN",
    "Asset",
    "AssetInput",
    "AssetPage",
    "ImportReport",
    "ObserveReport",
    "UnsetType",
    "Zone",
    "ZoneInput",
    "default_zones",
    "parse_address",
    "parse_cidr",
    "parse_criticality",
    "parse_level",
    "parse_service",
]

MAX_TEXT = 255  # hostname, owner unit, device type, contact
MAX_ZONE_NAME = 64
MAX_SERVICES = 256  # observed services kept per asset; a scanner must not grow a row forever
ZONE_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_SERVICE_PATTERN = re.compile(r"^(tcp|udp|sctp)/(\d{1,5})$")
_CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_LEVEL_PATTERN = re.compile(r"^(?:等保|level|l|s)?第?([1-4一二三四])(?:级|等级)?(?:等保)?$")
_CRITICALITY_WORDS: dict[str, Criticality] = {
    **{c.value: c for c in Criticality},
    **{label: c for c, label in CRITICALITY_LABELS_ZH.items()},
    "中等": Criticality.MEDIUM,
    "关键": Criticality.CRITICAL,
}


class Zone(msgspec.Struct, kw_only=True):
    """A security zone (安全域). ``cidrs`` map networks to the zone without listing assets."""

    id: str
    name: str
    description: str | None = None
    cidrs: list[str] = msgspec.field(default_factory=list)


class ZoneInput(msgspec.Struct, kw_only=True):
    """Changes to a zone; UNSET fields are left as they are."""

    name: str | UnsetType = UNSET
    description: str | UnsetType | None = UNSET
    cidrs: list[str] | UnsetType = UNSET


class Asset(msgspec.Struct, kw_only=True):
    """One entry of the asset register (资产台账)."""

    id: int
    ip: str | None = None
    cidr: str | None = None
    hostname: str | None = None
    owner_unit: str | None = None  # 责任单位
    zone: str | None = None  # zone id (安全域)
    device_type: str | None = None
    level: int | None = None  # 等保 level 1–4
    criticality: Criticality | None = None
    contact: str | None = None
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    services: list[str] = msgspec.field(default_factory=list)  # observed, "tcp/443"
    origin: AssetOrigin = AssetOrigin.API
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    @property
    def address(self) -> str:
        """The host address or the network, whichever the asset has."""
        return self.ip or self.cidr or ""

    def summary(self) -> dict[str, Any]:
        """What the operation log records of the asset (plain JSON values)."""
        value: dict[str, Any] = msgspec.to_builtins(self)
        return value


class AssetInput(msgspec.Struct, kw_only=True):
    """Fields a person sets on an asset; UNSET means not given (an update keeps the old value).

    ``address`` is a single IP or a network; ``zone`` a zone id. Values are checked by the
    service, so this carries what the caller typed.
    """

    address: str | UnsetType = UNSET
    hostname: str | UnsetType | None = UNSET
    owner_unit: str | UnsetType | None = UNSET
    zone: str | UnsetType | None = UNSET
    device_type: str | UnsetType | None = UNSET
    level: int | UnsetType | None = UNSET
    criticality: Criticality | UnsetType | None = UNSET
    contact: str | UnsetType | None = UNSET

    def given(self) -> dict[str, Any]:
        """The fields that were given, by name."""
        return {
            name: value
            for name in self.__struct_fields__
            if (value := getattr(self, name)) is not UNSET and name != "address"
        }


class AssetPage(msgspec.Struct, kw_only=True):
    """One page of a filtered asset listing; ``total`` counts every match."""

    total: int
    offset: int
    limit: int
    assets: list[Asset]


class ImportReport(msgspec.Struct, kw_only=True):
    """What an import did; ``errors`` name the file and row of every refused row."""

    file: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = msgspec.field(default_factory=list)


class ObserveReport(msgspec.Struct, kw_only=True):
    """What one passive-discovery batch did."""

    observations: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = 0  # not an IP address


def default_zones() -> list[Zone]:
    """The extranet's default zones, in the order the migration seeds them."""
    return [
        Zone(id=z.value, name=DEFAULT_ZONE_NAMES_ZH[z], description=DEFAULT_ZONE_DESCRIPTIONS[z])
        for z in DefaultZone
    ]


def parse_address(value: str) -> tuple[str | None, str | None] | None:
    """``(ip, None)`` for a host, ``(None, cidr)`` for a network, None when it is neither.

    Host bits in a network are dropped (192.0.2.7/24 is 192.0.2.0/24) and a full-length
    prefix is a host, so each place has one spelling.
    """
    text = value.strip()
    if not text:
        return None
    if "/" not in text:
        try:
            return ipaddress.ip_address(text).compressed, None
        except ValueError:
            return None
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    if network.prefixlen == network.max_prefixlen:
        return network.network_address.compressed, None
    return None, network.compressed


def parse_cidr(value: str) -> str | None:
    """A network (or a host, as /32 or /128) in canonical text, None when it is not one."""
    try:
        return ipaddress.ip_network(value.strip(), strict=False).compressed
    except ValueError:
        return None


def parse_level(value: object) -> int | None:
    """等保 level 1–4 from 3, 3.0, "3", "三级", "第三级", "等保三级"; None when not understood."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = int(value)
        return number if number == value and number in PROTECTION_LEVELS else None
    if not isinstance(value, str):
        return None
    text = re.sub(r"\s+", "", value).lower()
    match = _LEVEL_PATTERN.match(text)
    if match is None:
        return None
    return _CHINESE_DIGITS[match.group(1)]


def parse_criticality(value: object) -> Criticality | None:
    """low/medium/high/critical or 低/中/高/核心 (any case); None when not understood."""
    if isinstance(value, Criticality):
        return value
    if not isinstance(value, str):
        return None
    return _CRITICALITY_WORDS.get(value.strip().lower())


def parse_service(value: str) -> str | None:
    """``"tcp/443"`` style (transport lower-cased, port 0–65535), None otherwise."""
    match = _SERVICE_PATTERN.match(value.strip().lower())
    if match is None or int(match.group(2)) > 65535:
        return None
    return f"{match.group(1)}/{int(match.group(2))}"
