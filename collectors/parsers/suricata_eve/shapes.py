"""The EVE shapes we map, as msgspec Structs, and the lossless fallback for the rest.

Typed decoding is the fast path: one ``Decoder(Eve)`` call validates types and parses the
timestamps in C. Every Struct forbids unknown fields, so a line with a key we do not list
(a new Suricata version, a custom HTTP header, a rare protocol) fails fast and takes the
fallback: a generic decode, the unknown keys split off (they stay under ``suricata.eve.*``
as they came) and a lenient ``msgspec.convert`` of the rest. A value of the wrong type
(``"src_port": "http"``) is moved to the unknown part too, so nothing is lost and the same
mapping code serves both paths.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Final

import msgspec

from collectors.parsers.structs import FieldCopier


class _Shape(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, gc=False):
    """Every field optional: a missing field is never an error."""


class Alert(_Shape):
    action: str | None = None
    gid: Any = None
    signature_id: int | None = None
    rev: int | None = None
    signature: str | None = None
    category: str | None = None
    severity: int | None = None
    # ET metadata: key → list of strings (validated here, in C; another shape takes the fallback)
    metadata: dict[str, list[str]] | None = None
    tenant_id: Any = None
    source: Any = None
    target: Any = None
    rule: Any = None
    xff: Any = None
    references: Any = None


class Flow(_Shape):
    pkts_toserver: int | None = None
    pkts_toclient: int | None = None
    bytes_toserver: int | None = None
    bytes_toclient: int | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    age: Any = None
    state: Any = None
    reason: Any = None
    alerted: Any = None
    bypass: Any = None
    bypassed: Any = None
    emergency: Any = None
    action: Any = None
    exception_policy: Any = None
    wrong_thread: Any = None
    tx_cnt: Any = None
    elephant: Any = None
    src_ip: Any = None
    dest_ip: Any = None
    src_port: Any = None
    dest_port: Any = None


class Netflow(_Shape):
    pkts: int | None = None
    bytes: int | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    age: Any = None
    min_ttl: Any = None
    max_ttl: Any = None
    tx_cnt: Any = None


class Http(_Shape):
    hostname: str | None = None
    url: str | None = None
    http_user_agent: str | None = None
    http_content_type: str | None = None
    http_method: str | None = None
    protocol: str | None = None
    status: int | None = None
    length: int | None = None
    http_port: int | None = None
    http_refer: str | None = None
    redirect: Any = None
    xff: Any = None
    true_client_ip: Any = None
    org_src_ip: Any = None
    content_range: Any = None
    request_headers: Any = None
    response_headers: Any = None
    http_request_body: Any = None
    http_request_body_printable: Any = None
    http_response_body: Any = None
    http_response_body_printable: Any = None
    version: Any = None


class Dns(_Shape):
    version: Any = None
    type: str | None = None
    id: int | None = None
    flags: Any = None
    qr: Any = None
    aa: bool | None = None
    tc: bool | None = None
    rd: bool | None = None
    ra: bool | None = None
    ad: bool | None = None
    cd: bool | None = None
    z: Any = None
    opcode: int | None = None
    rrname: str | None = None
    rrtype: str | None = None
    rcode: str | None = None
    ttl: int | None = None
    rdata: str | None = None
    tx_id: Any = None
    answers: list[dict[str, Any]] | None = None
    grouped: Any = None
    authorities: Any = None
    additionals: Any = None
    queries: list[dict[str, Any]] | None = None
    query: list[dict[str, Any]] | None = None  # the ``dns`` object of a v2 alert
    answer: dict[str, Any] | None = None  # ditto
    srv: Any = None
    soa: Any = None


class Tls(_Shape):
    subject: str | None = None
    issuerdn: str | None = None
    serial: Any = None
    fingerprint: Any = None
    sni: str | None = None
    version: str | None = None
    notbefore: dt.datetime | None = None
    notafter: dt.datetime | None = None
    ja3: dict[str, Any] | None = None
    ja3s: dict[str, Any] | None = None
    ja4: str | None = None
    session_resumed: Any = None
    certificate: Any = None
    chain: Any = None
    subjectaltname: Any = None
    client: Any = None
    from_proto: Any = None
    client_alpns: Any = None
    server_alpns: Any = None


class Fileinfo(_Shape):
    filename: str | None = None
    size: int | None = None
    md5: str | None = None
    sha1: str | None = None
    sha256: str | None = None
    magic: Any = None
    sid: Any = None
    gaps: Any = None
    state: Any = None
    stored: Any = None
    storing: Any = None
    file_id: Any = None
    tx_id: Any = None
    start: Any = None
    end: Any = None


class Eve(_Shape):
    # In the order Suricata writes the keys: the decoder tries the field after the last one
    # found first, so a line in this order finds every key at once. Mapped to ECS, but
    # flow_id and tx_id (their place here keeps them first under suricata.eve.*, as before).
    timestamp: dt.datetime | None = None
    flow_id: Any = None
    in_iface: str | None = None
    event_type: str | None = None
    src_ip: str | None = None
    src_port: int | None = None
    dest_ip: str | None = None
    dest_port: int | None = None
    proto: str | None = None
    community_id: str | None = None
    tx_id: Any = None
    alert: Alert | None = None
    app_proto: str | None = None
    flow: Flow | None = None
    netflow: Netflow | None = None
    http: Http | None = None
    dns: Dns | None = None
    tls: Tls | None = None
    fileinfo: Fileinfo | None = None
    host: str | None = None
    # kept as they are under suricata.eve.* (ether/krb5/smb also feed a few ECS fields)
    pcap_cnt: Any = None
    pkt_src: Any = None
    metadata: Any = None
    ether: Any = None
    vlan: Any = None
    direction: Any = None
    app_proto_tc: Any = None
    app_proto_ts: Any = None
    app_proto_orig: Any = None
    app_proto_expected: Any = None
    icmp_type: Any = None
    icmp_code: Any = None
    response_icmp_type: Any = None
    response_icmp_code: Any = None
    parent_id: Any = None
    tx_guessed: Any = None
    payload: Any = None
    payload_printable: Any = None
    packet: Any = None
    packet_info: Any = None
    stream: Any = None
    verdict: Any = None
    files: Any = None
    xff: Any = None
    tcp: Any = None
    capture_file: Any = None
    tenant_id: Any = None
    ip_v: Any = None
    tunnel: Any = None
    anomaly: Any = None
    ssh: Any = None
    smb: Any = None
    krb5: Any = None
    stats: Any = None
    drop: Any = None
    # frequent protocol objects we keep whole; rarer ones (rdp, sip, mqtt …) take the fallback
    quic: Any = None
    dhcp: Any = None
    smtp: Any = None
    email: Any = None
    ftp: Any = None
    http2: Any = None


def _names(cls: type[msgspec.Struct]) -> frozenset[str]:
    return frozenset(f.encode_name for f in msgspec.structs.fields(cls))


# The top-level fields that are passed through whole (the ECS-mapped ones are handled one
# by one); their order is the order they appear under suricata.eve.
PASSTHROUGH: tuple[str, ...] = tuple(
    f.name for f in msgspec.structs.fields(Eve) if f.type is Any and f.name not in {"ether"}
)
PASSTHROUGH_FIELDS: Final = FieldCopier(Eve, PASSTHROUGH)

_KNOWN: dict[type[msgspec.Struct], frozenset[str]] = {
    cls: _names(cls) for cls in (Eve, Alert, Flow, Netflow, Http, Dns, Tls, Fileinfo)
}
_NESTED: dict[str, type[msgspec.Struct]] = {
    "alert": Alert,
    "flow": Flow,
    "netflow": Netflow,
    "http": Http,
    "dns": Dns,
    "tls": Tls,
    "fileinfo": Fileinfo,
}

DECODER = msgspec.json.Decoder(Eve)
GENERIC = msgspec.json.Decoder()
_ERROR_PATH = re.compile(r"at `\$((?:\.[^.\[`]*|\[\d+\])*)`$")
_PATH_PART = re.compile(r"\.([^.\[`]*)|\[(\d+)\]")


def _split(doc: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the keys ``Eve`` knows, the rest), two levels deep (top level and mapped objects)."""
    known: dict[str, Any] = {}
    unknown: dict[str, Any] = {}
    top = _KNOWN[Eve]
    for key, value in doc.items():
        if key not in top:
            unknown[key] = value
            continue
        nested = _NESTED.get(key)
        if nested is None or not isinstance(value, dict):
            known[key] = value
            continue
        names = _KNOWN[nested]
        inner_known = {k: v for k, v in value.items() if k in names}
        inner_unknown = {k: v for k, v in value.items() if k not in names}
        known[key] = inner_known
        if inner_unknown:
            unknown[key] = inner_unknown
    return known, unknown


def _move(known: dict[str, Any], unknown: dict[str, Any], message: str) -> bool:
    """Move the value a ValidationError points at from ``known`` to ``unknown``."""
    found = _ERROR_PATH.search(message)
    if found is None:
        return False
    keys: list[str] = []
    for key, index in _PATH_PART.findall(found.group(1)):
        if index:  # inside a list: move the whole list
            break
        keys.append(key)
        if len(keys) == 2:  # our Structs are two levels deep
            break
    if not keys:
        return False
    if len(keys) == 2 and isinstance(known.get(keys[0]), dict):
        inner = known[keys[0]]
        if keys[1] not in inner:
            return False
        value = inner.pop(keys[1])
        target = unknown.setdefault(keys[0], {})
        if isinstance(target, dict):
            target[keys[1]] = value
        return True
    if keys[0] not in known:
        return False
    value = known.pop(keys[0])
    existing = unknown.get(keys[0])
    if isinstance(existing, dict) and isinstance(value, dict):
        unknown[keys[0]] = {**value, **existing}
    else:
        unknown[keys[0]] = value
    return True


def fit(doc: dict[str, Any]) -> tuple[Eve, dict[str, Any]]:
    """``doc`` as an ``Eve`` plus what does not fit it (keys unknown or of the wrong type)."""
    known, unknown = _split(doc)
    for _ in range(len(doc) + 64):  # each round moves one value out: this terminates
        try:
            return msgspec.convert(known, Eve, strict=False), unknown
        except msgspec.ValidationError as exc:
            if not _move(known, unknown, str(exc)):
                break
    merged = dict(known)
    for key, value in unknown.items():
        before = merged.get(key)
        merged[key] = {**before, **value} if isinstance(before, dict) and isinstance(value, dict) else value
    return Eve(), merged
