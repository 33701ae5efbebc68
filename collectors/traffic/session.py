"""Packets → ECS events: ``network.flow`` from the flow table, ``network.dns`` per DNS message,
``network.http`` per request/response head and ``network.tls`` per handshake (TLS over TCP,
and the ClientHello of QUIC, whose Initial packets anyone can decrypt).

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
from collectors.traffic import quic as quic_wire
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
SSDP_PORT = 1900
_LINE_BREAK = (b"\r", b"\n")
_MAX_CLIENT_HELLOS = 3  # a HelloRetryRequest makes two; more is an anomaly not worth following
_RECOGNISE_BYTES = 16  # a stream whose first bytes are neither HTTP nor TLS is not read further
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
    """One TCP direction in sequence order: the bytes not read yet (at most ``STREAM_HEAD``),
    and how many more to skip unseen (message bodies)."""

    __slots__ = (
        "buffer",
        "chunk",
        "done",
        "kind",
        "lost",
        "messages",
        "methods",
        "next_seq",
        "pending",
        "skip",
    )

    def __init__(self) -> None:
        self.next_seq: int | None = None
        self.buffer = bytearray()
        self.pending: dict[int, bytes] = {}
        self.done = False
        self.skip = 0  # body bytes still to pass over without keeping them
        self.messages = 0  # application messages read from this direction
        self.kind = ""  # "http", "tls" or "dns" once recognised
        self.chunk: int | None = None  # in a chunked body: 0 at a chunk-size line, 1 after chunk data
        self.methods: list[str] = []  # HTTP request methods awaiting their response (client side)
        self.lost = False  # a capture gap took bytes we needed: look for the next message start

    def add(self, seq: int, payload: bytes, syn: bool) -> bool:
        """Take a segment; whether there are new bytes to read."""
        if syn:
            self.next_seq = (seq + 1) & 0xFFFFFFFF
        if not payload or self.done:
            return False
        if self.next_seq is None:
            self.next_seq = seq  # the capture started mid-stream: take it from here
        grew = False
        if seq == self.next_seq:
            grew = self._append(payload)
            while self.next_seq in self.pending and not self.done:
                grew = self._append(self.pending.pop(self.next_seq)) or grew
        elif ((seq - self.next_seq) & 0xFFFFFFFF) < 0x7FFFFFFF and len(self.pending) < 64:
            self.pending[seq] = payload  # ahead of a gap: wait for the gap
        return grew

    def _append(self, payload: bytes) -> bool:
        assert self.next_seq is not None
        self.next_seq = (self.next_seq + len(payload)) & 0xFFFFFFFF
        if self.skip:
            if self.skip >= len(payload):
                self.skip -= len(payload)
                return False
            payload, self.skip = payload[self.skip :], 0
        self.buffer += payload
        if len(self.buffer) >= STREAM_HEAD:
            del self.buffer[STREAM_HEAD:]
            self.done = True  # nothing we read needs this much unread data
        return True

    def pass_gap(self, acknowledged: int) -> bool:
        """Jump over missing bytes the peer has acknowledged (lost by the capture, not the
        network); whether there are new bytes to read. A gap inside a skipped body costs
        nothing; after a gap in data we read, reading goes on at the next segment that begins
        a message."""
        if self.done or self.next_seq is None:
            return False
        ahead = (acknowledged - self.next_seq) & 0xFFFFFFFF
        if not 0 < ahead < 0x7FFFFFFF:
            return False
        resume = min(self.pending, key=lambda seq: (seq - self.next_seq) & 0xFFFFFFFF)  # type: ignore[operator]
        gap = (resume - self.next_seq) & 0xFFFFFFFF
        if gap > ahead:
            return False  # the acknowledged bytes do not reach the next segment we hold
        if self.skip >= gap:
            self.skip -= gap
        else:
            # the gap swallowed bytes we needed: look for a message at each segment's start
            self.buffer.clear()
            self.skip = 0
            self.chunk = None
            self.lost = True
        self.next_seq = resume
        grew = False
        while self.next_seq in self.pending and not self.done:
            grew = self._append(self.pending.pop(self.next_seq)) or grew
        return grew

    def consume(self, size: int) -> None:
        """Mark ``size`` bytes from the start of the unread data as read (skipping those not here yet)."""
        here = min(size, len(self.buffer))
        del self.buffer[:here]
        self.skip += size - here


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
        self.quic: dict[int, quic_wire.QuicInitialReader] = {}  # id(flow) → the client's Initials

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
        elif frame.proto == TCP and (
            frame.flags & 0x02 or (frame.flags & 0x10 and self._peer_waits(flow, forward))
        ):
            self._tcp(frame, flow, forward)  # a SYN, or an ACK that may step over a capture gap
        return self._take()

    def _peer_waits(self, flow: Flow, forward: bool) -> bool:
        """Whether the other direction holds segments that wait behind a gap."""
        pair = self.streams.get(id(flow))
        return pair is not None and bool((pair[1] if forward else pair[0]).pending)

    def tick(self, now_ns: int) -> list[Event]:
        """Events of flows whose idle or active timeout passed by ``now_ns`` (a live capture's
        clock, for quiet moments when no packet arrives to move time on)."""
        for report in self.flows.sweep(now_ns):
            self._report(report)
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
        elif frame.sport == SSDP_PORT or frame.dport == SSDP_PORT:
            self._http_datagram(frame, flow)
        elif forward:
            reader = self.quic.get(id(flow))
            if reader is None:
                if not quic_wire.looks_like_quic_initial(frame.payload):
                    return
                reader = self.quic[id(flow)] = quic_wire.QuicInitialReader()
            if not reader.done:
                self._quic(frame, flow, reader)

    def _quic(self, frame: Frame, flow: Flow, reader: quic_wire.QuicInitialReader) -> None:
        """The ClientHello inside a QUIC client's Initial packets (keys anyone can derive)."""
        found = reader.feed(frame.payload)
        if found is None:
            return
        if isinstance(found, str):
            self.stats.errors[found] += 1
            return
        event = self.base_event(frame, flow, "network.tls", "quic")
        self._client_hello(event, found)
        self.emit(event)

    def _http_datagram(self, frame: Frame, flow: Flow) -> None:
        """An HTTP head in one datagram (SSDP discovery and its answers)."""
        payload = frame.payload
        if http_wire.looks_like_request(payload):
            head: http_wire.HttpRequest | http_wire.HttpResponse | str | None
            head = http_wire.parse_request_head(payload)
        elif http_wire.looks_like_response(payload):
            head = http_wire.parse_response_head(payload)
        else:
            return
        if head is None:
            self.stats.errors["HTTP head cut short by the end of its datagram"] += 1
        elif isinstance(head, str):
            self.stats.errors[head] += 1
        else:
            self._http_event(frame, flow, head)

    def _tcp(self, frame: Frame, flow: Flow, forward: bool) -> None:
        pair = self.streams.get(id(flow))
        if pair is None:
            pair = self.streams[id(flow)] = (_Stream(), _Stream())
        stream, other = (pair[0], pair[1]) if forward else (pair[1], pair[0])
        if other.pending and frame.flags & 0x10 and other.pass_gap(frame.ack):
            # the peer acknowledged bytes the capture never saw: read on after the gap
            self._read(frame, flow, not forward, other)
        if stream.add(frame.seq, frame.payload, bool(frame.flags & 0x02)):
            self._read(frame, flow, forward, stream)

    def _read(self, frame: Frame, flow: Flow, forward: bool, stream: _Stream) -> None:
        if frame.sport in DNS_PORTS or frame.dport in DNS_PORTS:
            self._dns_over_tcp(frame, flow, stream)
        elif (
            (stream.kind == "tls" or not self._http(frame, flow, forward, stream))
            and not self._tls(frame, flow, forward, stream)
            and len(stream.buffer) >= _RECOGNISE_BYTES
        ):
            stream.done = True  # neither HTTP nor TLS: keep no more of it

    def _http(self, frame: Frame, flow: Flow, forward: bool, stream: _Stream) -> bool:
        """Every complete HTTP/1.x head not read yet (keep-alive and pipelining included, bodies
        skipped by their length or chunks); whether the stream is HTTP."""
        looks = http_wire.looks_like_request if forward else http_wire.looks_like_response
        parse = http_wire.parse_request_head if forward else http_wire.parse_response_head
        if not stream.kind:
            if not looks(bytes(stream.buffer[:16])):
                return False
            stream.kind = "http"
        client = self.streams[id(flow)][0]
        while stream.buffer and not stream.done:
            if stream.chunk is not None:
                if not self._chunks(stream):
                    return True
                continue
            rest = bytes(stream.buffer)
            if rest[:1] in _LINE_BREAK:
                # empty lines between messages are tolerated (RFC 9112 §2.2), as peers do
                blank = len(rest) - len(rest.lstrip(b"\r\n"))
                stream.consume(blank)
                rest = rest[blank:]
                if not rest:
                    return True
            if not looks(rest):
                if (http_wire.may_begin_request if forward else http_wire.may_begin_response)(rest):
                    return True  # the next head has only begun
                if stream.lost:
                    stream.consume(len(rest))  # still inside what followed a gap: drop it
                    return True
                stream.done = True  # a body of unknown length, or not HTTP any more
                return True
            stream.lost = False
            head = parse(rest)
            if head is None:
                return True  # the head is still coming
            if isinstance(head, str):
                self.stats.errors[head] += 1
                stream.done = True
                return True
            stream.messages += 1
            stream.consume(head.head_bytes)
            self._http_event(frame, flow, head)
            if isinstance(head, http_wire.HttpRequest):
                if len(client.methods) < 64:
                    client.methods.append(head.method)
                chunked, body = head.chunked, head.content_length or 0
            else:
                method = client.methods.pop(0) if client.methods and head.status >= 200 else ""
                if method == "HEAD" or head.status < 200 or head.status in (204, 304):
                    chunked, body = False, 0
                elif head.chunked or head.content_length is not None:
                    chunked, body = head.chunked, head.content_length or 0
                else:
                    stream.done = True  # the body runs to the end of the connection
                    return True
            if chunked:
                stream.chunk = 0
            else:
                stream.consume(body)
        return True

    def _chunks(self, stream: _Stream) -> bool:
        """Read chunk framing at the start of the unread data; whether to go on reading."""
        buffer = stream.buffer
        if stream.chunk == 1:  # the line break that ends a chunk's data
            if buffer[:2] == b"\r\n":
                stream.consume(2)
            elif buffer[:1] == b"\n":
                stream.consume(1)
            elif buffer == b"\r":
                return False
            else:
                self.stats.errors["HTTP chunk data not followed by a line break"] += 1
                stream.done = True
                return False
            stream.chunk = 0
            return True
        line_end = buffer.find(b"\n", 0, 1024)
        if line_end < 0:
            if len(buffer) >= 1024:
                self.stats.errors["HTTP chunk-size line longer than 1024 bytes"] += 1
                stream.done = True
            return False
        size_text = bytes(buffer[:line_end]).split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            self.stats.errors["HTTP chunk-size line is not hexadecimal"] += 1
            stream.done = True
            return False
        if size:
            stream.consume(line_end + 1 + size)
            stream.chunk = 1
            return True
        # the last chunk: the trailer section ends with an empty line
        rest = bytes(buffer[line_end + 1 :])
        if rest[:2] == b"\r\n":
            end = 2
        elif rest[:1] == b"\n":
            end = 1
        else:
            crlf, lf = rest.find(b"\n\r\n"), rest.find(b"\n\n")
            if crlf < 0 and lf < 0:
                return False  # trailer fields still coming
            end = lf + 2 if crlf < 0 or 0 <= lf < crlf else crlf + 3
        stream.consume(line_end + 1 + end)
        stream.chunk = None
        return True

    def _http_event(
        self, frame: Frame, flow: Flow, head: http_wire.HttpRequest | http_wire.HttpResponse
    ) -> None:
        event = self.base_event(frame, flow, "network.http", "http")
        event.event.category = ["network", "web"]
        event.event.type = ["protocol", "access"]
        if isinstance(head, http_wire.HttpRequest):
            event.http = Http(
                version=head.version or None,
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
        """The client's hellos (a second one follows a HelloRetryRequest), or the server's hello
        and certificate; whether the stream is TLS."""
        buffer = bytes(stream.buffer)
        if not tls_wire.looks_like_tls(buffer):
            if stream.messages and buffer:
                stream.done = True  # after the hello: encrypted records from here on
            return bool(stream.messages)
        stream.kind = "tls"
        parsed = tls_wire.parse_tls_records(buffer, from_client=forward, final=stream.done)
        if isinstance(parsed, str):
            self.stats.errors[parsed] += 1
            stream.done = True
            return True
        hello, certificate = parsed
        if hello is None:
            return True  # the handshake is still coming
        event = self.base_event(frame, flow, "network.tls", "tls")
        if isinstance(hello, tls_wire.ClientHello):
            stream.messages += 1
            span = _hello_records_span(buffer)
            if span is None or stream.messages >= _MAX_CLIENT_HELLOS:
                stream.done = True
            else:
                stream.consume(span)  # read on: another hello may follow
            self._client_hello(event, hello)
        else:
            stream.done = True
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

    @staticmethod
    def _client_hello(event: Event, hello: tls_wire.ClientHello) -> None:
        version = _tls_version(max(hello.supported_versions)) if hello.supported_versions else hello.version
        event.tls = Tls(
            version=version,
            version_protocol="tls",
            next_protocol=hello.alpn[0] if hello.alpn else None,
            client=TlsClient(server_name=hello.sni, ja3=hello.ja3_hash, ja4=hello.ja4),
        )
        if hello.sni and event.destination is not None:
            event.destination.domain = hello.sni

    def _dns_over_tcp(self, frame: Frame, flow: Flow, stream: _Stream) -> None:
        """Every complete length-prefixed message in the stream's head not read yet."""
        buffer = stream.buffer
        while len(buffer) >= 2:
            size = int.from_bytes(buffer[:2], "big")
            if len(buffer) < 2 + size:
                return  # the rest of this message is still to come
            message = dns_wire.parse_dns(bytes(buffer[2 : 2 + size]))
            stream.consume(2 + size)
            stream.messages += 1
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
            self.quic.pop(id(flow), None)
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


def _hello_records_span(buffer: bytes) -> int | None:
    """Bytes of the whole TLS records at the start of ``buffer`` that carry its first
    handshake message; None when they are not all there."""
    if len(buffer) < 9:
        return None
    needed = 4 + int.from_bytes(buffer[6:9], "big")
    position = covered = 0
    while covered < needed:
        if position + 5 > len(buffer):
            return None
        length = int.from_bytes(buffer[position + 3 : position + 5], "big")
        position += 5 + length
        covered += length
    return position if position <= len(buffer) else None


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
