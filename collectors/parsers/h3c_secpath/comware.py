"""H3C Comware log lines: ``%%10MODULE/level/MNEMONIC: [-Loc=v-Loc=v; ]Key(code)=value;...``.

Shared by ``h3c.secpath`` and ``h3c.ips``. ``10`` is the log version (Huawei VRP writes ``01``);
``level`` is the info-center level 0-7. Fast-log modules (``SESSION``, ``FILTER``, ``IPS``,
``ATK``, ``NAT`` ...) write ``Key(code)=value`` pairs separated by ``;`` or ``; `` (ATK ends on
``.``); the other modules write a sentence, sometimes after a location prefix
``-Chassis=1-Slot=3.1;`` / ``-Line=vty0-IPAddr=192.0.2.1-User=admin;`` / ``-DevIP=...; -SN=...;``.

Keys lose their ``(code)``; well-known ones go to ECS (matched case-insensitively: both
``NatSrcIPAddr`` and ``NATSrcIPAddr`` are written), the rest is kept in snake case
(``RcvVPNInstance`` → ``rcv_vpn_instance``).

Times: ``BeginTime_e``/``EndTime_e`` are ``MMDDYYYYhhmmss`` in UTC (the two real SecPath lines
we have show them exactly 8 hours behind the device's local header time); ``BeginTime_c``/
``EndTime_c`` (ATK) are ``YYYYMMDDhhmmss`` in device local time.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any, Final, NamedTuple

from collectors.parsers.huawei_usg.vrp import (
    ACTION,
    APP,
    BEGIN,
    BEGIN_LOCAL,
    CATEGORY,
    CVE,
    DEV_IP,
    DEV_SN,
    DST_BYTES,
    DST_IP,
    DST_MAC,
    DST_NAT_IP,
    DST_NAT_PORT,
    DST_PKTS,
    DST_PORT,
    DST_ZONE,
    END,
    END_LOCAL,
    EVENT,
    FILE_NAME,
    FIRST_LINE,
    HOST,
    IN_IF,
    MD5,
    OUT_IF,
    POLICY,
    PROTO,
    REAL_SRC,
    RULE_ID,
    SEVERITY,
    SIGN,
    SIGN_ID,
    SLOTS,
    SRC_BYTES,
    SRC_IP,
    SRC_MAC,
    SRC_NAT_IP,
    SRC_NAT_PORT,
    SRC_PKTS,
    SRC_PORT,
    SRC_ZONE,
    SUBCATEGORY,
    USER,
    KeyTable,
    device_prefix,
    pick_values,
    squash,
)
from collectors.parsers.timeparse import resolve_timestamp
from soc_core.regex import compile_pattern

__all__ = ["H3C_KEYS", "ComwareLine", "collect", "find_comware", "is_ips_kind", "local_ymd", "utc_mdy"]

_HEAD: Final = re.compile(
    r"%%10(?P<mod>[A-Za-z0-9_\-]{1,32})/(?P<lvl>[0-7])/(?P<mn>[A-Za-z0-9_\-.]{1,64})"
    r"(?:\((?P<flag>[A-Za-z]{1,2})\))?:[ ]?"
)


class ComwareLine(NamedTuple):
    """A Comware line taken apart: header fields, the body, and time/host written before ``%%``."""

    module: str
    level: int
    mnemonic: str
    body: str
    stamp_text: str | None
    host: str | None


def find_comware(message: str) -> ComwareLine | None:
    """The Comware line in ``message``, or None when there is no ``%%10MODULE/level/MNEMONIC:``."""
    at = message.find("%%10", 0, 256)  # after the syslog header, or a short prefix
    if at < 0:
        return None
    m = _HEAD.match(message, at)
    if m is None:
        return None
    stamp = host = None
    if at:
        stamp, host = device_prefix(message[:at])
    module, level, mnemonic, _flag = m.groups()  # one call, not one per group
    return ComwareLine(module, int(level), mnemonic, message[m.end() :], stamp, host)


def is_ips_kind(module: str, mnemonic: str) -> bool:
    """Detections that belong to ``h3c.ips``: IPS and anti-virus hits, attack-defence (ATK) logs."""
    mod = module.upper()
    if mod == "IPS":
        return mnemonic.upper().startswith("IPS_IPV")
    if mod == "ANTIVIRUS":
        return mnemonic.upper().startswith("ANTIVIRUS_IPV")
    return mod == "ATK"


# -- keys ----------------------------------------------------------------------------------------

_SLOTS: Final[dict[str, int]] = {
    "protocol": PROTO,
    "application": APP,
    "srcipaddr": SRC_IP,
    "srcipv6addr": SRC_IP,
    "srcport": SRC_PORT,
    "natsrcipaddr": SRC_NAT_IP,
    "natsrcipv6addr": SRC_NAT_IP,
    "natsrcport": SRC_NAT_PORT,
    "initpktcount": SRC_PKTS,
    "initbytecount": SRC_BYTES,
    "srcmacaddr": SRC_MAC,
    "srczonename": SRC_ZONE,
    "rcvifname": IN_IF,
    "dstipaddr": DST_IP,
    "dstipv6addr": DST_IP,
    "dstport": DST_PORT,
    "natdstipaddr": DST_NAT_IP,
    "natdstipv6addr": DST_NAT_IP,
    "natdstport": DST_NAT_PORT,
    "rplypktcount": DST_PKTS,
    "rplybytecount": DST_BYTES,
    "dstmacaddr": DST_MAC,
    "dstzonename": DST_ZONE,
    "sndifname": OUT_IF,
    "username": USER,
    "user": USER,
    "securitypolicy": POLICY,
    "policyname": POLICY,
    "ruleid": RULE_ID,
    "category": CATEGORY,
    "subcategory": SUBCATEGORY,
    "severity": SEVERITY,
    "action": ACTION,
    "event": EVENT,
    "begintimee": BEGIN,
    "endtimee": END,
    "begintimec": BEGIN_LOCAL,
    "endtimec": END_LOCAL,
    "attackname": SIGN,
    "attackid": SIGN_ID,
    "virusname": SIGN,
    "virusid": SIGN_ID,
    "cve": CVE,
    "realsrcip": REAL_SRC,
    "md5": MD5,
    "filename": FILE_NAME,
    "httphost": HOST,
    "httpfirstline": FIRST_LINE,
    # location prefix keys (-IPAddr=...-User=...; -DevIP=...; -SN=...;)
    "ipaddr": SRC_IP,
    "srcip": SRC_IP,
    "devip": DEV_IP,
    "sn": DEV_SN,
}
_KEY: Final = re.compile(r"\s*([A-Za-z][\w\-]{0,63})(?:\(\d{1,6}\))?\s*", re.ASCII)


def _normalise(raw: str) -> tuple[str, str] | None:
    m = _KEY.fullmatch(raw)
    if m is None:
        return None
    bare = m.group(1)
    return squash(bare), bare


_KEY_CODE: Final = re.compile(r"\s*([A-Za-z][\w\-]{0,63})\(\d{1,6}\)", re.ASCII)


def _normalise_coded(raw: str) -> tuple[str, str] | None:
    m = _KEY_CODE.fullmatch(raw)
    if m is None:
        return None
    bare = m.group(1)
    return squash(bare), bare


_NAMES: Final = {"sn": "sn", "devip": "dev_ip", "mdc": "mdc"}
# Any key (location prefixes "-IPAddr=", sentences); and only "Key(code)" (the pairs split in C).
H3C_KEYS: Final = KeyTable(_SLOTS, _normalise, _NAMES)
H3C_KV_KEYS: Final = KeyTable(_SLOTS, _normalise_coded, _NAMES)

# -- bodies --------------------------------------------------------------------------------------

_LOC_PAIR: Final = compile_pattern(r"-([A-Za-z]\w{0,63})=((?:[^\-]|-(?![A-Za-z]\w{0,63}=))*+)", re.ASCII)
_SENTENCE_PAIR: Final = re.compile(r"([A-Za-z][\w\-]{0,63}\(\d{1,6}\))=([^\s;,()]*)", re.ASCII)
_KV_START: Final = re.compile(r"[A-Za-z][\w\-]{0,63}\(\d{1,6}\)=", re.ASCII)
# Reference semantics: a value runs to the ";" before the next Key(code)= (so it may hold ";"
# or "="), or to the end. Only a ";" looks ahead (a lazy value that tested for the end at every
# character rescanned each blank run: quadratic on a long one).
_PAIR: Final = compile_pattern(
    r"([A-Za-z][\w\-]{0,63}\(\d{1,6}\))=((?:[^;]++|;(?!\s*+[A-Za-z][\w\-]{0,63}\(\d{1,6}\)=))*+)",
    re.ASCII | re.DOTALL,
)


def _put(raw: str, value: str, vals: list[str | None], extra: dict[str, Any]) -> None:
    value = value.strip()
    if not value or value == "--":  # "--": Comware's "none"
        return
    found = H3C_KEYS.get(raw)
    if found is None:
        return
    slot = found[0]
    if slot >= 0 and vals[slot] is None:
        vals[slot] = value
    else:
        extra[found[1]] = value


def collect(body: str, extra: dict[str, Any], *, fast: bool = True) -> tuple[list[str | None], str | None]:
    """The slot values of a Comware body (other fields into ``extra``) and its sentence (None
    for pure pairs). ``fast=False`` forces the regex (the reference the C-level split must
    agree with)."""
    rest = body.strip()
    location: list[tuple[str, str]] = []
    while rest.startswith("-"):  # location prefix(es)
        segment, sep, after = rest.partition(";")
        found = _LOC_PAIR.findall(segment)
        if not found:
            break
        location.extend(found)
        rest = after.strip()
        if not sep:
            break
    vals: list[str | None] | None = None
    sentence: str | None = None
    first = rest.find(")=", 0, 80)  # the first "Key(code)=" is near the start
    text = rest.rstrip(" \t\r\n;")
    if text.endswith("."):  # ATK logs end on a full stop
        text = text[:-1]
    if fast and first > 0:
        # Split in C on every "=" and ";". Right when no value holds either: then every key
        # is a "Key(code)" (the space of "; " separators stays on the raw key); a value that
        # holds one shifts the split and leaves a fragment such as "GET /a?b" as a key, which
        # the strict table refuses (so does a sentence: "The alarm (Threshold(1121)").
        flat = text.replace("=", ";").split(";")
        if not len(flat) % 2:
            plan = H3C_KV_KEYS.layout(flat[0::2])
            if plan is not None:
                vals = pick_values(plan, flat[1::2], extra)
    if vals is None:
        vals = [None] * SLOTS
        if first > 0 and _KV_START.match(rest) is not None:
            for raw, value in _PAIR.findall(text):
                _put(raw, value, vals, extra)
        else:
            if ")=" in rest:  # a sentence quoting fields: "... (AlarmThreshold(1121)=20%) set ..."
                for raw, value in _SENTENCE_PAIR.findall(rest):
                    _put(raw, value.rstrip("."), vals, extra)
            sentence = rest or None
    for raw, value in location:
        _put(raw, value, vals, extra)
    return vals, sentence


# -- times ---------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def utc_mdy(value: str) -> dt.datetime | None:
    """``BeginTime_e`` ``MMDDYYYYhhmmss`` (UTC) → datetime, or None."""
    if len(value) != 14 or not value.isdigit():
        return None
    try:
        return dt.datetime(
            int(value[4:8]),
            int(value[0:2]),
            int(value[2:4]),
            int(value[8:10]),
            int(value[10:12]),
            int(value[12:14]),
            tzinfo=dt.UTC,
        )
    except ValueError:
        return None


def local_ymd(value: str, received_at: float, tz: str) -> dt.datetime | None:
    """``BeginTime_c`` ``YYYYMMDDhhmmss`` (device local time) → UTC datetime, or None."""
    if len(value) != 14 or not value.isdigit():
        return None
    text = f"{value[0:4]}-{value[4:6]}-{value[6:8]} {value[8:10]}:{value[10:12]}:{value[12:14]}"
    try:
        return resolve_timestamp(text, received_at=received_at, tz=tz)
    except ValueError:
        return None
