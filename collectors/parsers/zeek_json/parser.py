"""``zeek.log``: Zeek JSON logs (``LogAscii::use_json=T``), one object per line.

A line does not name its log, so the type comes from ``_path`` when Zeek (or Corelight, or
the json-streaming-logs package) adds it (or OwlH's ``bro_engine``), else from the fields only
that log writes
(``conn_state`` → conn, ``qtype_name``/``AA`` → dns, ``trans_depth`` → http …; see
``kinds.py``, the per-log mapping in ``mappers.py``, Community ID in ``community.py``).
``event.dataset`` names the log as Elastic's zeek integration does (``zeek.connection``,
``zeek.dns`` …); a line of no known log keeps ``zeek.log`` (fields under ``zeek.<_path>`` or
``zeek.log``).

Field choices follow Elastic's integration: ``id.orig_h/p`` → ``source.*``, ``id.resp_h/p`` →
``destination.*``, ``uid`` → ``zeek.session_id``, ``orig_ip_bytes``/``orig_pkts`` →
``source.bytes``/``packets`` (IP-level, as firewalls count; the payload ``orig_bytes`` stays in
``zeek.connection``), ``conn_state`` → ``event.type`` by Elastic's table, ICMP type/code →
``zeek.connection.icmp.*``, ``local_orig``/``local_resp`` → ``network.direction``. Where we
differ, on purpose: ``event.id`` is not the ``uid`` (one uid spans conn, dns, http … lines and
our ``event.id`` is unique per event); ``network.community_id`` is computed (Community ID v1)
when the line does not carry it; ``event.outcome`` is set from what the line says (conn state,
DNS rcode, HTTP status, SSH/Kerberos/NTLM success, TLS established).

Kinds of event: ``notice``, ``signatures`` and ``intel`` lines are IDS alerts (``intrusion``:
``rule.name`` the note, ``rule.category`` its module, ``Scan::Port_Scan`` → ``Scan``);
``weird`` lines are protocol anomalies Zeek itself does not raise as notices, mostly benign
and numerous, so they stay ``kind: event`` (category network, type info) with ``rule.name``
the weird's name, as Elastic does. ``observer.type`` is ``ids``: Zeek is deployed as a passive
IDS/NSM sensor and its notices are intrusion detections. Zeek has no severity scale, so
``event.severity`` is left to the syslog header (if any).

Every field not mapped to ECS stays under ``zeek.<log>.*`` (dotted Zeek names nested:
``data_channel.passive`` → ``zeek.ftp.data_channel.passive``; a few renamed as Elastic does:
``conn_state`` → ``state``, weird ``addl`` → ``additional_info``). Lines exported from Splunk
(``{"result": {"_raw": "<zeek json>", "host": …, "source": …}}``) are unwrapped. ``ts`` is
epoch seconds or ISO 8601 (``LogAscii::json_timestamps``), always UTC.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, ClassVar

import msgspec

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.common import canonical_ip, finish, sanitize_key
from collectors.parsers.json_depth import too_deep
from collectors.parsers.timeparse import resolve_timestamp
from collectors.parsers.zeek_json.community import community_id
from collectors.parsers.zeek_json.kinds import DATASETS, LOGS, detect
from collectors.parsers.zeek_json.line import Line, take_port
from collectors.parsers.zeek_json.mappers import MAPPERS, PROTOCOLS, generic
from soc_core.errors import ParseError
from soc_core.events import Endpoint, Event, EventInfo, Log, LogFile, Network, Observer, Related
from soc_core.records import RawRecord
from soc_core.vocabulary import DeadLetterReason

VENDOR = "zeek"
MAX_DEPTH = 32  # Zeek writes flat objects; anything deeper is not a Zeek log

_decoder = msgspec.json.Decoder()
_IANA: dict[str, int] = {"tcp": 6, "udp": 17, "icmp": 1, "sctp": 132}
_TRANSPORTS = frozenset({"tcp", "udp", "icmp", "sctp"})
# Keys only Zeek writes (escaped forms too: Splunk exports nest the line as a JSON string).
_MARKERS = re.compile(
    r'"(?:fuid|_path|certificate\.[a-z_]+|seen\.indicator|msg_types|percent_lost|pkts_proc'
    r'|software_type|port_num|is_64bit|issuerNameHash)\\?":'
    r'|"note\\?":\s*\\?"[A-Za-z0-9_]+::'
)
# weird.log without a connection: {"ts":…,"name":…,"notice":false,"peer":…}
_WEIRD_KEYS = (('"name":', '"name\\":'), ('"notice":', '"notice\\":'), ('"peer":', '"peer\\":'))


def _error(record: RawRecord, what: str) -> ParseError:
    return ParseError(
        f"not a Zeek JSON log record: {what}", where=record.where, reason=DeadLetterReason.PARSE_ERROR.value
    )


def _decode(text: str, record: RawRecord) -> dict[str, Any]:
    try:
        doc = _decoder.decode(text)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise _error(record, f"invalid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise _error(record, f"JSON {type(doc).__name__} where an object was expected")
    # Cheap bound first: nesting cannot exceed the number of opening brackets.
    if too_deep(text, lambda: doc, MAX_DEPTH):
        raise _error(record, f"JSON nested deeper than {MAX_DEPTH} levels")
    return doc


# -- vendor fields --------------------------------------------------------------------------

# Elastic's names for a few Zeek fields (zeek.<log>.<name>); everything else keeps Zeek's name.
_RENAMES: dict[tuple[str, str], str] = {
    ("connection", "conn_state"): "state",
    ("weird", "addl"): "additional_info",
    ("ssh", "auth_attempts"): "auth.attempts",
    ("ssh", "cipher_alg"): "algorithm.cipher",
    ("ssh", "mac_alg"): "algorithm.mac",
    ("ssh", "compression_alg"): "algorithm.compression",
    ("ssh", "kex_alg"): "algorithm.key_exchange",
    ("ssh", "host_key_alg"): "algorithm.host_key",
    ("files", "conn_uids"): "session_ids",
    ("ssl", "validation_status"): "validation.status",
    ("ssl", "validation_code"): "validation.code",
}
_paths: dict[str, dict[str, tuple[str, ...]]] = {}  # namespace → Zeek key → path under it
_PATHS_MAX = 4_096  # per namespace; keys of a real Zeek log are a few dozen


def _path_of(namespace: str, key: str) -> tuple[str, ...]:
    name = _RENAMES.get((namespace, key), key)
    return tuple(part for part in map(sanitize_key, name.split(".")) if part)


def _put(tree: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = tree
    for index, part in enumerate(path[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        elif not isinstance(child, dict):  # "a" and "a.b" both logged: keep the deeper one flat
            _put_flat(node, "_".join(path[index:]), value)
            return
        node = child
    last = path[-1]
    if last in node:
        _put_flat(node, last + "_value", value)
    else:
        node[last] = value


def _put_flat(node: dict[str, Any], key: str, value: Any) -> None:
    while key in node:
        key += "_"
    node[key] = value


_EMPTIABLE = (str, list, dict)


def _vendor_tree(namespace: str, doc: dict[str, Any]) -> dict[str, Any]:
    """What is left of the line, as ``zeek.<namespace>.*`` (dotted names nested)."""
    paths = _paths.get(namespace)
    if paths is None:
        paths = {} if len(_paths) >= 256 else _paths.setdefault(namespace, {})
    tree: dict[str, Any] = {}
    for key, value in doc.items():
        if value is None or (not value and type(value) in _EMPTIABLE):
            continue
        path = paths.get(key)
        if path is None:
            path = _path_of(namespace, key)
            if len(paths) < _PATHS_MAX:
                paths[key] = path
            if not path:
                continue
        if len(path) == 1 and path[0] not in tree:
            tree[path[0]] = value
        elif path:
            _put(tree, path, value)
    return tree


# -- the parser -------------------------------------------------------------------------------


class ZeekParser(Parser):
    """``zeek.log``: any Zeek log written as JSON; ``event.dataset`` names the log."""

    dataset: ClassVar[str] = "zeek.log"
    emits: ClassVar[tuple[str, ...]] = DATASETS

    def sniff(self, envelope: Envelope) -> bool:
        """A JSON object with ``ts`` and a key only Zeek writes (``id.orig_h``, ``fuid`` …)."""
        message = envelope.message
        if message[:1] != "{" and message.lstrip()[:1] != "{":
            return False
        if '"ts":' not in message and '\\"ts\\":' not in message:
            return False
        if "id.orig_h" in message or _MARKERS.search(message) is not None:
            return True
        return all(plain in message or escaped in message for plain, escaped in _WEIRD_KEYS)

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """One event per line."""
        doc = _decode(envelope.message.strip(), record)
        splunk: dict[str, Any] | None = None
        if "ts" not in doc:
            result = doc.get("result")
            raw = result.get("_raw") if isinstance(result, dict) else None
            if not isinstance(raw, str):
                raise _error(record, "no ts field")
            splunk = result
            doc = _decode(raw.strip(), record)
            if "ts" not in doc:
                raise _error(record, "no ts field in the Splunk result's _raw")
        event = Event(timestamp=self._time(doc.pop("ts"), record), event=EventInfo())

        log_path = doc.pop("_path", None)
        if isinstance(log_path, str) and log_path:
            kind = LOGS.get(log_path)
            namespace = kind or (sanitize_key(log_path) or "log")
        else:
            if log_path is not None:
                doc["_path"] = log_path  # not a log name: keep it with the rest
            kind = None
            engine = doc.get("bro_engine")  # OwlH names the log so: "CONN", "DNS" …
            if engine.__class__ is str:
                kind = LOGS.get(engine.lower())
                if kind is not None:
                    del doc["bro_engine"]
            kind = kind or detect(doc)
            namespace = kind or "log"
        line = Line(doc, event, namespace)
        system_name = doc.pop("_system_name", None) if "_system_name" in doc else None

        uid = doc.get("uid")
        if uid.__class__ is str and uid:
            del doc["uid"]
            line.session_id = uid
        # the connection's 4-tuple (taken only when valid: anything else stays a vendor field)
        value = doc.get("id.orig_h")
        sip = canonical_ip(value) if value.__class__ is str else None
        if sip is not None:
            del doc["id.orig_h"]
        value = doc.get("id.resp_h")
        dip = canonical_ip(value) if value.__class__ is str else None
        if dip is not None:
            del doc["id.resp_h"]
        sport, dport = take_port(doc, "id.orig_p"), take_port(doc, "id.resp_p")
        if sip is not None or sport is not None:
            event.source = Endpoint(ip=sip, port=sport)
        if dip is not None or dport is not None:
            event.destination = Endpoint(ip=dip, port=dport)
        net = line.net
        proto = doc.get("proto")
        if proto.__class__ is str:
            transport = proto.lower()
            if transport in _TRANSPORTS:
                del doc["proto"]
                net.transport = transport
        if "community_id" in doc:
            given_id = doc["community_id"]
            if isinstance(given_id, str) and given_id:
                del doc["community_id"]
                net.community_id = given_id

        implied = PROTOCOLS.get(kind or "")
        if implied is not None:
            net.protocol, net.transport = implied[0], net.transport or implied[1]

        MAPPERS.get(kind or "", generic)(line)

        src, dst = event.source, event.destination
        if src == _EMPTY_ENDPOINT:
            src = event.source = None
        if dst == _EMPTY_ENDPOINT:
            dst = event.destination = None
        if net.community_id is None and src is not None and dst is not None:
            number = _IANA.get(net.transport or "")
            sport, dport = line.ports or (src.port, dst.port)
            if number is not None and src.ip and dst.ip and sport is not None and dport is not None:
                net.community_id = community_id(src.ip, dst.ip, sport, dport, number)
        if net != _EMPTY_NETWORK:
            event.network = net
        observer = event.observer = Observer(vendor="Zeek", product="Zeek", type="ids")
        if splunk is not None:
            self._splunk(event, splunk)
        if system_name is not None:
            if isinstance(system_name, str) and system_name:
                observer.hostname = system_name
            else:
                doc["_system_name"] = system_name
        sip = src.ip if src is not None else None
        dip = dst.ip if dst is not None else None
        if line.related_ips or line.related_hashes:
            ips = [ip for ip in (sip, dip) if ip is not None] + line.related_ips
            event.related = Related(
                ip=list(dict.fromkeys(ips)) if ips else None,
                hash=list(dict.fromkeys(line.related_hashes)) if line.related_hashes else None,
            )
        elif sip is not None:
            event.related = Related(ip=[sip] if dip is None or dip == sip else [sip, dip])
        elif dip is not None:
            event.related = Related(ip=[dip])
        zeek: dict[str, Any] = {}
        if line.session_id is not None:
            zeek["session_id"] = line.session_id
        tree = _vendor_tree(namespace, doc)
        if tree:
            zeek[namespace] = tree
        if zeek:
            event.extra = {VENDOR: zeek}
        return [finish(event, envelope, record, f"zeek.{kind}" if kind else self.dataset)]

    @staticmethod
    def _time(value: Any, record: RawRecord) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not 0 <= value < 1e11:  # 1e11 s is the year 5138: a millisecond or broken value
                raise _error(record, f"ts {value!r} is not epoch seconds")
            # fromtimestamp is thrice as fast as timeparse.from_posix, and ts is in range here
            return dt.datetime.fromtimestamp(value, dt.UTC)
        if isinstance(value, str) and value:
            try:
                # LogAscii::json_timestamps ISO 8601 is UTC ("…Z"); Zeek never writes local time.
                return resolve_timestamp(value, received_at=record.received_at, tz="UTC")
            except ValueError:
                pass
        raise _error(record, f"ts {str(value)[:64]!r} is not a time")

    @staticmethod
    def _splunk(event: Event, result: dict[str, Any]) -> None:
        """The Splunk export's host (the Zeek sensor) and source file."""
        host, source = result.get("host"), result.get("source")
        if isinstance(host, str) and host:
            assert event.observer is not None
            event.observer.hostname = host
        if isinstance(source, str) and source:
            event.log = Log(file=LogFile(path=source))


_EMPTY_NETWORK, _EMPTY_ENDPOINT = Network(), Endpoint()
