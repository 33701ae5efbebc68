"""Asset and zone context for each event's source and destination.

``shaowang.source_asset`` and ``shaowang.destination_asset`` carry what the register says of
the address (asset id, name, zone, owner unit, 等保 level, criticality, device type), so a rule
can say "from the internet zone to a level-3 asset". Addresses the register does not know but
whose network a zone claims get the zone alone. Pure apart from the lookup it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from soc_core.events import Event

_FIELDS = ("asset_id", "name", "zone", "zone_name", "owner_unit", "level", "criticality", "device_type")
_NAMES = {"asset_id": "id"}  # ECS-style: shaowang.source_asset.id


class AssetFacts(Protocol):
    """What a register lookup returns (``soc_core.assets.lookup.AssetContext`` fits)."""

    @property
    def asset_id(self) -> int | str | None: ...
    @property
    def name(self) -> str | None: ...
    @property
    def zone(self) -> str | None: ...
    @property
    def zone_name(self) -> str | None: ...
    @property
    def owner_unit(self) -> str | None: ...
    @property
    def level(self) -> int | None: ...
    @property
    def criticality(self) -> str | None: ...
    @property
    def device_type(self) -> str | None: ...


Lookup = Callable[[str], AssetFacts | None]


def asset_fields(facts: AssetFacts) -> dict[str, Any]:
    """The enrichment object of one address: the facts that are known, under their field names."""
    out: dict[str, Any] = {}
    for name in _FIELDS:
        value = getattr(facts, name)
        if value is not None:
            out[_NAMES.get(name, name)] = value
    return out


class AssetEnricher:
    """Adds ``shaowang.{source,destination}_asset`` to events; counts what it found."""

    def __init__(self, lookup: Lookup) -> None:
        self._lookup = lookup
        self._memo: dict[str, dict[str, Any] | None] = {}
        self.enriched = 0

    def reset(self, lookup: Lookup) -> None:
        """Use a new lookup (the register changed); forget what the old one said."""
        self._lookup = lookup
        self._memo.clear()

    def _fields(self, ip: str) -> dict[str, Any] | None:
        memo = self._memo
        if ip in memo:
            return memo[ip]
        facts = self._lookup(ip)
        found = asset_fields(facts) if facts is not None else None
        if len(memo) > 100_000:  # addresses repeat, but a scan must not grow this without bound
            memo.clear()
        memo[ip] = found
        return found

    def enrich(self, events: Sequence[Event]) -> None:
        """Add the context of each event's source and destination address, in place."""
        for event in events:
            source, destination = event.source, event.destination
            src = self._fields(source.ip) if source is not None and source.ip else None
            dst = self._fields(destination.ip) if destination is not None and destination.ip else None
            if src is None and dst is None:
                continue
            extra = event.extra if event.extra is not None else {}
            platform = extra.get("shaowang")
            if not isinstance(platform, dict):
                platform = extra["shaowang"] = {}
            if src is not None:
                platform["source_asset"] = dict(src)
            if dst is not None:
                platform["destination_asset"] = dict(dst)
            event.extra = extra
            self.enriched += 1
