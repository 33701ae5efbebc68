"""Per-log ECS mapping of Zeek JSON lines.

Each mapper takes what it maps out of the line's dict (``take_*`` of ``line.py``), so what is
left is kept under ``zeek.<log>.*`` by the parser. Mappers may add derived vendor fields to
the dict (``state_message``, ``icmp.type``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from collectors.parsers.common import canonical_ip
from collectors.parsers.vendor import intrusion
from collectors.parsers.zeek_json.line import (
    Line,
    take_bool,
    take_count,
    take_first,
    take_ip,
    take_mac,
    take_nanos,
    take_text,
    take_time,
)
from soc_core.events import (
    Dns,
    DnsAnswer,
    DnsQuestion,
    File,
    Hash,
    Http,
    HttpBody,
    HttpRequest,
    HttpResponse,
    Rule,
    Tls,
    TlsClient,
    TlsServer,
    Url,
    User,
    UserAgent,
)
from soc_core.vocabulary import EventCategory, EventOutcome, EventType

__all__ = ["MAPPERS", "PROTOCOLS", "generic", "split_host", "split_url"]

NETWORK = EventCategory.NETWORK.value
WEB = EventCategory.WEB.value
FILE = EventCategory.FILE.value
EMAIL = EventCategory.EMAIL.value
AUTHENTICATION = EventCategory.AUTHENTICATION.value
CONNECTION = EventType.CONNECTION.value
PROTOCOL = EventType.PROTOCOL.value
INFO = EventType.INFO.value
START = EventType.START.value
END = EventType.END.value
DENIED = EventType.DENIED.value
SUCCESS = EventOutcome.SUCCESS.value
FAILURE = EventOutcome.FAILURE.value


def _set(line: Line, categories: tuple[str, ...], types: tuple[str, ...]) -> None:
    info = line.event.event
    info.category = list(categories)
    info.type = list(types)


# -- conn.log ---------------------------------------------------------------------------------

# conn_state → (Zeek's meaning, event.type as Elastic sets it, outcome for TCP)
_CONN_STATES: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    "S0": ("Connection attempt seen, no reply.", (CONNECTION, START), FAILURE),
    "S1": ("Connection established, not terminated.", (CONNECTION, START), SUCCESS),
    "SF": ("Normal establishment and termination.", (CONNECTION, START, END), SUCCESS),
    "REJ": ("Connection attempt rejected.", (CONNECTION, START, DENIED), FAILURE),
    "S2": (
        "Connection established and close attempt by originator seen (but no reply from responder).",
        (CONNECTION, INFO),
        SUCCESS,
    ),
    "S3": (
        "Connection established and close attempt by responder seen (but no reply from originator).",
        (CONNECTION, INFO),
        SUCCESS,
    ),
    "RSTO": ("Connection established, originator aborted (sent a RST).", (CONNECTION, INFO), SUCCESS),
    "RSTR": ("Responder sent a RST.", (CONNECTION, INFO), SUCCESS),
    "RSTOS0": (
        "Originator sent a SYN followed by a RST, we never saw a SYN-ACK from the responder.",
        (CONNECTION, INFO),
        FAILURE,
    ),
    "RSTRH": (
        "Responder sent a SYN ACK followed by a RST, we never saw a SYN from the (purported) originator.",
        (CONNECTION, INFO),
        None,
    ),
    "SH": (
        "Originator sent a SYN followed by a FIN, we never saw a SYN ACK from the responder "
        "(hence the connection was 'half' open).",
        (CONNECTION, INFO),
        FAILURE,
    ),
    "SHR": (
        "Responder sent a SYN ACK followed by a FIN, we never saw a SYN from the originator.",
        (CONNECTION, INFO),
        None,
    ),
    "OTH": (
        "No SYN seen, just midstream traffic (a 'partial connection' that was not later closed).",
        (CONNECTION, INFO),
        None,
    ),
}
# (local_orig, local_resp) → network.direction
_DIRECTIONS: dict[tuple[bool, bool], str] = {
    (True, True): "internal",
    (True, False): "outbound",
    (False, True): "inbound",
    (False, False): "external",
}
_SERVICES: dict[str, str] = {"ssl": "tls", "dtls": "tls"}


def _count(doc: dict[str, Any], key: str) -> int | None:
    """Pop a counter; a value that is not one goes back (kept as vendor field)."""
    value = doc.pop(key, None)
    if type(value) is int and value >= 0:
        return value
    if value is not None:
        doc[key] = value
    return None


def _connection(line: Line) -> None:
    doc, event, net = line.doc, line.event, line.net
    info = event.event
    info.category = [NETWORK]
    state = doc.get("conn_state")
    known = _CONN_STATES.get(state) if isinstance(state, str) else None
    if known is not None:
        doc["state_message"] = known[0]
        info.type = list(known[1])
        # UDP/ICMP "S0" is often a one-way protocol working as meant: only SF says anything.
        outcome = known[2] if net.transport == "tcp" else (SUCCESS if state == "SF" else None)
        if outcome is not None:
            info.outcome = outcome
    else:
        info.type = [CONNECTION]
    if "duration" in doc:
        info.duration = take_nanos(doc, "duration")
    src = event.source or line.source()
    dst = event.destination or line.destination()
    src.bytes = sent = _count(doc, "orig_ip_bytes")
    dst.bytes = received = _count(doc, "resp_ip_bytes")
    src.packets = sent_packets = _count(doc, "orig_pkts")
    dst.packets = received_packets = _count(doc, "resp_pkts")
    if sent is not None and received is not None:
        net.bytes = sent + received
    if sent_packets is not None and received_packets is not None:
        net.packets = sent_packets + received_packets
    if "orig_l2_addr" in doc:
        src.mac = take_mac(doc, "orig_l2_addr")
    if "resp_l2_addr" in doc:
        dst.mac = take_mac(doc, "resp_l2_addr")
    local_orig, local_resp = doc.get("local_orig"), doc.get("local_resp")
    if local_orig.__class__ is bool and local_resp.__class__ is bool:
        net.direction = _DIRECTIONS[(local_orig, local_resp)]
        del doc["local_orig"], doc["local_resp"]
    service = doc.get("service")
    if isinstance(service, str) and service:
        first = service.partition(",")[0].lower()
        net.protocol = _SERVICES.get(first, first)
        if net.protocol == service:
            del doc["service"]
    if net.transport == "icmp":  # Zeek logs ICMP type and code as the ports
        line.ports = (src.port, dst.port)
        if src.port is not None:
            doc["icmp.type"] = src.port
        if dst.port is not None:
            doc["icmp.code"] = dst.port
        src.port = dst.port = None


# -- dns.log ------------------------------------------------------------------------------------

_DNS_CLASSES: dict[int, str] = {1: "IN", 3: "CH", 4: "HS", 254: "NONE", 255: "ANY"}
_DNS_FLAGS = ("AA", "TC", "RD", "RA")


def _dns(line: Line) -> None:
    doc, info = line.doc, line.event.event
    _set(line, (NETWORK,), (CONNECTION, PROTOCOL, INFO))
    dns = Dns()
    question = DnsQuestion(name=take_text(doc, "query"))
    question.type = take_text(doc, "qtype_name")
    if question.type is not None:
        doc.pop("qtype", None)
    qclass = doc.get("qclass")
    if type(qclass) is int and qclass in _DNS_CLASSES:
        question.class_ = _DNS_CLASSES[qclass]
        del doc["qclass"]
        doc.pop("qclass_name", None)
    if question != _EMPTY_QUESTION:
        dns.question = question
    rcode = take_text(doc, "rcode_name")
    if rcode is not None:
        dns.response_code = rcode
        doc.pop("rcode", None)
        info.outcome = SUCCESS if rcode == "NOERROR" else FAILURE
    dns.type = "query" if rcode is None and "answers" not in doc else "answer"
    trans_id = take_count(doc, "trans_id")
    if trans_id is not None:
        dns.id = str(trans_id)
    info.duration = take_nanos(doc, "rtt")
    if doc.get("Z") == 0:  # reserved header bits: only a non-zero value says something
        del doc["Z"]
    flags: list[str] = []
    for flag in _DNS_FLAGS:
        value = doc.pop(flag, None)
        if value is True:
            flags.append(flag)
        elif value is not False and value is not None:
            doc[flag] = value  # not a flag: kept as it came
    if flags:
        dns.header_flags = flags
    answers = doc.get("answers")
    if answers.__class__ is list and answers:
        _answers(line, dns, answers)
    line.event.dns = dns


def _answers(line: Line, dns: Dns, answers: list[Any]) -> None:
    """``dns.answers`` (data and TTL) and ``dns.resolved_ip`` (the answers that are addresses)."""
    doc = line.doc
    ttls = doc.get("TTLs")
    if ttls.__class__ is not list or len(ttls) != len(answers):
        ttls = None
    resolved: list[str] = []
    records: list[DnsAnswer] = []
    for index, data in enumerate(answers):
        if data.__class__ is not str:
            return  # not Zeek's vector of strings: the list stays a vendor field
        ttl = ttls[index] if ttls is not None else None
        seconds = int(ttl) if isinstance(ttl, int | float) and math.isfinite(ttl) else None
        records.append(DnsAnswer(data=data, ttl=seconds))
        # Most answers are names: only what may be an address pays for the address parser.
        if data[:1].isdigit() or ":" in data:
            ip = canonical_ip(data)
            if ip is not None:
                resolved.append(ip)
    del doc["answers"]
    if ttls is not None:
        del doc["TTLs"]
    dns.answers = records
    if resolved:
        dns.resolved_ip = resolved
        line.related_ips.extend(resolved)


_EMPTY_QUESTION = DnsQuestion()


# -- http.log -----------------------------------------------------------------------------------


def split_url(uri: str, url: Url) -> None:
    """``url.original``/``path``/``query``/``fragment`` (and scheme/domain for absolute URIs)."""
    url.original = uri
    rest = uri
    scheme, sep, after = rest.partition("://")
    if sep and scheme.isalpha() and "/" not in scheme:
        url.scheme = scheme.lower()
        authority, slash, tail = after.partition("/")
        rest = slash + tail
        host, port = split_host(authority.rpartition("@")[2])
        if url.domain is None:
            url.domain, url.port = host, port
    rest, hashmark, fragment = rest.partition("#")
    if hashmark and fragment:
        url.fragment = fragment
    path, mark, query = rest.partition("?")
    if path:
        url.path = path
    if mark and query:
        url.query = query


def split_host(value: str) -> tuple[str | None, int | None]:
    """``host[:port]`` (IPv6 in brackets) → (domain or address, port)."""
    if value.startswith("["):  # ECS keeps the brackets of an IPv6 literal in url.domain
        address, _, port_text = value.partition("]")
        address += "]"
        port_text = port_text[1:] if port_text.startswith(":") else ""
    elif value.count(":") == 1:
        address, _, port_text = value.partition(":")
    else:
        address, port_text = value, ""
    port = int(port_text) if port_text.isdigit() and len(port_text) <= 5 and int(port_text) < 65_536 else None
    return (address or None), port


def _http(line: Line) -> None:
    doc, event = line.doc, line.event
    info = event.event
    _set(line, (NETWORK, WEB), (CONNECTION, PROTOCOL, INFO))
    request = HttpRequest(method=take_text(doc, "method"), referrer=take_text(doc, "referrer"))
    info.action = request.method
    response = HttpResponse()
    status = doc.get("status_code")
    if type(status) is int and 100 <= status <= 999:
        response.status_code = status
        del doc["status_code"]
        info.outcome = SUCCESS if status < 400 else FAILURE
    sent, received = take_count(doc, "request_body_len"), take_count(doc, "response_body_len")
    if sent is not None:
        request.body = HttpBody(bytes=sent)
    if received is not None:
        response.body = HttpBody(bytes=received)
    request.mime_type = take_first(doc, "orig_mime_types")
    response.mime_type = take_first(doc, "resp_mime_types")
    http = Http(version=take_text(doc, "version"))
    if request != _EMPTY_REQUEST:
        http.request = request
    if response != _EMPTY_RESPONSE:
        http.response = response
    event.http = http
    url = Url()
    host = take_text(doc, "host")
    if host is not None:
        url.domain, url.port = split_host(host)
    uri = take_text(doc, "uri")
    if uri is not None:
        split_url(uri, url)
    if url != _EMPTY_URL:
        event.url = url
    agent = take_text(doc, "user_agent")
    if agent is not None:
        event.user_agent = UserAgent(original=agent)
    user = take_text(doc, "username")
    if user is not None:
        event.user = User(name=user)


_EMPTY_REQUEST, _EMPTY_RESPONSE, _EMPTY_URL = HttpRequest(), HttpResponse(), Url()


# -- ssl.log ------------------------------------------------------------------------------------

_TLS_VERSIONS: dict[str, tuple[str, str]] = {
    "SSLv2": ("2.0", "ssl"),
    "SSLv3": ("3.0", "ssl"),
    "TLSv10": ("1.0", "tls"),
    "TLSv11": ("1.1", "tls"),
    "TLSv12": ("1.2", "tls"),
    "TLSv13": ("1.3", "tls"),
    "DTLSv10": ("1.0", "dtls"),
    "DTLSv12": ("1.2", "dtls"),
    "DTLSv13": ("1.3", "dtls"),
}


def _ssl(line: Line) -> None:
    doc, event = line.doc, line.event
    _set(line, (NETWORK,), (CONNECTION, PROTOCOL))
    tls = Tls(cipher=take_text(doc, "cipher"), next_protocol=take_text(doc, "next_protocol"))
    version = doc.get("version")
    known = _TLS_VERSIONS.get(version) if isinstance(version, str) else None
    if known is not None:
        tls.version, tls.version_protocol = known
        del doc["version"]
        if known[1] == "dtls":
            line.net.transport = "udp"
    tls.established = take_bool(doc, "established")
    if tls.established:
        event.event.outcome = SUCCESS
    client = TlsClient(
        server_name=take_text(doc, "server_name"), ja3=take_text(doc, "ja3"), ja4=take_text(doc, "ja4")
    )
    server = TlsServer(
        ja3s=take_text(doc, "ja3s"),
        subject=take_text(doc, "subject"),
        issuer=take_text(doc, "issuer"),
        not_before=take_time(doc, "not_valid_before"),
        not_after=take_time(doc, "not_valid_after"),
    )
    if client != _EMPTY_CLIENT:
        tls.client = client
        if client.ja3 is not None:
            line.related_hashes.append(client.ja3)
    if server != _EMPTY_SERVER:
        tls.server = server
        if server.ja3s is not None:
            line.related_hashes.append(server.ja3s)
    event.tls = tls


_EMPTY_CLIENT, _EMPTY_SERVER = TlsClient(), TlsServer()


# -- files.log, x509.log, pe.log, ocsp.log --------------------------------------------------------


def _files(line: Line) -> None:
    doc, event = line.doc, line.event
    _set(line, (FILE,), (INFO,))
    file = File(
        name=take_text(doc, "filename"),
        size=take_count(doc, "total_bytes"),
        mime_type=take_text(doc, "mime_type"),
    )
    hashes = Hash(md5=take_text(doc, "md5"), sha1=take_text(doc, "sha1"), sha256=take_text(doc, "sha256"))
    if hashes != _EMPTY_HASH:
        file.hash = hashes
        line.related_hashes.extend(h for h in (hashes.md5, hashes.sha1, hashes.sha256) if h is not None)
    if file != _EMPTY_FILE:
        event.file = file
    event.event.duration = take_nanos(doc, "duration")
    session = take_first(doc, "conn_uids")
    if line.session_id is None:
        line.session_id = session
    if event.source is None and event.destination is None:
        # Zeek < 6: the hosts that sent (tx) and received (rx) the file. is_orig says whether
        # the sender was the connection's originator, i.e. the source.
        sender, receiver = _first_ip(doc, "tx_hosts"), _first_ip(doc, "rx_hosts")
        if doc.get("is_orig") is True:
            sender, receiver = receiver, sender
        if receiver is not None:
            line.source(ip=receiver)
        if sender is not None:
            line.destination(ip=sender)


def _first_ip(doc: dict[str, Any], key: str) -> str | None:
    value = doc.get(key)
    if isinstance(value, list) and value and isinstance(value[0], str):
        ip = canonical_ip(value[0])
        if ip is not None and len(value) == 1:
            del doc[key]
        return ip
    return None


_EMPTY_HASH, _EMPTY_FILE = Hash(), File()


def _file_info(line: Line) -> None:
    _set(line, (FILE,), (INFO,))


# -- alerts: notice.log, signatures.log, intel.log -----------------------------------------------


def _alert_endpoints(line: Line, src_key: str, dst_key: str, dport_key: str, sport_key: str = "") -> None:
    """The notice's own src/dst/p when the line has no connection id (dropped when equal)."""
    doc, event = line.doc, line.event
    for key, side in ((src_key, event.source), (dst_key, event.destination)):
        value = doc.get(key)
        ip = canonical_ip(value) if isinstance(value, str) else None
        if ip is None:
            continue
        if side is None:
            (line.source if key == src_key else line.destination)(ip=ip)
            del doc[key]
        elif side.ip is None or side.ip == ip:
            side.ip = ip
            del doc[key]
    for key, getter in ((dport_key, line.destination), (sport_key, line.source)):
        if not key:
            continue
        value = doc.get(key)
        if type(value) is int and 0 <= value <= 65_535:
            side = getter()
            if side.port is None or side.port == value:
                side.port = value
                del doc[key]


def _module(name: str) -> str | None:
    module, sep, _ = name.partition("::")
    return module if sep and module else None


# Notice frameworks that report on the sensor itself (lost packets, filters, its software),
# not on an intrusion: kept as notices, not raised as detections.
_SENSOR_NOTICES: frozenset[str] = frozenset({"CaptureLoss", "PacketFilter", "Notice", "Reporter", "Weird"})


def _notice(line: Line) -> None:
    doc, event = line.doc, line.event
    note = take_text(doc, "note")
    if _module(note or "") in _SENSOR_NOTICES:
        info = event.event
        info.kind, info.category, info.type = "event", ["host"], ["info"]
        take_bool(doc, "dropped")
    else:
        intrusion(event.event, blocked=take_bool(doc, "dropped"))
    if note is not None:
        event.rule = Rule(name=note, category=_module(note))
    event.message = take_text(doc, "msg")
    _alert_endpoints(line, "src", "dst", "p")
    mime = take_text(doc, "file_mime_type")
    if mime is not None:
        event.file = File(mime_type=mime)


def _signature(line: Line) -> None:
    doc, event = line.doc, line.event
    intrusion(event.event, blocked=None)
    sig_id = take_text(doc, "sig_id")
    note = take_text(doc, "note")
    event.rule = Rule(id=sig_id, name=sig_id or note, category=_module(note or "") or "Signatures")
    event.message = take_text(doc, "event_msg")
    _alert_endpoints(line, "src_addr", "dst_addr", "dst_port", "src_port")


def _intel(line: Line) -> None:
    doc, event = line.doc, line.event
    intrusion(event.event, blocked=None)
    matched = take_first(doc, "matched")  # e.g. Intel::ADDR
    sources = doc.get("sources")
    ruleset = sources[0] if isinstance(sources, list) and len(sources) == 1 else None
    if isinstance(ruleset, str) and ruleset:
        del doc["sources"]
    else:
        ruleset = None
    event.rule = Rule(name=matched or "Intel::match", category="Intel", ruleset=ruleset)


# -- other logs -----------------------------------------------------------------------------------


def _weird(line: Line) -> None:
    _set(line, (NETWORK,), (INFO,))
    name = take_text(line.doc, "name")
    if name is not None:
        line.event.rule = Rule(name=name)


def _ssh(line: Line) -> None:
    doc, event = line.doc, line.event
    _set(line, (NETWORK,), (CONNECTION, PROTOCOL))
    success = take_bool(doc, "auth_success")
    if success is not None:
        event.event.outcome = SUCCESS if success else FAILURE
    direction = doc.get("direction")
    if isinstance(direction, str) and direction.lower() in ("inbound", "outbound"):
        line.net.direction = direction.lower()
        del doc["direction"]


def _dhcp(line: Line) -> None:
    doc, event = line.doc, line.event
    _set(line, (NETWORK,), (CONNECTION, PROTOCOL, INFO))
    client, server = take_ip(doc, "client_addr"), take_ip(doc, "server_addr")
    if client is not None:
        line.source().ip = line.source().ip or client
    if server is not None:
        line.destination().ip = line.destination().ip or server
    mac = take_mac(doc, "mac")
    if mac is not None:
        line.source().mac = mac
    kinds = doc.get("msg_types")
    if isinstance(kinds, list) and kinds and isinstance(kinds[-1], str):
        event.event.action = kinds[-1]  # the exchange's last message: ACK, NAK …
    session = take_first(doc, "uids")
    if line.session_id is None:
        line.session_id = session
    event.event.duration = take_nanos(doc, "duration")
    for key in ("assigned_addr", "requested_addr"):
        value = doc.get(key)
        ip = canonical_ip(value) if isinstance(value, str) else None
        if ip is not None:
            line.related_ips.append(ip)


def _smtp(line: Line) -> None:
    _set(line, (NETWORK, EMAIL), (PROTOCOL, INFO))
    agent = take_text(line.doc, "user_agent")
    if agent is not None:
        line.event.user_agent = UserAgent(original=agent)


def _ftp(line: Line) -> None:
    doc, event = line.doc, line.event
    _set(line, (NETWORK,), (CONNECTION, PROTOCOL, INFO))
    event.event.action = take_text(doc, "command")
    user = take_text(doc, "user")
    if user is not None:
        event.user = User(name=user)
    code = doc.get("reply_code")
    if type(code) is int and 100 <= code <= 599:
        event.event.outcome = SUCCESS if code < 400 else FAILURE


def _smb_files(line: Line) -> None:
    doc, event = line.doc, line.event
    _set(line, (NETWORK, FILE), (INFO,))
    event.event.action = take_text(doc, "action")
    name, size = take_text(doc, "name"), take_count(doc, "size")
    if name is not None or size is not None:
        event.file = File(
            path=name, name=None if name is None else name.replace("/", "\\").rpartition("\\")[2], size=size
        )


def _smb_cmd(line: Line) -> None:
    doc, event = line.doc, line.event
    _set(line, (NETWORK,), (CONNECTION, PROTOCOL))
    event.event.action = take_text(doc, "command")
    user = take_text(doc, "username")
    if user is not None:
        event.user = User(name=user)


def _dce_rpc(line: Line) -> None:
    _set(line, (NETWORK,), (CONNECTION, PROTOCOL))
    line.event.event.action = take_text(line.doc, "operation")


def _kerberos(line: Line) -> None:
    doc, event = line.doc, line.event
    _set(line, (NETWORK, AUTHENTICATION), (INFO,))
    event.event.action = take_text(doc, "request_type")  # AS or TGS
    success = take_bool(doc, "success")
    if success is not None:
        event.event.outcome = SUCCESS if success else FAILURE
    client = doc.get("client")
    if isinstance(client, str) and client:
        name, _, realm = client.partition("/")
        event.user = User(name=name or None, domain=realm or None)
        del doc["client"]


def _ntlm(line: Line) -> None:
    doc, event = line.doc, line.event
    _set(line, (NETWORK, AUTHENTICATION), (INFO,))
    success = take_bool(doc, "success")
    if success is not None:
        event.event.outcome = SUCCESS if success else FAILURE
    name, domain = take_text(doc, "username"), take_text(doc, "domainname")
    if name is not None or domain is not None:
        event.user = User(name=name, domain=domain)


def _protocol_log(line: Line) -> None:
    _set(line, (NETWORK,), (CONNECTION, PROTOCOL))


def generic(line: Line) -> None:
    """Logs without a specific mapping: network info; every field kept under ``zeek.<log>``."""
    _set(line, (NETWORK,), (INFO,))


MAPPERS: dict[str, Callable[[Line], None]] = {
    "connection": _connection,
    "dns": _dns,
    "http": _http,
    "ssl": _ssl,
    "files": _files,
    "x509": _file_info,
    "pe": _file_info,
    "ocsp": _file_info,
    "notice": _notice,
    "signature": _signature,
    "intel": _intel,
    "weird": _weird,
    "ssh": _ssh,
    "dhcp": _dhcp,
    "smtp": _smtp,
    "ftp": _ftp,
    "smb_files": _smb_files,
    "smb_cmd": _smb_cmd,
    "smb_mapping": _protocol_log,
    "dce_rpc": _dce_rpc,
    "kerberos": _kerberos,
    "ntlm": _ntlm,
    "rdp": _protocol_log,
    "sip": _protocol_log,
    "snmp": _protocol_log,
    "mysql": _protocol_log,
    "radius": _protocol_log,
    "irc": _protocol_log,
    "modbus": _protocol_log,
    "dnp3": _protocol_log,
    "ntp": _protocol_log,
    "socks": _protocol_log,
    "rfb": _protocol_log,
    "tunnel": _protocol_log,
}

# kind → (network.protocol, network.transport) the log implies, set unless the line says.
PROTOCOLS: dict[str, tuple[str | None, str | None]] = {
    "dns": ("dns", None),
    "http": ("http", "tcp"),
    "ssl": ("tls", "tcp"),
    "ssh": ("ssh", "tcp"),
    "dhcp": ("dhcp", "udp"),
    "smtp": ("smtp", "tcp"),
    "ftp": ("ftp", "tcp"),
    "smb_files": ("smb", "tcp"),
    "smb_cmd": ("smb", "tcp"),
    "smb_mapping": ("smb", "tcp"),
    "dce_rpc": ("dce_rpc", "tcp"),
    "kerberos": ("kerberos", None),
    "ntlm": ("ntlm", "tcp"),
    "rdp": ("rdp", "tcp"),
    "sip": ("sip", None),
    "snmp": ("snmp", "udp"),
    "mysql": ("mysql", "tcp"),
    "radius": ("radius", "udp"),
    "irc": ("irc", "tcp"),
    "modbus": ("modbus", "tcp"),
    "dnp3": ("dnp3", None),
    "ntp": ("ntp", "udp"),
    "socks": ("socks", "tcp"),
    "rfb": ("rfb", "tcp"),
    "syslog": ("syslog", None),
}
