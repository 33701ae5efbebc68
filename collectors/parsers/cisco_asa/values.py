"""Value helpers shared by the ASA message table and the FTD event decoder."""

from __future__ import annotations

from collectors.parsers.common import IANA_TRANSPORTS, canonical_ip, port
from soc_core.events import Endpoint, Nat


def duration_ns(text: str) -> int | None:
    """``h:mm:ss`` → nanoseconds (ECS ``event.duration``)."""
    hours, _, rest = text.partition(":")
    minutes, _, seconds = rest.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and seconds.isdigit()):
        return None
    return (int(hours) * 3600 + int(minutes) * 60 + int(seconds)) * 1_000_000_000


def endpoint(address: str | None, number: str | None) -> Endpoint | None:
    if not address:
        return None
    ip = canonical_ip(address)
    # ASA "names" show an object name instead of the address: keep it as source.address
    side = Endpoint(ip=ip) if ip is not None else Endpoint(address=address)
    if number is not None:
        side.port = port(number)
    return side


def split_iface(token: str) -> tuple[str | None, str]:
    """``outside:2001:db8::1`` → (``outside``, ``2001:db8::1``); a bare address has no interface."""
    if canonical_ip(token) is not None or ":" not in token:
        return None, token
    iface, _, address = token.partition(":")
    return iface, address


def nat(side: Endpoint | None, address: str | None, number: str | None) -> None:
    """``side.nat`` from the mapped address/port, only when NAT changed one of them."""
    if side is None or not address:
        return
    ip = canonical_ip(address)
    mapped_port = port(number) if number is not None else None
    if (ip is not None and ip != side.ip) or (mapped_port is not None and mapped_port != side.port):
        side.nat = Nat(ip=ip, port=mapped_port)


def transport(word: str) -> tuple[str | None, str | None]:
    """(transport, iana number) for ``TCP``/``udp``/``icmp6``/``47``."""
    lowered = word.lower()
    if lowered.isdigit():
        return IANA_TRANSPORTS.get(lowered), lowered
    if lowered in ("icmpv6", "icmp6"):
        return "ipv6-icmp", "58"
    if lowered in ("tcp", "udp", "icmp", "gre", "esp", "ah", "sctp", "igmp"):
        return lowered, None
    return None, None
