"""IP → asset context for event enrichment, built once from the register, read per event.

The hot path is one dict lookup on the address text as events carry it. Anything else (a CIDR
asset, a non-canonical IPv6 spelling, an address nobody registered) goes through the slow
path once and its answer, a miss included, is kept in a bounded two-generation cache: when
the young generation is full it becomes the old one, and answers found there move back
(cheaper and safer across threads than a true LRU).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Final

import msgspec

from soc_core.assets.models import Asset, Zone

__all__ = ["DEFAULT_CACHE_SIZE", "AssetContext", "AssetIndex"]

DEFAULT_CACHE_SIZE = 65_536
_MISSING: Final = object()
_V4_BITS = 32
_V6_BITS = 128
_V4_MAPPED_PREFIX = 0xFFFF << 32  # ::ffff:0:0/96


class AssetContext(msgspec.Struct, frozen=True, kw_only=True):
    """What enrichment adds to an event about one of its addresses."""

    asset_id: int
    name: str | None  # hostname
    zone: str | None
    zone_name: str | None
    owner_unit: str | None
    level: int | None
    criticality: str | None
    device_type: str | None


# A longest-prefix table: (prefix length, {network >> host bits: value}), longest first.
_PrefixTable = list[tuple[int, dict[int, object]]]


def _parse(ip: str) -> tuple[int, int] | None:
    """(bits, integer) of an address, IPv4-mapped IPv6 folded to IPv4; None when not an address."""
    # inet_pton is several times faster than ipaddress and just as strict about the syntax.
    try:
        if ":" not in ip:
            return _V4_BITS, int.from_bytes(socket.inet_pton(socket.AF_INET, ip), "big")
        value = int.from_bytes(socket.inet_pton(socket.AF_INET6, ip), "big")
    except (OSError, ValueError, TypeError):
        return None
    if value >> 32 == _V4_MAPPED_PREFIX >> 32:
        return _V4_BITS, value & 0xFFFFFFFF
    return _V6_BITS, value


def _table(
    entries: Iterable[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, object]],
) -> dict[int, _PrefixTable]:
    buckets: dict[int, dict[int, dict[int, object]]] = {_V4_BITS: {}, _V6_BITS: {}}
    for network, value in entries:
        bits = network.max_prefixlen
        shift = bits - network.prefixlen
        by_length = buckets[bits].setdefault(network.prefixlen, {})
        by_length.setdefault(int(network.network_address) >> shift, value)  # first one wins
    return {bits: sorted(by_length.items(), reverse=True) for bits, by_length in buckets.items()}


def _longest(tables: dict[int, _PrefixTable], bits: int, value: int) -> object:
    for prefix, networks in tables[bits]:
        found = networks.get(value >> (bits - prefix))
        if found is not None:
            return found
    return None


class _Answers:
    """A bounded two-generation cache: a full young generation becomes the old one, and answers
    found in the old one move back. O(1) per answer, no per-entry bookkeeping."""

    __slots__ = ("_old", "_size", "_young")

    def __init__(self, size: int) -> None:
        self._young: dict[str, object] = {}
        self._old: dict[str, object] = {}
        self._size = max(1, size // 2)

    def get(self, key: str) -> object:
        value = self._young.get(key, _MISSING)
        if value is _MISSING:
            value = self._old.get(key, _MISSING)
            if value is not _MISSING:
                self.put(key, value)
        return value

    def put(self, key: str, value: object) -> None:
        if len(self._young) >= self._size:
            self._old, self._young = self._young, {}  # a swap, so concurrent readers never fail
        self._young[key] = value

    def __len__(self) -> int:
        return len(self._young) + len(self._old)


class AssetIndex:
    """Exact-address dict, longest-prefix CIDR tables, zone CIDRs, and bounded answer caches.

    Build a new index when the register changes; an index never changes after ``build``
    except for its caches, so one index can be shared by every enrichment thread.
    """

    __slots__ = (
        "_answers",
        "_exact",
        "_exact_int",
        "_networks",
        "_zone_answers",
        "_zone_names",
        "_zone_networks",
    )

    def __init__(
        self,
        exact: dict[str, AssetContext],
        exact_int: dict[tuple[int, int], AssetContext],
        networks: dict[int, _PrefixTable],
        zone_networks: dict[int, _PrefixTable],
        zone_names: dict[str, str],
        cache_size: int,
    ) -> None:
        self._exact = exact
        self._exact_int = exact_int
        self._networks = networks
        self._zone_networks = zone_networks
        self._zone_names = zone_names
        self._answers = _Answers(cache_size)
        self._zone_answers = _Answers(cache_size)

    @classmethod
    def build(
        cls, assets: Iterable[Asset], zones: Iterable[Zone] = (), *, cache_size: int = DEFAULT_CACHE_SIZE
    ) -> AssetIndex:
        """An index of ``assets``; ``zones`` give zone names and map unlisted networks to zones.

        ``cache_size`` bounds the answers kept for addresses that are not registered hosts.
        """
        zone_list = list(zones)
        zone_names = {z.id: z.name for z in zone_list}
        zone_networks = _table(
            (ipaddress.ip_network(cidr, strict=False), zone.id) for zone in zone_list for cidr in zone.cidrs
        )

        def zone_for(bits: int, value: int) -> str | None:
            found = _longest(zone_networks, bits, value)
            return found if isinstance(found, str) else None

        exact: dict[str, AssetContext] = {}
        exact_int: dict[tuple[int, int], AssetContext] = {}
        network_entries: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, object]] = []
        for asset in assets:
            if asset.ip is not None:
                parsed = _parse(asset.ip)
                if parsed is None:
                    continue
                context = _context(asset, asset.zone or zone_for(*parsed), zone_names)
                exact[asset.ip] = context
                exact_int[parsed] = context
            elif asset.cidr is not None:
                network = ipaddress.ip_network(asset.cidr, strict=False)
                zone = asset.zone or zone_for(network.max_prefixlen, int(network.network_address))
                network_entries.append((network, _context(asset, zone, zone_names)))
        return cls(exact, exact_int, _table(network_entries), zone_networks, zone_names, cache_size)

    def lookup(self, ip: str) -> AssetContext | None:
        """The asset at ``ip``: the host itself, else the narrowest registered network holding it."""
        context = self._exact.get(ip)
        if context is not None:
            return context
        cached = self._answers.get(ip)
        if cached is not _MISSING:
            return cached  # type: ignore[return-value]
        context = None
        parsed = _parse(ip)
        if parsed is not None:
            context = self._exact_int.get(parsed)
            if context is None:
                found = _longest(self._networks, *parsed)
                context = found if isinstance(found, AssetContext) else None
        self._answers.put(ip, context)
        return context

    def zone_of(self, ip: str) -> str | None:
        """The zone id of ``ip``: its asset's zone, else the narrowest zone CIDR holding it."""
        context = self.lookup(ip)
        if context is not None and context.zone is not None:
            return context.zone
        cached = self._zone_answers.get(ip)
        if cached is not _MISSING:
            return cached  # type: ignore[return-value]
        parsed = _parse(ip)
        found = None if parsed is None else _longest(self._zone_networks, *parsed)
        zone = found if isinstance(found, str) else None
        self._zone_answers.put(ip, zone)
        return zone

    def zone_name(self, zone_id: str) -> str | None:
        """The display name of a zone."""
        return self._zone_names.get(zone_id)

    def __len__(self) -> int:
        return len(self._exact) + sum(len(n) for t in self._networks.values() for _, n in t)


def _context(asset: Asset, zone: str | None, zone_names: dict[str, str]) -> AssetContext:
    return AssetContext(
        asset_id=asset.id,
        name=asset.hostname,
        zone=zone,
        zone_name=zone_names.get(zone) if zone is not None else None,
        owner_unit=asset.owner_unit,
        level=asset.level,
        criticality=None if asset.criticality is None else str(asset.criticality),
        device_type=asset.device_type,
    )
