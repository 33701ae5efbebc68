"""Per-source settings: a peer address, CIDR or host name → dataset, timezone and labels."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import msgspec

from soc_core.config import SourceMapping
from soc_core.records import RawRecord


class SourceRouter:
    """Applies per-source settings (peer address or CIDR → dataset, timezone) to records."""

    def __init__(self, mappings: Sequence[SourceMapping]) -> None:
        self._nets: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, SourceMapping]] = []
        self._hosts: dict[str, SourceMapping] = {}
        for mapping in mappings:
            try:
                self._nets.append((ipaddress.ip_network(mapping.match, strict=False), mapping))
            except ValueError:
                self._hosts[mapping.match.lower()] = mapping
        self._cache: dict[str, SourceMapping | None] = {}

    def __bool__(self) -> bool:
        return bool(self._nets or self._hosts)

    def lookup(self, peer: str | None) -> SourceMapping | None:
        """The mapping for a peer ``ip:port`` (or host name), if any."""
        if peer is None:
            return None
        if peer in self._cache:
            return self._cache[peer]
        host = peer.rsplit(":", 1)[0].strip("[]") if peer.count(":") == 1 or peer.startswith("[") else peer
        found: SourceMapping | None = self._hosts.get(host.lower())
        if found is None:
            try:
                address = ipaddress.ip_address(host)
            except ValueError:
                address = None
            if address is not None:
                for net, mapping in self._nets:
                    if address.version == net.version and address in net:
                        found = mapping
                        break
        if len(self._cache) < 100_000:
            self._cache[peer] = found
        return found

    def labels(self, peer: str | None) -> dict[str, str] | None:
        """The labels configured for the source behind ``peer``, if any."""
        mapping = self.lookup(peer)
        return mapping.labels if mapping is not None and mapping.labels else None

    def for_hostname(self, hostname: str) -> SourceMapping | None:
        """The mapping whose ``match`` is this syslog hostname (case-insensitive), if any."""
        return self._hosts.get(hostname.lower()) if self._hosts else None

    def apply(self, record: RawRecord) -> RawRecord:
        """The record with the source's dataset hint and timezone, when configured."""
        mapping = self.lookup(record.peer)
        if mapping is None:
            return record
        return msgspec.structs.replace(
            record,
            hint=record.hint or mapping.dataset,
            timezone=record.timezone or mapping.timezone,
        )
