"""The ECS event: the contract between every stage of the pipeline.

``Event`` is a tree of ``msgspec.Struct`` field sets named after ECS 8.x. msgspec was chosen
over pydantic after measuring both (``bench/event_model.py``): building and serialising an
event is several times faster, which matters at tens of thousands of events per second.

Fields ECS lacks go into ``Event.extra`` under ``<vendor>.<product>.*`` (or ``shaowang.*``);
they are merged into the top level of the document on serialisation and split out again on
load, so the JSON is plain ECS.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from typing import Any

import msgspec

from soc_core.errors import InvalidEventError


class _FieldSet(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True, kw_only=True, gc=False):
    """Base for ECS field sets: every field optional, absent fields not serialised.

    ``gc=False``: events never form reference cycles (a tree of field sets, lists and dicts of
    plain values), so the garbage collector need not track the millions a worker holds.
    Small field sets that parsers share between events (``Interface``, ``ObserverSide``,
    ``SyslogCode``) are frozen: a shared instance can never be changed for one event only.
    """


class _FrozenFieldSet(
    msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True, kw_only=True, gc=False, frozen=True
):
    """A field set parsers may share between events: frozen, so it cannot change for one only."""


class Nat(_FieldSet):
    ip: str | None = None
    port: int | None = None


class Geo(_FieldSet):
    country_iso_code: str | None = None
    country_name: str | None = None
    region_name: str | None = None
    city_name: str | None = None
    name: str | None = None


class Endpoint(_FieldSet):
    """ECS ``source`` / ``destination`` / ``client`` / ``server``."""

    ip: str | None = None
    port: int | None = None
    address: str | None = None
    domain: str | None = None
    mac: str | None = None
    bytes: int | None = None
    packets: int | None = None
    nat: Nat | None = None
    geo: Geo | None = None
    user: User | None = None


class EventInfo(_FieldSet):
    """ECS ``event``."""

    id: str | None = None
    kind: str | None = None
    category: list[str] | None = None
    type: list[str] | None = None
    action: str | None = None
    outcome: str | None = None
    dataset: str | None = None
    module: str | None = None
    provider: str | None = None
    severity: int | None = None
    risk_score: float | None = None
    code: str | None = None
    reason: str | None = None
    original: str | None = None
    created: dt.datetime | None = None
    ingested: dt.datetime | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    duration: int | None = None
    timezone: str | None = None
    sequence: int | None = None
    hash: str | None = None


class Interface(_FrozenFieldSet, frozen=True):
    name: str | None = None
    alias: str | None = None
    id: str | None = None


class ObserverSide(_FrozenFieldSet, frozen=True):
    zone: str | None = None
    interface: Interface | None = None


class Observer(_FieldSet):
    vendor: str | None = None
    product: str | None = None
    type: str | None = None
    name: str | None = None
    hostname: str | None = None
    ip: list[str] | None = None
    version: str | None = None
    serial_number: str | None = None
    ingress: ObserverSide | None = None
    egress: ObserverSide | None = None


class Network(_FieldSet):
    transport: str | None = None
    protocol: str | None = None
    direction: str | None = None
    community_id: str | None = None
    application: str | None = None
    type: str | None = None
    iana_number: str | None = None
    bytes: int | None = None
    packets: int | None = None
    name: str | None = None


class Rule(_FieldSet):
    id: str | None = None
    uuid: str | None = None
    name: str | None = None
    category: str | None = None
    description: str | None = None
    ruleset: str | None = None
    version: str | None = None
    reference: str | None = None


class Url(_FieldSet):
    original: str | None = None
    full: str | None = None
    scheme: str | None = None
    domain: str | None = None
    port: int | None = None
    path: str | None = None
    query: str | None = None
    fragment: str | None = None
    extension: str | None = None


class HttpBody(_FieldSet):
    bytes: int | None = None
    content: str | None = None


class HttpRequest(_FieldSet):
    method: str | None = None
    bytes: int | None = None
    referrer: str | None = None
    mime_type: str | None = None
    body: HttpBody | None = None


class HttpResponse(_FieldSet):
    status_code: int | None = None
    bytes: int | None = None
    mime_type: str | None = None
    body: HttpBody | None = None


class Http(_FieldSet):
    version: str | None = None
    request: HttpRequest | None = None
    response: HttpResponse | None = None


class UserAgent(_FieldSet):
    original: str | None = None
    name: str | None = None
    version: str | None = None


class User(_FieldSet):
    name: str | None = None
    id: str | None = None
    domain: str | None = None
    email: str | None = None
    full_name: str | None = None
    roles: list[str] | None = None


class DnsQuestion(_FieldSet):
    name: str | None = None
    type: str | None = None
    class_: str | None = msgspec.field(default=None, name="class")
    registered_domain: str | None = None


class DnsAnswer(_FieldSet):
    name: str | None = None
    type: str | None = None
    data: str | None = None
    ttl: int | None = None


class Dns(_FieldSet):
    id: str | None = None
    type: str | None = None
    op_code: str | None = None
    response_code: str | None = None
    header_flags: list[str] | None = None
    question: DnsQuestion | None = None
    answers: list[DnsAnswer] | None = None
    resolved_ip: list[str] | None = None


class TlsClient(_FieldSet):
    server_name: str | None = None
    ja3: str | None = None
    ja4: str | None = None
    supported_ciphers: list[str] | None = None


class TlsServer(_FieldSet):
    ja3s: str | None = None
    subject: str | None = None
    issuer: str | None = None
    not_before: dt.datetime | None = None
    not_after: dt.datetime | None = None


class Tls(_FieldSet):
    version: str | None = None
    version_protocol: str | None = None
    cipher: str | None = None
    next_protocol: str | None = None
    established: bool | None = None
    client: TlsClient | None = None
    server: TlsServer | None = None


class Vulnerability(_FieldSet):
    id: list[str] | None = None
    category: list[str] | None = None
    severity: str | None = None
    description: str | None = None


class ThreatTechnique(_FieldSet):
    id: list[str] | None = None
    name: list[str] | None = None


class ThreatTactic(_FieldSet):
    id: list[str] | None = None
    name: list[str] | None = None


class Threat(_FieldSet):
    framework: str | None = None
    technique: ThreatTechnique | None = None
    tactic: ThreatTactic | None = None


class Hash(_FieldSet):
    md5: str | None = None
    sha1: str | None = None
    sha256: str | None = None


class File(_FieldSet):
    name: str | None = None
    path: str | None = None
    extension: str | None = None
    size: int | None = None
    mime_type: str | None = None
    hash: Hash | None = None


class Process(_FieldSet):
    name: str | None = None
    pid: int | None = None
    executable: str | None = None
    command_line: str | None = None


class Host(_FieldSet):
    name: str | None = None
    hostname: str | None = None
    ip: list[str] | None = None


class SyslogCode(_FrozenFieldSet, frozen=True):
    """``log.syslog.facility`` / ``log.syslog.severity``."""

    code: int | None = None
    name: str | None = None


class Syslog(_FieldSet):
    """ECS ``log.syslog``."""

    facility: SyslogCode | None = None
    severity: SyslogCode | None = None
    priority: int | None = None
    hostname: str | None = None
    appname: str | None = None
    procid: str | None = None
    msgid: str | None = None
    version: str | None = None
    structured_data: dict[str, dict[str, str]] | None = None


class LogFile(_FieldSet):
    path: str | None = None


class Log(_FieldSet):
    level: str | None = None
    logger: str | None = None
    offset: int | None = None
    file: LogFile | None = None
    syslog: Syslog | None = None
    source_address: str | None = None


class Error(_FieldSet):
    message: str | None = None
    type: str | None = None
    code: str | None = None


class Related(_FieldSet):
    ip: list[str] | None = None
    user: list[str] | None = None
    hosts: list[str] | None = None
    hash: list[str] | None = None


class Event(_FieldSet):
    """One ECS document. ``extra`` holds vendor and platform fields outside ECS."""

    timestamp: dt.datetime = msgspec.field(name="@timestamp")
    event: EventInfo = msgspec.field(default_factory=EventInfo)
    message: str | None = None
    tags: list[str] | None = None
    labels: dict[str, str] | None = None
    observer: Observer | None = None
    source: Endpoint | None = None
    destination: Endpoint | None = None
    client: Endpoint | None = None
    server: Endpoint | None = None
    network: Network | None = None
    rule: Rule | None = None
    url: Url | None = None
    http: Http | None = None
    user_agent: UserAgent | None = None
    user: User | None = None
    dns: Dns | None = None
    tls: Tls | None = None
    vulnerability: Vulnerability | None = None
    threat: Threat | None = None
    file: File | None = None
    process: Process | None = None
    host: Host | None = None
    log: Log | None = None
    error: Error | None = None
    related: Related | None = None
    extra: dict[str, Any] | None = None

    # -- identity -------------------------------------------------------------------------

    def ensure_id(self) -> str:
        """Give the event a unique 32-hex-digit id (if it has none)."""
        if self.event.id is None:
            self.event.id = new_event_id()
        return self.event.id

    # -- (de)serialisation ----------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The nested ECS document, vendor fields merged at the top level."""
        doc: dict[str, Any] = _to_builtins(self)
        extra = doc.pop("extra", None)
        if extra:
            _merge_into(doc, extra)
        return doc

    def to_json(self) -> bytes:
        """Compact JSON of :meth:`to_dict`."""
        if self.extra is None:
            return _encoder.encode(self)
        return _encoder.encode(self.to_dict())

    def to_flat(self) -> dict[str, Any]:
        """Dotted-key document (``{"source.ip": ...}``), vendor fields included."""
        flat: dict[str, Any] = {}
        _flatten(_to_builtins(self), "", flat)
        return flat

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Event:
        """Build from a nested or dotted ECS document; non-ECS roots go to ``extra``."""
        nested = unflatten(doc) if any("." in k for k in doc) else doc
        ecs: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in nested.items():
            if key in ECS_ROOTS:
                ecs[key] = value
            else:
                extra[key] = value
        if extra:
            ecs["extra"] = extra
        try:
            return msgspec.convert(ecs, cls, strict=False)
        except msgspec.ValidationError as exc:
            raise InvalidEventError(str(exc)) from exc

    @classmethod
    def from_json(cls, data: bytes | str) -> Event:
        """Parse a JSON ECS document."""
        try:
            doc = msgspec.json.decode(data)
        except msgspec.DecodeError as exc:
            raise InvalidEventError(f"not JSON: {exc}") from exc
        if not isinstance(doc, dict):
            raise InvalidEventError("an ECS document must be a JSON object")
        return cls.from_dict(doc)

    # -- convenience ----------------------------------------------------------------------

    def get(self, dotted: str, default: Any = None) -> Any:
        """Value at a dotted ECS path (``"source.ip"``), looking into ``extra`` too."""
        node: Any = self
        for part in dotted.split("."):
            if node is None:
                return default
            if isinstance(node, dict):
                node = node.get(part)
            elif isinstance(node, msgspec.Struct):
                attr = "timestamp" if part == "@timestamp" else ("class_" if part == "class" else part)
                if hasattr(node, attr):
                    node = getattr(node, attr)
                elif node is self and self.extra is not None:
                    node = self.extra.get(part)
                else:
                    return default
            else:
                return default
        return default if node is None else node


_ID_PREFIX = os.urandom(8).hex()
_id_counter = itertools.count()


def _reseed_ids() -> None:
    global _ID_PREFIX, _id_counter
    _ID_PREFIX, _id_counter = os.urandom(8).hex(), itertools.count()


os.register_at_fork(after_in_child=_reseed_ids)  # a forked child must not repeat our ids


def new_event_id() -> str:
    """A unique id: a random per-process prefix and a counter (uuid4 costs ~1.5 µs)."""
    return f"{_ID_PREFIX}{next(_id_counter):016x}"


def _enc_hook(obj: Any) -> Any:
    raise NotImplementedError(f"cannot serialise {type(obj).__name__}")


_encoder = msgspec.json.Encoder(enc_hook=_enc_hook)
ECS_ROOTS: frozenset[str] = frozenset(
    f.encode_name for f in msgspec.structs.fields(Event) if f.name != "extra"
)
"""Top-level names of the ECS field sets in ``Event``; anything else is a vendor field."""


def _to_builtins(event: Event) -> dict[str, Any]:
    out: dict[str, Any] = msgspec.to_builtins(event)
    return out


def _merge_into(target: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge_into(target[key], value)
        else:
            target[key] = value


def _flatten(node: dict[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, value in node.items():
        if key == "extra" and not prefix:
            if isinstance(value, dict):
                _flatten(value, "", out)
            continue
        name = prefix + key
        if isinstance(value, dict):
            _flatten(value, name + ".", out)
        else:
            out[name] = value


def flatten(doc: dict[str, Any]) -> dict[str, Any]:
    """Dotted-key copy of a nested document (lists are kept as values)."""
    out: dict[str, Any] = {}
    _flatten(doc, "", out)
    return out


def unflatten(flat: dict[str, Any]) -> dict[str, Any]:
    """Nested copy of a dotted-key document; ``None`` values are dropped."""
    root: dict[str, Any] = {}
    for key, value in flat.items():
        if value is None:
            continue
        if key == "@timestamp" or "." not in key:
            root[key] = value
            continue
        parts = key.split(".")
        node = root
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[parts[-1]] = value
    return root


def utc(ts: dt.datetime) -> dt.datetime:
    """The same instant in UTC; naive datetimes are taken as UTC."""
    if ts.tzinfo is None:
        return ts.replace(tzinfo=dt.UTC)
    return ts.astimezone(dt.UTC)

