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
import functools
import itertools
import os
import typing
from collections.abc import Callable
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
        _flatten_event(self, flat)
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


# -- to_flat without the nested detour ------------------------------------------------------
#
# ``to_flat`` is on the detection hot path (every event is flattened once). Converting to
# builtins and then walking the nested dicts cost ~13 µs per event; code generated once from
# the field sets reads the attributes directly and gives the same document in a third of that.


def _generate_flattener(cls: type[msgspec.Struct]) -> Callable[[Any, dict[str, Any]], None]:
    lines = ["def flatten_event(o0, out):"]
    namespace: dict[str, Any] = {"B": msgspec.to_builtins, "F": _flatten_into}
    _emit_struct(cls, "o0", "", 1, lines)
    exec("\n".join(lines), namespace)  # generated from our own field declarations only
    generated: Callable[[Any, dict[str, Any]], None] = namespace["flatten_event"]
    return generated


def _emit_struct(cls: type[msgspec.Struct], var: str, prefix: str, depth: int, lines: list[str]) -> None:
    pad = "    " * depth
    for info in msgspec.structs.fields(cls):
        name = prefix + info.encode_name
        kind = _field_kind(info.type)
        lines.append(f"{pad}v = {var}.{info.name}")
        if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
            child = f"o{depth}"
            lines.append(f"{pad}if v is not None:")
            lines.append(f"{pad}    {child} = v")
            _emit_struct(kind, child, name + ".", depth + 1, lines)
        elif info.name == "extra" and not prefix:
            lines.append(f"{pad}if v:")
            lines.append(f"{pad}    F(B(v), '', out)")
        elif kind in (str, int, float, bool):
            # an enum member stored in a str field becomes its value, as to_builtins gives it
            lines.append(f"{pad}if v is not None:")
            lines.append(f"{pad}    out[{name!r}] = v if v.__class__ is {kind.__name__} else B(v)")
        else:
            lines.append(f"{pad}if v is not None:")
            lines.append(f"{pad}    F(B(v), {name!r}, out)")


def _field_kind(annotation: Any) -> Any:
    """The type of an optional field without its ``None``; ``Any`` for everything composite."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if isinstance(annotation, type):
        return annotation
    if len(args) == 1 and isinstance(args[0], type):
        return args[0]
    return Any


def _flatten_into(value: Any, name: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        _flatten(value, name + "." if name else "", out)
    else:
        out[name] = value


_flatten_event = _generate_flattener(Event)


def _is_struct(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, msgspec.Struct)


def _list_item_struct(annotation: Any) -> Any:
    """``DnsAnswer`` for ``list[DnsAnswer] | None``, else None."""
    for arg in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(arg) is list:
            items = typing.get_args(arg)
            if len(items) == 1 and _is_struct(items[0]):
                return items[0]
    return None


def _extra_value(event: Event, dotted: str) -> Any:
    """``dotted`` among the vendor fields, as the flat document would hold it."""
    return _lookup(event.extra, dotted) if event.extra else None


def _lookup(node: dict[str, Any], dotted: str) -> Any:
    value = node.get(dotted)
    if value is not None:
        return None if isinstance(value, dict) else msgspec.to_builtins(value)
    head = dotted
    while (cut := head.rfind(".")) > 0:  # "a.b.c" may be stored as {"a": {"b.c": ...}} etc.
        head = head[:cut]
        child = node.get(head)
        if isinstance(child, dict):
            found = _lookup(child, dotted[cut + 1 :])
            if found is not None:
                return found
    return None


def _compile_getter(cls: Any, parts: list[str], dotted: str, top: bool) -> Callable[[Any], Any] | None:
    """Generated ``get(v)`` reading ``parts`` from a ``cls`` instance (None: flatten instead)."""
    # parsers keep vendor fields under their own roots (``huawei.usg.*``), never under an ECS one
    missing = "None"
    body = ["def get(v0):", "    v = v0"]
    namespace: dict[str, Any] = {"B": msgspec.to_builtins, "X": _extra_value, "D": dotted}
    for number, part in enumerate(parts):
        last = number == len(parts) - 1
        info = next((f for f in msgspec.structs.fields(cls) if f.encode_name == part), None)
        if info is None or info.name == "extra":
            # not in the schema: a vendor field (or nothing)
            body.append("    return X(v0, D)" if top else "    return None")
            break
        kind = _field_kind(info.type)
        body += [f"    v = v.{info.name}", "    if v is None:", f"        return {missing}"]
        item = _list_item_struct(info.type)
        if _is_struct(kind) and not last:
            cls = kind
            continue
        if _is_struct(kind):
            body.append("    return None")  # a field set has no value of its own
        elif item is not None and not last:
            # ``dns.answers.data``: the values at the rest of the path in every element
            inner = _compile_getter(item, parts[number + 1 :], dotted, top=False)
            if inner is None:
                return None
            namespace["I"] = inner
            body.append("    return [y for x in v if (y := I(x)) is not None]")
        elif not last:
            return None  # a key inside a map (``labels.team``): the flat document has it
        elif kind in (str, int, float, bool):
            # an enum member stored in a str field reads as its value, as to_builtins gives it
            body.append(f"    return v if v.__class__ is {kind.__name__} else B(v)")
        else:
            body.append("    return B(v)")
        break
    exec("\n".join(body), namespace)  # attribute names come from our field declarations only
    getter: Callable[[Any], Any] = namespace["get"]
    return getter


@functools.cache
def flat_getter(dotted: str) -> Callable[[Event], Any] | None:
    """A function giving ``event.to_flat().get(dotted)`` without flattening the event.

    Reads the attributes of ECS fields, looks vendor fields up in ``extra``, and for a path
    through a list of objects (``dns.answers.data``) gives the list of the elements' values.
    None when ``dotted`` leads into a map such as ``labels``: use ``to_flat`` for those.
    """
    parts = [dotted] if dotted == "@timestamp" else dotted.split(".")
    return _compile_getter(Event, parts, dotted, top=True)
