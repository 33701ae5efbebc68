"""What Huawei VRP and H3C Comware (a VRP descendant) log lines share.

Both write ``[time] [host] %%vvMODULE/level/MNEMONIC[(l)][[seq]]: body`` (Huawei ``vv`` = 01,
H3C 10) with the info-center level 0-7 (syslog scale) and bodies of key=value pairs or
sentences. The Huawei header and pair grammar live in ``huawei_usg.parser``, the Comware ones
in ``h3c_secpath.comware``; this module holds the rest, used by all four parsers:

* what stands before ``%%`` (``device_prefix``): devices in ``host-name``/``none`` header mode
  write ``USG6000E %%: %%01...``, some write ``+08:00`` after the time (which the syslog
  decoder does not take as a header), relays prepend their own header;
* slots: every known key of either vendor maps to one slot (``SRC_IP`` ...), and ``KeyTable``
  memoises raw key → (slot, vendor field name) and key sequence → ``Layout``, so a line's pairs
  are placed by one indexed loop rather than a lookup per key;
* ``apply_flow``: source/destination with NAT, counters and MAC, network, zones, interfaces,
  user and related.ip from the slots; ``classify`` for lines no handler knows (logins,
  command records, configuration changes, the rest);
* value helpers: transports, ports, MACs, URLs, request lines, CVE ids, IPS verdicts.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
from collections.abc import Callable, Sequence
from typing import Any, Final, NamedTuple

from collectors.parsers.base import Envelope
from collectors.parsers.common import (
    IANA_TRANSPORTS,
    TRANSPORT_NAMES,
    canonical_ip,
    port,
    sanitize_key,
)
from collectors.parsers.timeparse import MONTHS, from_posix, resolve_timestamp
from soc_core.events import (
    Endpoint,
    Event,
    EventInfo,
    Interface,
    Log,
    Nat,
    Network,
    Observer,
    ObserverSide,
    Related,
    Url,
    User,
)
from soc_core.vocabulary import Severity

__all__ = [
    "LEVEL_NAMES",
    "LEVEL_SEVERITY",
    "RISK_SEVERITY",
    "KeyTable",
    "Layout",
    "Leftovers",
    "apply_flow",
    "blocked",
    "classify",
    "device_prefix",
    "make_url",
    "observe",
    "pick_values",
    "request_line",
    "snake",
]

# Info-center levels (Huawei and H3C name them alike); the digit is the syslog severity.
LEVEL_NAMES: Final = (
    "emergency",
    "alert",
    "critical",
    "error",
    "warning",
    "notification",
    "informational",
    "debugging",
)
LEVEL_SEVERITY: Final = tuple(int(Severity.from_syslog(level)) for level in range(8))

# Risk words of IPS/AV logs. common.severity() reads "critical" as the syslog level (4); an
# IPS "CRITICAL" is the top of the vendor's scale.
RISK_SEVERITY: Final[dict[str, int]] = {
    "critical": 5,
    "high": 4,
    "medium": 3,
    "middle": 3,
    "low": 2,
    "info": 1,
    "information": 1,
    "informational": 1,
}

# -- slots: where a pair's value goes (shared by Huawei and H3C key tables) -----------------

# Final ints: mypyc compiles them to constants (a tuple-unpacked name would be a module
# dictionary lookup at every use, and slots are read many times a line).
SRC_IP: Final = 0
SRC_PORT: Final = 1
SRC_NAT_IP: Final = 2
SRC_NAT_PORT: Final = 3
SRC_BYTES: Final = 4
SRC_PKTS: Final = 5
SRC_MAC: Final = 6
DST_IP: Final = 7
DST_PORT: Final = 8
DST_NAT_IP: Final = 9
DST_NAT_PORT: Final = 10
DST_BYTES: Final = 11
DST_PKTS: Final = 12
DST_MAC: Final = 13
PROTO: Final = 14
APP: Final = 15
SRC_ZONE: Final = 16
DST_ZONE: Final = 17
IN_IF: Final = 18
OUT_IF: Final = 19
USER: Final = 20
POLICY: Final = 21
RULE_ID: Final = 22
CATEGORY: Final = 23
SUBCATEGORY: Final = 24
SEVERITY: Final = 25
ACTION: Final = 26
EVENT: Final = 27
TIME: Final = 28
BEGIN: Final = 29
END: Final = 30
IPVER: Final = 31
REASON: Final = 32
HOST: Final = 33
PAGE: Final = 34
SIGN: Final = 35
SIGN_ID: Final = 36
PROFILE: Final = 37
CVE: Final = 38
REAL_SRC: Final = 39
RESULT: Final = 40
MD5: Final = 41
FILE_NAME: Final = 42
FIRST_LINE: Final = 43
BEGIN_LOCAL: Final = 44
END_LOCAL: Final = 45
DEV_IP: Final = 46
DEV_SN: Final = 47
SLOTS: Final = 48

EXTRA: Final = -1  # not an ECS field: kept under the vendor namespace

# -- what stands before %% -------------------------------------------------------------------

_PREFIX: Final = re.compile(
    r"\s*(?:(?P<mon>[A-Za-z]{3})\s+(?P<day>\d{1,2})\s+(?P<year>\d{4})\s+(?P<clock>\d{1,2}:\d{2}:\d{2})"
    r"|(?P<date>\d{4}[-/]\d{1,2}[-/]\d{1,2})[ T](?P<clock2>\d{1,2}:\d{2}:\d{2}))"
    r"(?P<frac>\.\d{1,9})?(?P<zone>Z|[+-]\d{2}:?\d{2})?(?:\s+DST)?(?=\s|$)",
    re.ASCII,
)
_HOSTNAME: Final = re.compile(r"[^\s%=\"'{}|,;<>]{1,255}")


@functools.lru_cache(maxsize=1024)
def device_prefix(prefix: str) -> tuple[str | None, str | None]:
    """(timestamp text, host name) from the text before ``%%``: ``Feb 28 2026 11:10:52+08:00 USG``,
    ``2020-09-09 10:05:11 FW-OUT-01`` (behind a relay's header), ``USG6000E %%:`` ...

    The timestamp text is rewritten as ``YYYY-MM-DD hh:mm:ss[.f][±hh:mm]`` for ``resolve_timestamp``.
    """
    text = prefix.strip()
    if text.endswith("%%:"):
        text = text[:-3].rstrip()
    stamp: str | None = None
    m = _PREFIX.match(text)
    if m is not None:
        g = m.group
        if g("mon") is not None:
            month = MONTHS.get(g("mon").lower())
            if month is not None:
                stamp = f"{g('year')}-{month:02d}-{int(g('day')):02d} {g('clock')}"
        else:
            stamp = f"{g('date')} {g('clock2')}"
        if stamp is not None:
            stamp += (g("frac") or "") + (g("zone") or "")
            text = text[m.end() :].strip()
    host: str | None = None
    if text:
        last = text.split()[-1]
        if _HOSTNAME.fullmatch(last):
            host = last
    return stamp, host


# -- keys ------------------------------------------------------------------------------------

_CAMEL_ACRONYM: Final = re.compile(r"([A-Z]+)([A-Z][a-z])")
_CAMEL: Final = re.compile(r"([a-z0-9])([A-Z])")
_IPV: Final = re.compile(r"IPv([46])")


@functools.lru_cache(maxsize=4096)
def snake(key: str) -> str:
    """Vendor key → field name: ``RcvVPNInstance`` → ``rcv_vpn_instance``, ``source-ip`` →
    ``source_ip``, ``SrcIPv6Addr`` → ``src_ipv6_addr``; non-ASCII letters are kept."""
    text = _IPV.sub(r"Ipv\1", key.strip())
    text = _CAMEL.sub(r"\1_\2", _CAMEL_ACRONYM.sub(r"\1_\2", text))
    return sanitize_key(text)


def squash(key: str) -> str:
    """Key without case, ``-`` and ``_``: the form key tables are written in."""
    return key.lower().replace("-", "").replace("_", "")


KeyInfo = tuple[int, str]  # (slot or EXTRA, vendor field name)


class Layout(NamedTuple):
    """Where the pairs of one key sequence go: a line type always logs the same keys in the
    same order, so this is worked out once per sequence and a line costs a short indexed loop.

    ``slots[i]`` takes the value at ``indexes[i]`` (only the slots the sequence has);
    ``extra`` lists (index, vendor field name) of the other values.
    """

    slots: tuple[int, ...]
    indexes: tuple[int, ...]
    extra: tuple[tuple[int, str], ...]


def pick_values(plan: Layout, values: Sequence[str | None], extra: dict[str, Any]) -> list[str | None]:
    """The slot values of a split line (and its other values into ``extra``); "" and "--"
    (Comware's "none") become None."""
    # Compares, not a dict lookup per value: a fresh value string would be hashed whole.
    cleaned = [value if value and value != "--" else None for value in values]
    for index, name in plan.extra:
        value = cleaned[index]
        if value is not None:
            extra[name] = value
    # An indexed loop over the slots the line has: compiled, a C loop with unboxed ints
    # (an itemgetter over all SLOTS converted a Python int per slot).
    picked: list[str | None] = [None] * SLOTS
    slots, indexes = plan.slots, plan.indexes
    for at in range(len(slots)):
        picked[slots[at]] = cleaned[indexes[at]]
    return picked


class KeyTable:
    """Raw key → (slot, field name), memoised: the same few dozen keys repeat on every line.

    ``normalise`` turns a raw key into the table's form (``None`` when it is not a key at all);
    ``names`` overrides the vendor field name of some keys.
    """

    __slots__ = ("_cache", "_layouts", "_names", "_normalise", "_slots")

    _MAX = 8192

    def __init__(
        self,
        slots: dict[str, int],
        normalise: Callable[[str], tuple[str, str] | None],
        names: dict[str, str] | None = None,
    ) -> None:
        self._slots = slots
        self._normalise = normalise
        self._names = names or {}
        self._cache: dict[str, KeyInfo | None] = {}
        self._layouts: dict[str, Layout | None] = {}

    def get(self, raw: str) -> KeyInfo | None:
        """(slot, name) for ``raw``; None when ``raw`` is not a key (the caller re-splits)."""
        cache = self._cache
        try:
            return cache[raw]
        except KeyError:
            pass
        found = self._normalise(raw)
        info: KeyInfo | None
        if found is None:
            info = None
        else:
            squashed, bare = found
            name = self._names.get(squashed) or snake(bare) or squashed
            info = (self._slots.get(squashed, EXTRA), name)
        if len(cache) < self._MAX:
            cache[raw] = info
        return info

    def layout(self, keys: list[str]) -> Layout | None:
        """The ``Layout`` of a key sequence; None when one of them is not a key.

        A slot takes the first key that maps to it; a repeat goes to the vendor fields.
        """
        signature = "\x1f".join(keys)  # one string to hash, not one per key
        layouts = self._layouts
        try:
            return layouts[signature]
        except KeyError:
            pass
        taken: dict[int, int] = {}  # slot → index, in key order
        extra: list[tuple[int, str]] = []
        found: Layout | None = None
        for index, raw in enumerate(keys):
            info = self.get(raw)
            if info is None:
                break
            slot, name = info
            if slot >= 0 and slot not in taken:
                taken[slot] = index
            else:
                extra.append((index, name))
        else:
            found = Layout(tuple(taken), tuple(taken.values()), tuple(extra))
        if len(layouts) >= self._MAX:
            layouts.clear()
        layouts[signature] = found
        return found


# -- shared value handling ---------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def transport(value: str) -> tuple[str | None, str | None]:
    """(network.transport, network.iana_number) for ``TCP``, ``tcp``, ``6`` ...; (None, None) if unknown."""
    word = value.strip().lower()
    if word.isdigit():
        name = IANA_TRANSPORTS.get(word)
        return (name, word) if name is not None else (None, None)
    if word in TRANSPORT_NAMES:
        return word, None
    return None, None


# Application names that are also the application protocol (network.protocol).
APP_PROTOCOLS: Final = frozenset(
    {
        "dhcp",
        "dns",
        "ftp",
        "http",
        "https",
        "imap",
        "imaps",
        "ldap",
        "mysql",
        "nfs",
        "ntp",
        "pop3",
        "pop3s",
        "radius",
        "rdp",
        "rtsp",
        "sip",
        "smb",
        "smtp",
        "smtps",
        "snmp",
        "ssh",
        "ssl",
        "syslog",
        "telnet",
        "tftp",
        "tls",
    }
)

_MAC_DIGITS: Final = re.compile(r"[0-9A-Fa-f]{12}")


@functools.lru_cache(maxsize=4096)
def mac(value: str) -> str | None:
    """ECS MAC form ``00-10-84-00-22-B9`` for ``0010-8400-22b9`` / ``00:10:84:00:22:b9``."""
    digits = value.replace("-", "").replace(":", "").replace(".", "")
    if _MAC_DIGITS.fullmatch(digits) is None:
        return None
    upper = digits.upper()
    return "-".join(upper[i : i + 2] for i in range(0, 12, 2))


# slot → vendor field name of a value that did not fit its ECS field
SLOT_NAMES: Final[dict[int, str]] = {
    SRC_IP: "source_ip",
    SRC_PORT: "source_port",
    SRC_NAT_IP: "source_nat_ip",
    SRC_NAT_PORT: "source_nat_port",
    SRC_BYTES: "source_bytes",
    SRC_PKTS: "source_packets",
    SRC_MAC: "source_mac",
    DST_IP: "destination_ip",
    DST_PORT: "destination_port",
    DST_NAT_IP: "destination_nat_ip",
    DST_NAT_PORT: "destination_nat_port",
    DST_BYTES: "destination_bytes",
    DST_PKTS: "destination_packets",
    DST_MAC: "destination_mac",
    PROTO: "protocol",
    TIME: "time",
    BEGIN: "begin_time",
    END: "end_time",
    BEGIN_LOCAL: "begin_time",
    END_LOCAL: "end_time",
    DEV_IP: "dev_ip",
    CVE: "reference",
    SEVERITY: "severity",
    APP: "application",
    SRC_ZONE: "source_zone",
    DST_ZONE: "destination_zone",
    IN_IF: "in_interface",
    OUT_IF: "out_interface",
    USER: "user",
    POLICY: "policy",
    RULE_ID: "rule_id",
    CATEGORY: "category",
    SUBCATEGORY: "sub_category",
    ACTION: "action",
    EVENT: "event",
    IPVER: "ip_ver",
    REASON: "reason",
    HOST: "host",
    PAGE: "page",
    SIGN: "signature",
    SIGN_ID: "signature_id",
    PROFILE: "profile",
    REAL_SRC: "real_src_ip",
    RESULT: "result",
    MD5: "md5",
    FILE_NAME: "file_name",
    FIRST_LINE: "http_first_line",
    DEV_SN: "sn",
}


class Leftovers:
    """Keeps the values of some slots that an event does not use in the vendor namespace."""

    __slots__ = ("_names", "_pick", "_size")

    def __init__(self, *slots: int) -> None:
        self._pick = operator.itemgetter(*slots, SRC_IP)  # two at least: always a tuple
        self._names = tuple(SLOT_NAMES[slot] for slot in slots)
        self._size = len(slots)

    def __call__(self, vals: Sequence[str | None], extra: dict[str, Any]) -> None:
        """Copy the values that are set (a C-level pick first: usually none is)."""
        picked = self._pick(vals)[: self._size]
        if picked.count(None) == self._size:
            return
        for name, value in zip(self._names, picked, strict=True):
            if value is not None:
                extra.setdefault(name, value)


_NO_VALUE: Final = frozenset({"", "-", "--", "**", "none", "unknown", "n/a", "na"})


def keep_raw(extra: dict[str, Any], slot: int, value: str) -> None:
    """Keep a value that did not fit its ECS field (``SrcIp=10.1``) in the vendor namespace
    (``**``, ``--``, ``unknown``: the vendor's way of saying none, dropped)."""
    if value.lower() not in _NO_VALUE:
        extra.setdefault(SLOT_NAMES.get(slot, f"field_{slot}"), value)


_PORTS: Final[dict[str, int]] = {}  # "443" → 443: the same ports repeat on every line


def _port(value: str) -> int | None:
    number = _PORTS.get(value)
    if number is None:
        number = port(value)
        if number is not None and len(_PORTS) < 65_536:
            _PORTS[value] = number
    return number


_COUNTS: Final[dict[str, int]] = {}  # small counters ("0", "1", "60") repeat too


def _count(value: str) -> int | None:
    number = _COUNTS.get(value)
    if number is None and value.isdigit() and len(value) <= 19:
        number = int(value)
        if number < 100_000 and len(_COUNTS) < 100_000:
            _COUNTS[value] = number
    return number


def _endpoint(
    extra: dict[str, Any],
    slot: int,
    raw_ip: str | None,
    raw_port: str | None,
    raw_nat_ip: str | None,
    raw_nat_port: str | None,
    raw_bytes: str | None,
    raw_pkts: str | None,
    raw_mac: str | None,
) -> Endpoint | None:
    """source/destination from its raw values; ``slot`` is the side's first slot (SRC_IP or
    DST_IP: the seven slots of a side are in this order), for values that do not fit."""
    ip = number = nat_ip = nat_port = octets = packets = address = None
    if raw_ip is not None:
        ip = canonical_ip(raw_ip)
        if ip is None:
            keep_raw(extra, slot, raw_ip)
    if raw_port is not None:
        number = _PORTS.get(raw_port) or _port(raw_port)
        if number is None:
            keep_raw(extra, slot + 1, raw_port)
    if raw_nat_ip is not None:
        nat_ip = canonical_ip(raw_nat_ip)
        if nat_ip is None:
            keep_raw(extra, slot + 2, raw_nat_ip)
    if raw_nat_port is not None:
        nat_port = _PORTS.get(raw_nat_port) or _port(raw_nat_port)
        if nat_port is None:
            keep_raw(extra, slot + 3, raw_nat_port)
    if raw_bytes is not None:
        octets = _count(raw_bytes)
        if octets is None:
            keep_raw(extra, slot + 4, raw_bytes)
    if raw_pkts is not None:
        packets = _count(raw_pkts)
        if packets is None:
            keep_raw(extra, slot + 5, raw_pkts)
    if raw_mac is not None:
        address = mac(raw_mac)
        if address is None:
            keep_raw(extra, slot + 6, raw_mac)
    nat = Nat(ip=nat_ip, port=nat_port) if nat_ip is not None or nat_port is not None else None
    if (
        ip is None
        and number is None
        and nat is None
        and octets is None
        and packets is None
        and address is None
    ):
        return None
    return Endpoint(ip=ip, port=number, bytes=octets, packets=packets, mac=address, nat=nat)


# (zone, interface) → observer.ingress/egress, shared by the events of one zone pair: a box
# has a handful of zones and interfaces, and every firewall line builds two sides. Safe
# because nothing changes an ObserverSide once it is set (grep: only iptables_log writes
# ingress/egress fields, on sides it made itself).
_sides: Final[dict[tuple[str | None, str | None], ObserverSide]] = {}


def _side(zone: str | None, interface: str | None) -> ObserverSide:
    key = (zone, interface)
    side = _sides.get(key)
    if side is None:
        side = ObserverSide(zone=zone, interface=Interface(name=interface) if interface is not None else None)
        if len(_sides) < 4096:
            _sides[key] = side
    return side


_NO_USER: Final = frozenset({"", "-", "--", "unknown", "**", "n/a", "none"})


def apply_flow(event: Event, vals: Sequence[str | None], extra: dict[str, Any]) -> None:
    """source/destination (NAT, bytes, packets, MAC), network, zones, interfaces, user, related.ip."""
    # slots SRC_IP .. USER are 0 .. 20, in this order
    (s_ip, s_port, s_nip, s_nport, s_bytes, s_pkts, s_mac) = vals[0:7]
    (d_ip, d_port, d_nip, d_nport, d_bytes, d_pkts, d_mac) = vals[7:14]
    (raw_proto, raw_app, src_zone, dst_zone, in_if, out_if, user) = vals[14:21]
    src = dst = None
    if vals[0:7].count(None) < 7:
        src = event.source = _endpoint(extra, SRC_IP, s_ip, s_port, s_nip, s_nport, s_bytes, s_pkts, s_mac)
    if vals[7:14].count(None) < 7:
        dst = event.destination = _endpoint(
            extra, DST_IP, d_ip, d_port, d_nip, d_nport, d_bytes, d_pkts, d_mac
        )
    raw_ver = vals[IPVER]
    # network.type from the addresses only for flows (both ends known), not for a login's client
    ip = src.ip or dst.ip if src is not None and dst is not None else None
    if raw_proto is not None or raw_app is not None or raw_ver is not None or ip is not None:
        transport_name = iana = app = protocol = kind = None
        if raw_proto is not None:
            transport_name, iana = transport(raw_proto)
            if transport_name is None:
                keep_raw(extra, PROTO, raw_proto)
        if raw_app is not None:
            app = raw_app.lower()
            if app in APP_PROTOCOLS:
                protocol = app
        if raw_ver == "4" or raw_ver == "6":
            kind = "ipv" + raw_ver
        elif ip is not None:
            kind = "ipv6" if ":" in ip else "ipv4"
        total_bytes = total_packets = None
        if src is not None and dst is not None:
            if src.bytes is not None and dst.bytes is not None:
                total_bytes = src.bytes + dst.bytes
            if src.packets is not None and dst.packets is not None:
                total_packets = src.packets + dst.packets
        event.network = Network(
            transport=transport_name,
            iana_number=iana,
            application=app,
            protocol=protocol,
            type=kind,
            bytes=total_bytes,
            packets=total_packets,
        )
    if src_zone is not None or dst_zone is not None or in_if is not None or out_if is not None:
        observer = event.observer
        if observer is None:
            observer = event.observer = Observer()
        if src_zone is not None or in_if is not None:
            observer.ingress = _side(src_zone, in_if)
        if dst_zone is not None or out_if is not None:
            observer.egress = _side(dst_zone, out_if)
    if user is not None and user.lower() not in _NO_USER:
        event.user = User(name=user)
    ips: list[str] = []
    if src is not None:
        if src.ip is not None:
            ips.append(src.ip)
        if src.nat is not None and src.nat.ip is not None and src.nat.ip != src.ip:
            ips.append(src.nat.ip)
    if dst is not None:
        if dst.ip is not None and dst.ip not in ips:
            ips.append(dst.ip)
        if dst.nat is not None and dst.nat.ip is not None and dst.nat.ip not in ips:
            ips.append(dst.nat.ip)
    if ips:
        event.related = Related(ip=ips)


def add_related(event: Event, more: list[str]) -> None:
    """Add addresses to ``related.ip`` (order kept, no repeats)."""
    related = event.related
    if related is None:
        event.related = Related(ip=list(dict.fromkeys(more)))
        return
    related.ip = list(dict.fromkeys([*(related.ip or []), *more]))


def level_event(timestamp: dt.datetime, level: int) -> Event:
    """A new event at ``timestamp`` with ``event.severity`` and ``log.level`` from an info-center level."""
    return Event(
        timestamp=timestamp,
        event=EventInfo(severity=LEVEL_SEVERITY[level]),
        log=Log(level=LEVEL_NAMES[level]),
    )


@functools.lru_cache(maxsize=4096)  # sessions of one busy second share their times
def epoch(value: str) -> dt.datetime | None:
    """POSIX seconds (``BeginTime=1538736476``) as a UTC time, or None."""
    value = value.strip()
    if not value.isdigit() or len(value) > 11:
        return None
    return from_posix(float(value))


def stamp_or_none(text: str, received_at: float, tz: str) -> dt.datetime | None:
    """``resolve_timestamp`` that answers None instead of raising."""
    try:
        return resolve_timestamp(text, received_at=received_at, tz=tz)
    except ValueError:
        return None


def envelope_host(envelope: Envelope, line_host: str | None) -> str | None:
    """The device name: written before ``%%`` if it was, else the syslog header's."""
    if line_host is not None:
        return line_host
    header = envelope.syslog
    return header.hostname if header is not None else None


# -- what a line is about, when no field says it -------------------------------------------------

_FREE_IP: Final = re.compile(
    r"(?:\bfrom|\bIP:|\bIP address|\bat|从|\()\s*\(?([0-9A-Fa-f]{0,4}[.:][0-9A-Fa-f.:]{2,44})"
)
# Comware: "netadmin@system logged in from vty0.", "VTY logged in from 192.0.2.1.",
# "admin failed to log in from 192.0.2.1.", "wangfang 从 192.0.2.1 退出登录."
_LOGGED: Final = re.compile(r"(\S{1,128}) (?:logged (?:in|out) from|failed to log in from|从) ")
_LINE_TYPES: Final = frozenset({"vty", "console", "aux", "tty", "telnet", "ssh"})
_FREE_USER: Final = re.compile(r"\buser(?:name)?\s*[:=]?\s*([^\s,;()@]{1,64})", re.IGNORECASE)
_FAILED_WORDS: Final = ("fail", "invalid", "denied", "incorrect", "wrong", "locked")


def classify(event: Event, module: str, mnemonic: str, sentence: str | None, result: str | None) -> None:
    """event.category/type/outcome of a line no specific handler knows, from its mnemonic.

    Logins and logouts are authentication (the outcome read from a result field or the
    sentence; user and client address taken from the sentence when no field gave them),
    command records (``info``) and configuration changes (``change``) are configuration, the rest is ``info``
    about the network (when addresses are logged) or the device.
    """
    info = event.event
    mn = mnemonic.upper()
    text = (sentence or "").lower()
    if "LOGOUT" in mn or "LOGOFF" in mn or "logged out" in text:
        info.category, info.type, info.outcome = ["authentication"], ["end"], "success"
    elif "LOGIN" in mn or "LOGON" in mn or "AUTH" in mn:
        verdict = (result or "").lower()
        failed = (
            "FAIL" in mn or "fail" in verdict or (not verdict and any(word in text for word in _FAILED_WORDS))
        )
        info.category, info.type = ["authentication"], ["start"]
        info.outcome = "failure" if failed else "success"
    elif "CMD" in mn:  # a command typed on the device: recorded, not necessarily a change
        info.category, info.type = ["configuration"], ["info"]
        if "FAIL" in mn or "DENY" in mn:
            info.outcome = "failure"
        return
    elif module.upper() == "CFGMAN" or "CFG" in mn or "CONFIG" in mn:
        info.category, info.type = ["configuration"], ["change"]
        return
    else:
        has_ip = event.source is not None or event.destination is not None
        info.category, info.type = (["network"] if has_ip else ["host"]), ["info"]
        return
    if sentence:
        logged = _LOGGED.match(sentence)
        if logged is not None and event.user is None and logged.group(1).lower() not in _LINE_TYPES:
            event.user = User(name=logged.group(1))
        if event.source is None or event.source.ip is None:
            m = _FREE_IP.search(sentence)
            ip = canonical_ip(m.group(1).rstrip(".:")) if m is not None else None
            if ip is not None:
                if event.source is None:
                    event.source = Endpoint()
                event.source.ip = ip
                add_related(event, [ip])
        if event.user is None:
            m = _FREE_USER.search(sentence)
            if m is not None:
                event.user = User(name=m.group(1))


# -- decisions, URLs, products -------------------------------------------------------------------

_BLOCK_WORDS: Final = ("block", "drop", "deny", "reset", "discard", "reject", "redirect")
_PASS_WORDS: Final = ("alert", "permit", "allow", "pass", "logging", "log", "capture", "monitor")


def blocked(action: str | None) -> bool | None:
    """Did an IPS/AV/URL action stop the traffic? ``Block``, ``Drop & Logging``, ``logging,drop`` →
    True; ``Alert``, ``Permit & Logging``, ``logging`` → False; anything else → None."""
    if not action:
        return None
    word = action.lower()
    if any(block in word for block in _BLOCK_WORDS):
        return True
    if any(allow in word for allow in _PASS_WORDS):
        return False
    return None


def make_url(host: str | None, target: str | None) -> Url | None:
    """``url.*`` from a host name and a request target (``/a/b?c=d``); None when both are empty."""
    if target in ("*", "-", "--", "none"):
        target = None
    if host in ("*", "-", "--", "none"):
        host = None
    if host is None and target is None:
        return None
    url = Url(domain=host)
    if target is not None:
        path, sep, query = target.partition("?")
        if target.startswith("/"):
            url.path = path
            if sep:
                url.query = query
            url.original = f"{host}{target}" if host else target
        else:
            url.original = target
    else:
        url.original = host
    return url


def request_line(line: str) -> tuple[str | None, str | None, str | None]:
    """(method, target, HTTP version) of ``GET /x HTTP/1.1``; target alone if it has no method."""
    parts = line.split()
    # IPS logs quote the request as sent: the target may hold spaces ("?id=1 union select 1")
    if len(parts) >= 3 and parts[0].isalpha() and parts[-1].upper().startswith("HTTP/"):
        return parts[0].upper(), " ".join(parts[1:-1]), parts[-1][5:]
    if len(parts) >= 2 and parts[0].isalpha() and parts[0].isupper():
        return parts[0], " ".join(parts[1:]), None
    return None, line.strip() or None, None


_CVE: Final = re.compile(r"CVE-\d{4}-\d{4,}", re.IGNORECASE)


def cve_ids(value: str) -> list[str]:
    """The CVE ids in a reference field (``CVE-2021-44228``, ``CVE-1,CVE-2``), upper case."""
    return [cve.upper() for cve in _CVE.findall(value)]


@functools.lru_cache(maxsize=1024)
def _host_kind(host: str) -> tuple[str | None, str | None]:
    ip = canonical_ip(host)
    return (None, ip) if ip is not None else (host, None)


def observe(event: Event, vendor: str, product: str, kind: str, host: str | None) -> None:
    """observer.vendor/product/type and hostname (or ip, for a device named by its address).

    ``vendor.set_observer`` does the same; this one caches the hostname check, as it runs
    on every line.
    """
    observer = event.observer
    if observer is None:
        observer = event.observer = Observer()
    observer.vendor, observer.product, observer.type = vendor, product, kind
    if host:
        name, ip = _host_kind(host)
        if name is not None:
            observer.hostname = name
        else:
            observer.ip = [ip]  # type: ignore[list-item]  # ip is set when name is not
