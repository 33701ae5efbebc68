"""The EVE objects mapped besides alerts and flows: ``http``, ``dns``, ``tls``, ``fileinfo``,
``ether``, and the user names of ``krb5``/``smb``; plus the small helpers they share with the parser.

Each ``map_*`` returns its ECS field sets (the parser builds the event from them in one call:
setting a field on a made ``Event`` costs several times more) and keeps what ECS has no place
for under ``suricata.eve.<object>`` (``vendor`` is that ``suricata.eve`` dict).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from collectors.parsers.common import canonical_ip
from collectors.parsers.structs import FieldCopier
from collectors.parsers.suricata_eve.shapes import Dns, Eve, Fileinfo, Http, Tls
from soc_core.events import Dns as EcsDns
from soc_core.events import (
    DnsAnswer,
    DnsQuestion,
    File,
    Hash,
    HttpBody,
    HttpRequest,
    HttpResponse,
    TlsClient,
    TlsServer,
    Url,
    User,
    UserAgent,
)
from soc_core.events import Http as EcsHttp
from soc_core.events import Tls as EcsTls

UTC: Final = dt.UTC
_EPOCH: Final = dt.datetime(1970, 1, 1)
_EPOCH_UTC: Final = dt.datetime(1970, 1, 1, tzinfo=UTC)

_DNS_TYPES: Final = {"request": "query", "response": "answer", "query": "query", "answer": "answer"}
_DNS_OPCODES: Final = {0: "QUERY", 1: "IQUERY", 2: "STATUS", 4: "NOTIFY", 5: "UPDATE", 6: "DSO"}
_DNS_ANSWER_KEYS: Final = frozenset({"rrname", "rrtype", "ttl", "rdata"})
_TLS_VERSIONS: Final[dict[str, tuple[str, str]]] = {
    "TLS 1.0": ("tls", "1.0"),
    "TLS 1.1": ("tls", "1.1"),
    "TLS 1.2": ("tls", "1.2"),
    "TLS 1.3": ("tls", "1.3"),
    "TLSv1": ("tls", "1.0"),
    "SSLv2": ("ssl", "2.0"),
    "SSLv3": ("ssl", "3.0"),
}
_HTTP_REST: Final = FieldCopier(
    Http,
    (
        "redirect",
        "xff",
        "true_client_ip",
        "org_src_ip",
        "content_range",
        "request_headers",
        "response_headers",
        "http_request_body",
        "http_request_body_printable",
        "http_response_body",
        "http_response_body_printable",
        "version",
    ),
)
_DNS_REST: Final = FieldCopier(
    Dns, ("version", "flags", "qr", "z", "tx_id", "authorities", "additionals", "srv", "soa")
)
_TLS_REST: Final = FieldCopier(
    Tls,
    (
        "serial",
        "fingerprint",
        "session_resumed",
        "certificate",
        "chain",
        "subjectaltname",
        "client",
        "from_proto",
        "client_alpns",
        "server_alpns",
    ),
)
_FILE_REST: Final = FieldCopier(
    Fileinfo, ("magic", "sid", "gaps", "state", "stored", "storing", "file_id", "tx_id", "start", "end")
)


def put(vendor: dict[str, Any], key: str, values: dict[str, Any]) -> None:
    """Keep ``values`` under ``suricata.eve.<key>``, merged with what is there already."""
    if not values:
        return
    existing = vendor.get(key)
    if isinstance(existing, dict):
        existing.update(values)
    else:
        vendor[key] = values


def _unique(values: list[str]) -> list[str] | None:
    """``values`` without repeats (first kept), None when empty; most have one value or none."""
    if len(values) < 2:
        return values or None
    return list(dict.fromkeys(values))


def _port(value: int | None) -> int | None:
    return value if value is not None and 0 <= value <= 65_535 else None


def _count(value: int | None) -> int | None:
    return value if value is not None and value >= 0 else None


def _mac(value: Any) -> str | None:
    if isinstance(value, str) and len(value) == 17:
        return value.upper().replace(":", "-")
    return None


def _url(raw: str, hostname: str | None, http_port: int | None) -> Url:
    """``url.*`` of a request target: a path (``/a?b``) or, through a proxy, an absolute URL."""
    domain = hostname or None
    scheme = full = path = query = extension = None
    if raw[:1] == "/":
        path, mark, query = raw.partition("?")
        if not mark:
            query = None
    elif "://" in raw[:12]:  # a proxy request: absolute URL
        scheme, _, rest = raw.partition("://")
        scheme = scheme.lower()
        authority, slash, tail = rest.partition("/")
        path, mark, query = (slash + tail).partition("?")
        full = raw
        path = path or None
        if not mark:
            query = None
        if domain is None and authority:
            domain = authority.rpartition("@")[2].partition(":")[0] or None
    if path:
        name = path.rpartition("/")[2]
        if "." in name:
            extension = name.rpartition(".")[2]
            extension = extension.lower() if extension and len(extension) <= 16 else None
    return Url(
        original=raw,
        full=full,
        scheme=scheme,
        domain=domain,
        port=_port(http_port),
        path=path,
        query=query,
        extension=extension,
    )


def map_http(http: Http, vendor: dict[str, Any]) -> tuple[Url | None, EcsHttp | None, UserAgent | None]:
    """``url.*``, ``http.*`` (method, status, referrer, body length, version), ``user_agent``."""
    url = ecs = agent = None
    raw, hostname, port = http.url, http.hostname, http.http_port
    if raw is not None:
        url = _url(raw, hostname, port)
    elif hostname:
        url = Url(domain=hostname, port=_port(port))
    method, referrer = http.http_method, http.http_refer
    status, length, mime = http.status, http.length, http.http_content_type
    request = response = version = None
    if method or referrer:
        request = HttpRequest(method=method or None, referrer=referrer or None)
    if status is not None or length is not None or mime:
        response = HttpResponse(
            status_code=status,
            mime_type=mime or None,
            body=HttpBody(bytes=_count(length)) if length is not None else None,
        )
    protocol = http.protocol
    if protocol:
        version = protocol[5:] if protocol[:5] == "HTTP/" else None
    if request is not None or response is not None or version is not None:
        ecs = EcsHttp(version=version, request=request, response=response)
    if http.http_user_agent:
        agent = UserAgent(original=http.http_user_agent)
    rest: dict[str, Any] = {}
    _HTTP_REST.copy(http, rest)
    if protocol and version is None:
        rest["protocol"] = protocol
    if port is not None and _port(port) is None:
        rest["http_port"] = port
    put(vendor, "http", rest)
    return url, ecs, agent


def map_dns(dns: Dns, vendor: dict[str, Any]) -> EcsDns:
    """``dns.*`` from the v1/v2 (``query``/``answer``), v3 (``request``/``response``) and alert forms."""
    rest: dict[str, Any] = {}
    _DNS_REST.copy(dns, rest)
    name, qtype = dns.rrname, dns.rrtype
    queries = dns.queries or dns.query
    if queries:
        first = queries[0]
        if name is None and isinstance(first.get("rrname"), str):
            name = first["rrname"]
        if qtype is None and isinstance(first.get("rrtype"), str):
            qtype = first["rrtype"]
        if len(queries) > 1 or not set(first) <= {"rrname", "rrtype"}:
            rest["queries" if dns.queries else "query"] = queries
    answer_object = dns.answer
    answers_raw = dns.answers
    rcode, dns_id, opcode = dns.rcode, dns.id, dns.opcode
    if answer_object is not None:  # the v2 alert form: the whole answer message inside
        rest["answer"] = answer_object
        if answers_raw is None and isinstance(answer_object.get("answers"), list):
            answers_raw = answer_object["answers"]
        if rcode is None and isinstance(answer_object.get("rcode"), str):
            rcode = answer_object["rcode"]
        if name is None and isinstance(answer_object.get("rrname"), str):
            name = answer_object["rrname"]
    answers: list[DnsAnswer] = []
    resolved: list[str] = []
    dtype = _DNS_TYPES.get(dns.type or "")
    if answers_raw:
        extra_keys = False
        for item in answers_raw:
            if not isinstance(item, dict):
                extra_keys = True
                continue
            rrname, rrtype, data, ttl = (
                item.get("rrname"),
                item.get("rrtype"),
                item.get("rdata"),
                item.get("ttl"),
            )
            if not isinstance(rrtype, str):
                rrtype = None
            if not isinstance(data, str):
                data = None
            answers.append(
                DnsAnswer(
                    name=rrname if isinstance(rrname, str) else None,
                    type=rrtype,
                    data=data,
                    ttl=ttl if isinstance(ttl, int) and not isinstance(ttl, bool) else None,
                )
            )
            if data and (rrtype == "A" or rrtype == "AAAA"):
                ip = canonical_ip(data)
                if ip is not None:
                    resolved.append(ip)
            if not _DNS_ANSWER_KEYS.issuperset(item):
                extra_keys = True
        if extra_keys:
            rest["answers"] = answers_raw
    elif dtype == "answer" and dns.rdata is not None:  # v1: one event per answer record
        answers.append(DnsAnswer(name=dns.rrname, type=dns.rrtype, data=dns.rdata, ttl=dns.ttl))
        if dns.rrtype in ("A", "AAAA"):
            ip = canonical_ip(dns.rdata)
            if ip is not None:
                resolved.append(ip)
    else:
        if dns.rdata is not None:
            rest["rdata"] = dns.rdata
        if dns.ttl is not None:
            rest["ttl"] = dns.ttl
    if dns.grouped is not None:
        if not answers_raw:  # grouped alone carries the answers: keep it
            rest["grouped"] = dns.grouped
        if isinstance(dns.grouped, dict) and not resolved:
            for key in ("A", "AAAA"):
                values = dns.grouped.get(key)
                if isinstance(values, list):
                    resolved.extend(ip for v in values if isinstance(v, str) and (ip := canonical_ip(v)))
    if dns.type and dtype is None:
        rest["type"] = dns.type
    flags: list[str] = []
    if dns.aa:
        flags.append("AA")
    if dns.tc:
        flags.append("TC")
    if dns.rd:
        flags.append("RD")
    if dns.ra:
        flags.append("RA")
    if dns.ad:
        flags.append("AD")
    if dns.cd:
        flags.append("CD")
    ecs = EcsDns(
        id=str(dns_id) if dns_id is not None else None,
        type=dtype,
        op_code=_DNS_OPCODES.get(opcode, str(opcode)) if opcode is not None else None,
        response_code=rcode,
        header_flags=flags or None,
        question=DnsQuestion(name=name, type=qtype) if name is not None or qtype is not None else None,
        answers=answers or None,
        resolved_ip=_unique(resolved),
    )
    put(vendor, "dns", rest)
    return ecs


def map_tls(tls: Tls, vendor: dict[str, Any]) -> EcsTls:
    """``tls.*``: SNI, version, JA3/JA3S/JA4 hashes, certificate subject, issuer and validity."""
    rest: dict[str, Any] = {}
    _TLS_REST.copy(tls, rest)
    protocol = version = None
    if tls.version:
        found = _TLS_VERSIONS.get(tls.version)
        if found is None:
            rest["version"] = tls.version  # "UNDETERMINED" and the like
        else:
            protocol, version = found
    client = server = None
    ja3 = tls.ja3.get("hash") if tls.ja3 else None
    ja3s = tls.ja3s.get("hash") if tls.ja3s else None
    if tls.ja3:
        put(rest, "ja3", _without_hash(tls.ja3, ja3))
    if tls.ja3s:
        put(rest, "ja3s", _without_hash(tls.ja3s, ja3s))
    if tls.sni or isinstance(ja3, str) or tls.ja4:
        client = TlsClient(
            server_name=tls.sni or None, ja3=ja3 if isinstance(ja3, str) else None, ja4=tls.ja4 or None
        )
    not_before = _cert_time(tls.notbefore, rest, "notbefore")
    not_after = _cert_time(tls.notafter, rest, "notafter")
    if tls.subject or tls.issuerdn or isinstance(ja3s, str) or not_before or not_after:
        server = TlsServer(
            subject=tls.subject or None,
            issuer=tls.issuerdn or None,
            ja3s=ja3s if isinstance(ja3s, str) else None,
            not_before=not_before,
            not_after=not_after,
        )
    put(vendor, "tls", rest)
    return EcsTls(version=version, version_protocol=protocol, client=client, server=server)


def _without_hash(fingerprint: dict[str, Any], digest: Any) -> dict[str, Any]:
    """A JA3/JA3S object without its ``hash`` when that is mapped (a string)."""
    kept = dict(fingerprint)
    if isinstance(digest, str):
        del kept["hash"]
    return kept


def _cert_time(value: dt.datetime | None, rest: dict[str, Any], key: str) -> dt.datetime | None:
    if value is None:
        return None
    try:  # Suricata writes certificate times in UTC without an offset
        if value.tzinfo is None:
            # the same wall time in UTC: arithmetic costs a tenth of ``replace(tzinfo=UTC)``
            return _EPOCH_UTC + (value - _EPOCH)
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        rest[key] = value.isoformat()
        return None


def map_fileinfo(info: Fileinfo, vendor: dict[str, Any]) -> File:
    """``file.*``: name, path, extension, size and hashes of a file seen in a flow."""
    rest: dict[str, Any] = {}
    _FILE_REST.copy(info, rest)
    name = path = extension = None
    if info.filename:
        path = info.filename
        name = path.rpartition("/")[2] or None
        if name is not None and "." in name:
            extension = name.rpartition(".")[2].lower() or None
        if name == path:
            path = None
    digests = Hash(md5=info.md5 or None, sha1=info.sha1 or None, sha256=info.sha256 or None)
    has_hash = digests.md5 or digests.sha1 or digests.sha256
    size = _count(info.size)
    if info.size is not None and size is None:
        rest["size"] = info.size
    put(vendor, "fileinfo", rest)
    return File(name=name, path=path, extension=extension, size=size, hash=digests if has_hash else None)


def map_ether(ether: Any, vendor: dict[str, Any]) -> tuple[str | None, str | None]:
    """``source.mac``/``destination.mac`` (ECS form ``AA-BB-…``); the object is kept whole."""
    vendor["ether"] = ether
    if not isinstance(ether, dict):
        return None, None
    return _mac(ether.get("src_mac")), _mac(ether.get("dest_mac"))


def map_user(eve: Eve) -> User | None:
    """``user.*`` from a Kerberos client name or an SMB NTLMSSP login (both kept whole too)."""
    name = domain = None
    krb5, smb = eve.krb5, eve.smb
    if isinstance(krb5, dict):
        cname, realm = krb5.get("cname"), krb5.get("realm")
        if isinstance(cname, str) and cname and cname != "<empty>":
            name = cname
            domain = realm if isinstance(realm, str) and realm and realm != "<empty>" else None
    elif isinstance(smb, dict) and isinstance(smb.get("ntlmssp"), dict):
        ntlm = smb["ntlmssp"]
        user, dom = ntlm.get("user"), ntlm.get("domain")
        if isinstance(user, str) and user:
            name = user
            domain = dom if isinstance(dom, str) and dom else None
    return User(name=name, domain=domain) if name is not None else None
