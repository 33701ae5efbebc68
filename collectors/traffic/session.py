"""Packets → ECS events: ``network.flow`` from the flow table, ``network.dns`` per DNS message,
``network.http`` per request/response head and ``network.tls`` per handshake.

TCP streams are reassembled only as far as the application heads need (the first
``STREAM_HEAD`` bytes of each direction, in sequence order, retransmissions dropped), which is
enough for HTTP heads, DNS over TCP and TLS hellos and certificates.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from collectors.traffic import dns as dns_wire
from collectors.traffic import http as http_wire
from collectors.traffic import tls as tls_wire
from collectors.traffic.dissect import ICMP, ICMPV6, TCP, UDP, Frame, address_text, decode
from collectors.traffic.flows import Flow, FlowReport, FlowTable, community_id
from collectors.traffic.pcapfile import Packet, ReadStats, read_capture
from soc_core.events import Dns as EcsDns
from soc_core.events import (
    DnsAnswer,
    DnsQuestion,
    Endpoint,
    Event,
    EventInfo,
    Http,
    HttpBody,
    HttpRequest,
    HttpResponse,
    Network,
    Observer,
    Related,
    Tls,
    TlsClient,
    TlsServer,
    Url,
    UserAgent,
)

STREAM_HEAD = 16_384  # bytes of each TCP direction kept for application heads
DNS_PORTS = frozenset({53, 5353, 5355})
_TRANSPORT = {TCP: "tcp", UDP: "udp", ICMP: "icmp", ICMPV6: "ipv6-icmp", 132: "sctp"}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(slots=True)
class DissectStats:
    """Counters of one dissection: frames, problems by reason, events by dataset."""

    read: ReadStats = field(default_factory=ReadStats)
    frames: int = 0
    not_ip: int = 0
    fragments: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "packets": self.read.packets,
            "frames_decoded": self.frames,
            "not_ip": self.not_ip,
            "fragments": self.fragments,
            "errors": dict(self.errors + self.read.errors),
            "events": dict(self.events),
        }


def _time(ns: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=ns // 1_000)


class _Stream:
    """The first bytes of one TCP direction, in sequence order."""

    __slots__ = ("buffer", "consumed", "done", "next_seq", "pending")

    def __init__(self) -> None:
        self.next_seq: int | None = None
        self.buffer = bytearray()
        self.pending: dict[int, bytes] = {}
        self.done = False
        self.consumed = 0  # bytes of the head already read as messages (DNS over TCP)

    def add(self, seq: int, payload: bytes, syn: bool) -> bool:
        """Take a segment; whether the contiguous head grew."""
        if syn:
            self.next_seq = (seq + 1) & 0xFFFFFFFF
        if not payload or self.done:
            return False
        if self.next_seq is None:
            self.next_seq = seq  # the capture started mid-stream: take it from here
        grew = False
        if seq == self.next_seq:
            self._append(payload)
            grew = True
            while self.next_seq in self.pending and len(self.buffer) < STREAM_HEAD:
                self._append(self.pending.pop(self.next_seq))
        elif ((seq - self.next_seq) & 0xFFFFFFFF) < 0x7FFFFFFF and len(self.pending) < 64:
            self.pending[seq] = payload  # ahead of a gap: wait for the gap
        return grew

    def _append(self, payload: bytes) -> None:
        self.buffer += payload
        assert self.next_seq is not None
        self.next_seq = (self.next_seq + len(payload)) & 0xFFFFFFFF
        if len(self.buffer) >= STREAM_HEAD:
            del self.buffer[STREAM_HEAD:]
            self.done = True


class Dissector:
    """One packet stream (a file or a capture) → events, with the flow table's timeouts."""

    def __init__(
        self,
        *,
        idle_timeout_s: float = 60.0,
        active_timeout_s: float = 1800.0,
        observer: Observer | None = None,
    ) -> None:
        self.flows = FlowTable(idle_timeout_s=idle_timeout_s, active_timeout_s=active_timeout_s)
        self.stats = DissectStats()
        self.observer = observer
        self.out: list[Event] = []
        self.streams: dict[int, tuple[_Stream, _Stream]] = {}  # id(flow) → (from source, to source)

    # -- feeding ----------------------------------------------------------------------------

    def feed(self, packet: Packet) -> list[Event]:
        """Events made complete by this packet (flows that timed out, application messages)."""
        decoded = decode(packet.linktype, packet.data, packet.ts_ns, packet.wire_len)
        if decoded is None:
            self.stats.not_ip += 1
            return self._take()
        if isinstance(decoded, str):
            self.stats.errors[decoded] += 1
            return self._take()
        frame = decoded
        self.stats.frames += 1
        if frame.fragment:
            self.stats.fragments += 1
        flow, forward, reports = self.flows.add(frame)
        for report in reports:
            self._report(report)
        if frame.payload and not frame.fragment:
            if frame.proto == UDP:
                self._udp(frame, flow, forward)
            elif frame.proto == TCP:
                self._tcp(frame, flow, forward)
        elif frame.proto == TCP and frame.flags & 0x02:
            self._tcp(frame, flow, forward)
        return self._take()

    def finish(self) -> list[Event]:
        """Events of every flow still open: the input ended."""
        for report in self.flows.flush():
            self._report(report)
        return self._take()

    def _take(self) -> list[Event]:
        out, self.out = self.out, []
        return out

    # -- application layer ------------------------------------------------------------------

    def _udp(self, frame: Frame, flow: Flow, forward: bool) -> None:
        if frame.sport in DNS_PORTS or frame.dport in DNS_PORTS:
            message = dns_wire.parse_dns(frame.payload)
            if isinstance(message, str):
                self.stats.errors[message] += 1
            else:
                self._dns_event(frame, flow, message)

    def _tcp(self, frame: Frame, flow: Flow, forward: bool) -> None:
        pair = self.streams.get(id(flow))
        if pair is None:
            pair = self.streams[id(flow)] = (_Stream(), _Stream())
        stream = pair[0] if forward else pair[1]
        if not stream.add(frame.seq, frame.payload, bool(frame.flags & 0x02)):
            return
        if frame.sport in DNS_PORTS or frame.dport in DNS_PORTS:
            self._dns_over_tcp(frame, flow, stream)
            return
        if not self._http(frame, flow, forward, stream):
            self._tls(frame, flow, forward, stream)

    def _http(self, frame: Frame, flow: Flow, forward: bool, stream: _Stream) -> bool:
        """Every complete HTTP/1.x head in the stream's head not read yet (keep-alive included);
        whether the stream is HTTP."""
        looks = http_wire.looks_like_request if forward else http_wire.looks_like_response
        parse = http_wire.parse_request_head if forward else http_wire.parse_response_head
        buffer = stream.buffer
        found = False
        while stream.consumed < len(buffer):
            rest = bytes(buffer[stream.consumed :])
            if not looks(rest):
                if not found and stream.consumed == 0:
                    return False
                stream.done = True  # a body of unknown length, or not HTTP any more
                return True
            found = True
            head = parse(rest)
            if head is None:
                return True  # the head is still coming
            if isinstance(head, str):
                self.stats.errors[head] += 1
                stream.done = True
                return True
            stream.consumed += head.head_bytes + (head.content_length or 0)
            self._http_event(frame, flow, head)
        return found

    def _http_event(
        self, frame: Frame, flow: Flow, head: http_wire.HttpRequest | http_wire.HttpResponse
    ) -> None:
        event = self.base_event(frame, flow, "network.http", "http")
        event.event.category = ["network", "web"]
        event.event.type = ["protocol", "access"]
        if isinstance(head, http_wire.HttpRequest):
            event.http = Http(
                version=head.version,
                request=HttpRequest(
                    method=head.method,
                    referrer=head.referrer,
                    mime_type=head.content_type,
                    body=HttpBody(bytes=head.content_length) if head.content_length is not None else None,
                ),
            )
            path, _, query = head.uri.partition("?")
            host = head.host.rsplit(":", 1)[0] if head.host and not head.host.endswith("]") else head.host
            event.url = Url(original=head.uri, domain=host or None, path=path or None, query=query or None)
            if head.user_agent:
                event.user_agent = UserAgent(original=head.user_agent)
        else:
            event.http = Http(
                version=head.version,
                response=HttpResponse(
                    status_code=head.status,
                    mime_type=head.content_type,
                    body=HttpBody(bytes=head.content_length) if head.content_length is not None else None,
                ),
            )
            event.event.outcome = "failure" if head.status >= 400 else "success"
        self.emit(event)

    def _tls(self, frame: Frame, flow: Flow, forward: bool, stream: _Stream) -> bool:
        """The client's hello, or the server's hello and certificate; whether the stream is TLS."""
        buffer = bytes(stream.buffer)
        if not tls_wire.looks_like_tls(buffer):
            return False
        parsed = tls_wire.parse_tls_records(buffer, from_client=forward, final=stream.done)
        if isinstance(parsed, str):
            self.stats.errors[parsed] += 1
            stream.done = True
            return True
        hello, certificate = parsed
        if hello is None:
            return True  # the handshake is still coming
        stream.done = True
        event = self.base_event(frame, flow, "network.tls", "tls")
        if isinstance(hello, tls_wire.ClientHello):
            version = (
                _tls_version(max(hello.supported_versions)) if hello.supported_versions else hello.version
            )
            event.tls = Tls(
                version=version,
                version_protocol="tls",
                next_protocol=hello.alpn[0] if hello.alpn else None,
                client=TlsClient(server_name=hello.sni, ja3=hello.ja3_hash, ja4=hello.ja4),
            )
            if hello.sni:
                event.destination.domain = hello.sni  # type: ignore[union-attr]
        else:
            server = TlsServer(ja3s=hello.ja3s_hash)
            if certificate is not None:
                server.subject, server.issuer = certificate.subject, certificate.issuer
                server.not_before = _iso(certificate.not_before)
                server.not_after = _iso(certificate.not_after)
            event.tls = Tls(
                version=hello.version,
                version_protocol="tls",
                cipher=f"0x{hello.cipher:04X}",
                next_protocol=hello.alpn,
                server=server,
            )
        self.emit(event)
        return True

    def _dns_over_tcp(self, frame: Frame, flow: Flow, stream: _Stream) -> None:
        """Every complete length-prefixed message in the stream's head not read yet."""
        buffer = stream.buffer
        while len(buffer) - stream.consumed >= 2:
            start = stream.consumed
            size = int.from_bytes(buffer[start : start + 2], "big")
            if len(buffer) - start < 2 + size:
                return  # the rest of this message is still to come
            stream.consumed = start + 2 + size
            message = dns_wire.parse_dns(bytes(buffer[start + 2 : start + 2 + size]))
            if isinstance(message, str):
                self.stats.errors[message] += 1
            else:
                self._dns_event(frame, flow, message)

    # -- events -----------------------------------------------------------------------------

    def base_event(self, frame: Frame, flow: Flow, dataset: str, protocol: str) -> Event:
        """An application event of ``flow``: the flow's endpoints (source = the side that
        spoke first), its Community ID, the packet's time."""
        event = Event(
            timestamp=_time(frame.ts_ns),
            event=EventInfo(kind="event", category=["network"], type=["protocol"], dataset=dataset),
            source=Endpoint(ip=address_text(flow.src), port=flow.sport if flow.proto in (TCP, UDP) else None),
            destination=Endpoint(
                ip=address_text(flow.dst), port=flow.dport if flow.proto in (TCP, UDP) else None
            ),
            network=Network(
                transport=_TRANSPORT.get(flow.proto),
                protocol=protocol,
                type="ipv6" if flow.ip_version == 6 else "ipv4",
                iana_number=str(flow.proto),
                community_id=self._community_id(flow),
            ),
            related=Related(ip=_related(flow)),
        )
        if self.observer is not None:
            event.observer = self.observer
        return event

    @staticmethod
    def _community_id(flow: Flow) -> str:
        if not flow.community:
            flow.community = community_id(flow.proto, flow.src, flow.dst, flow.sport, flow.dport)
        return flow.community

    def _dns_event(self, frame: Frame, flow: Flow, message: dns_wire.DnsMessage) -> None:
        event = self.base_event(frame, flow, "network.dns", "dns")
        answers = [DnsAnswer(name=a.name, type=a.type, ttl=a.ttl, data=a.data) for a in message.answers]
        event.dns = EcsDns(
            id=str(message.id),
            type="answer" if message.is_response else "query",
            op_code=_OPCODES.get(message.opcode, str(message.opcode)),
            response_code=message.rcode_name if message.is_response else None,
            header_flags=message.header_flags or None,
            question=DnsQuestion(
                name=message.question_name, type=message.question_type, class_=message.question_class
            )
            if message.question_name is not None
            else None,
            answers=answers or None,
            resolved_ip=[a.data for a in message.answers if a.type in ("A", "AAAA") and a.data] or None,
        )
        self.emit(event)

    def emit(self, event: Event) -> None:
        self.stats.events[event.event.dataset or ""] += 1
        self.out.append(event)

    def _report(self, report: FlowReport) -> None:
        flow = report.flow
        if report.final:
            self.streams.pop(id(flow), None)
        ports = flow.proto in (TCP, UDP, 132)
        start, end = _time(report.start_ns), _time(report.end_ns)
        event = Event(
            timestamp=start,
            event=EventInfo(
                kind="event",
                category=["network"],
                type=["connection", "end"] if report.final else ["connection"],
                dataset="network.flow",
                action=f"flow_{report.reason}",
                start=start,
                end=end,
                duration=report.end_ns - report.start_ns,
            ),
            source=Endpoint(
                ip=address_text(flow.src),
                port=flow.sport if ports else None,
                packets=flow.src_packets,
                bytes=flow.src_bytes,
            ),
            destination=Endpoint(
                ip=address_text(flow.dst),
                port=flow.dport if ports else None,
                packets=flow.dst_packets,
                bytes=flow.dst_bytes,
            ),
            network=Network(
                transport=_TRANSPORT.get(flow.proto),
                type="ipv6" if flow.ip_version == 6 else "ipv4",
                iana_number=str(flow.proto),
                community_id=self._community_id(flow),
                packets=flow.src_packets + flow.dst_packets,
                bytes=flow.src_bytes + flow.dst_bytes,
            ),
            related=Related(ip=_related(flow)),
        )
        extra: dict[str, Any] = {}
        if flow.proto == TCP:
            extra["tcp_flags"] = _flag_names(flow.src_flags | flow.dst_flags)
            extra["source_tcp_flags"] = _flag_names(flow.src_flags)
            extra["destination_tcp_flags"] = _flag_names(flow.dst_flags)
        elif not ports:
            extra["icmp_type"], extra["icmp_code"] = flow.sport, flow.dport
        if flow.vlan is not None:
            extra["vlan_id"] = flow.vlan
        if extra:
            event.extra = {"shaowang": {"flow": extra}}
        if self.observer is not None:
            event.observer = self.observer
        self.emit(event)


_OPCODES = {0: "QUERY", 1: "IQUERY", 2: "STATUS", 4: "NOTIFY", 5: "UPDATE"}
_FLAG_NAMES = (
    (0x01, "FIN"),
    (0x02, "SYN"),
    (0x04, "RST"),
    (0x08, "PSH"),
    (0x10, "ACK"),
    (0x20, "URG"),
    (0x40, "ECE"),
    (0x80, "CWR"),
)


def _tls_version(number: int) -> str:
    return {0x0304: "1.3", 0x0303: "1.2", 0x0302: "1.1", 0x0301: "1.0", 0x0300: "3.0"}.get(
        number, hex(number)
    )


def _iso(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _flag_names(flags: int) -> list[str]:
    return [name for bit, name in _FLAG_NAMES if flags & bit]


def _related(flow: Flow) -> list[str]:
    src, dst = address_text(flow.src), address_text(flow.dst)
    return [src] if src == dst else [src, dst]


def dissect_capture(data: bytes, *, dissector: Dissector | None = None) -> Iterator[Event]:
    """Every event of a pcap/pcapng file's bytes; counters in ``dissector.stats``."""
    dissector = dissector or Dissector()
    for packet in read_capture(data, dissector.stats.read):
        yield from dissector.feed(packet)
    yield from dissector.finish()
