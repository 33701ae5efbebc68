"""Syslog listeners: UDP and TCP on one port (RFC 5426 / RFC 6587) and TLS (RFC 5425).

Every listener turns bytes into :class:`~soc_core.records.RawRecord` and hands them to the
:class:`~collectors.intake.IntakeQueue`:

* TCP/TLS queue each read chunk's records at once; when the queue is full the connection
  stops reading (``pause_reading``) until all of them fit, so the kernel buffers fill and the
  sender is slowed by TCP flow control (backpressure). The queue never grows past its bound.
* UDP uses ``queue.offer_many`` — it never waits; what does not fit is counted in
  ``IntakeStats.dropped``.

``RawRecord.peer`` is ``ip:port`` (``[v6]:port`` for IPv6); ``IntakeStats`` is keyed by the
peer *host*. ``RawRecord.offset`` is the record's index within its TCP/TLS connection (for UDP,
the datagram's sequence number on that socket) so errors can say where.

Framing and the handling of records over ``max_record_bytes`` are described in
:mod:`collectors.transports.framing`: the first ``max_record_bytes + 1`` bytes are emitted as
one record (the pipeline dead-letters it as too long) and the rest is discarded, counted as
an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import ssl
import time
from typing import Any

from collectors.intake import IntakeQueue, IntakeStats
from collectors.transports.common import BoundedPut
from collectors.transports.framing import Framer
from soc_core.config import SyslogSettings, TlsListener
from soc_core.errors import ConfigError
from soc_core.records import RawRecord
from soc_core.vocabulary import MAX_RECORD_BYTES

__all__ = ["Framer", "SyslogServer", "SyslogTlsServer", "build_tls_context"]

log = logging.getLogger(__name__)

ORIGIN_UDP = "syslog/udp"
ORIGIN_TCP = "syslog/tcp"
ORIGIN_TLS = "syslog/tls"

UDP_BATCH = 512  # datagrams drained per readiness event before yielding to the loop
UDP_MAX_DATAGRAM = 65535
LISTEN_BACKLOG = 1024
BIND_ATTEMPTS = 50  # port 0: retries when the TCP port's UDP twin is already taken


def _format_peer(addr: Any) -> tuple[str, str]:
    """(host, "ip:port") from a socket address."""
    if isinstance(addr, tuple) and len(addr) >= 2:
        host = str(addr[0])
        if ":" in host:
            return host, f"[{host}]:{addr[1]}"
        return host, f"{host}:{addr[1]}"
    text = str(addr) if addr else "unknown"
    return text, text


def build_tls_context(settings: TlsListener) -> ssl.SSLContext:
    """Server-side TLS context (TLS ≥ 1.2) with optional client-certificate verification."""
    if settings.certfile is None or settings.keyfile is None:
        raise ConfigError("syslog TLS needs certfile and keyfile", where="syslog.tls")
    if settings.require_client_cert and settings.client_ca is None:
        raise ConfigError("require_client_cert needs client_ca to verify against", where="syslog.tls")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    # No TLS 1.3 session tickets: senders never resume, and a sender that writes and closes
    # with tickets unread in its socket sends a RST, on which Linux discards whatever we had
    # not read yet. Without tickets the close is a FIN and every record arrives.
    ctx.num_tickets = 0
    try:
        ctx.load_cert_chain(str(settings.certfile), str(settings.keyfile))
        if settings.client_ca is not None:
            ctx.load_verify_locations(cafile=str(settings.client_ca))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot load TLS material: {exc}", where="syslog.tls") from exc
    if settings.client_ca is not None:
        # With a CA but no requirement, certificates are verified when offered (CERT_OPTIONAL).
        ctx.verify_mode = ssl.CERT_REQUIRED if settings.require_client_cert else ssl.CERT_OPTIONAL
    return ctx


def _stream_socket(host: str, port: int) -> tuple[socket.socket, Any]:
    """A bound, non-blocking TCP socket and the sockaddr template used to bind it."""
    family, _, _, _, sockaddr = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(sockaddr)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock, sockaddr


def _datagram_socket(family: int, sockaddr: Any, port: int, receive_buffer: int) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        _set_receive_buffer(sock, receive_buffer)
        sock.bind((sockaddr[0], port, *sockaddr[2:]))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def _set_receive_buffer(sock: socket.socket, size: int) -> None:
    """Best effort: SO_RCVBUFFORCE needs CAP_NET_ADMIN; SO_RCVBUF is capped by rmem_max."""
    if size <= 0:
        return
    force = getattr(socket, "SO_RCVBUFFORCE", None)
    if force is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, force, size)
            return
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)


class _Connection(asyncio.Protocol):
    """One TCP/TLS connection: frames ``data_received`` chunks straight into the queue.

    A protocol rather than streams: no StreamReader buffer copies or per-read futures, and
    the common case (room in the queue) is fully synchronous. asyncio reads up to 256 KiB
    per call, so per-chunk costs (lock, ``time()``) amortise over many records. When the
    queue is full, reading is paused and a task waits for room, so the sender is slowed by
    TCP flow control; reading resumes once every record of the chunk is queued.
    """

    def __init__(self, listener: _StreamListener) -> None:
        self._listener = listener
        self._transport: asyncio.Transport | None = None
        # The transport whose reading we pause: the TLS one once start_tls has returned.
        # SSLProtocol may deliver data before that; pausing the raw socket under it would
        # leave it paused for good, so until then a pause is only remembered.
        self._app_transport: asyncio.Transport | None = None
        self._paused = False
        self._framer = Framer(listener.max_record_bytes)
        self._errors_seen = 0
        self._index = 0
        self.host = self.peer = "unknown"
        self._backlog: list[RawRecord] = []  # records waiting for room in the queue
        self._put: BoundedPut | None = None
        self._waiter: asyncio.Task[None] | None = None
        self._handshake: asyncio.Task[None] | None = None
        self._lost = False
        self.finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    # -- lifecycle ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self.host, self.peer = _format_peer(transport.get_extra_info("peername"))
        listener = self._listener
        listener.connections.add(self)
        if listener.ssl_context is not None:
            # Not a single byte may reach us before the TLS layer is in place.
            transport.pause_reading()
            self._handshake = asyncio.get_running_loop().create_task(self._start_tls(transport))
        else:
            self._app_transport = transport
            listener.stats.connected(listener.origin, self.host)

    async def _start_tls(self, transport: asyncio.Transport) -> None:
        listener = self._listener
        assert listener.ssl_context is not None
        try:
            # Handshake ourselves (not create_server(ssl=…)) so failures reach us and are
            # counted per peer; asyncio would otherwise only log them.
            tls = await asyncio.get_running_loop().start_tls(
                transport,
                self,
                listener.ssl_context,
                server_side=True,
                ssl_handshake_timeout=listener.handshake_timeout,
            )
        except (OSError, TimeoutError, EOFError) as exc:  # ssl.SSLError is an OSError
            listener.stats.error(listener.origin, self.host)
            log.info("%s: TLS handshake with %s failed: %s", listener.origin, self.peer, exc or type(exc))
            transport.abort()
            self._lost = True
            self._finish()
            return
        except asyncio.CancelledError:
            transport.abort()
            self._lost = True
            self._finish()
            raise
        finally:
            self._handshake = None
        if tls is None:  # closed during the handshake
            listener.stats.error(listener.origin, self.host)
            self._lost = True
            self._finish()
            return
        self._transport = self._app_transport = tls
        if self._paused:
            tls.pause_reading()
        listener.stats.connected(listener.origin, self.host)

    def data_received(self, data: bytes) -> None:
        listener = self._listener
        framer = self._framer
        records = framer.feed(data)
        listener.stats.received(listener.origin, self.host, len(records), len(data))
        if framer.errors != self._errors_seen:
            self._count_errors()
        if records:
            self._deliver(records)

    def eof_received(self) -> bool:
        return False  # nothing to send back: let the transport close

    def connection_lost(self, exc: Exception | None) -> None:
        listener = self._listener
        if self._lost:
            return
        self._lost = True
        if exc is not None:  # reset by peer, TLS alert, …: the data we have still counts
            listener.stats.error(listener.origin, self.host)
            log.info("%s: connection from %s lost: %s", listener.origin, self.peer, exc)
        # The stream ended: a final unterminated line was still received — keep it.
        tail = self._framer.close()
        self._count_errors()
        if tail:
            listener.stats.received(listener.origin, self.host, len(tail), 0)
            self._deliver(tail)
        if self._waiter is None:
            self._finish()

    def abort(self) -> None:
        """Close now (shutdown)."""
        if self._handshake is not None:
            self._handshake.cancel()
        if self._transport is not None:
            self._transport.abort()

    def _finish(self) -> None:
        self._listener.connections.discard(self)
        if not self.finished.done():
            self.finished.set_result(None)

    # -- records --------------------------------------------------------------------------

    def _count_errors(self) -> None:
        listener = self._listener
        for _ in range(self._framer.errors - self._errors_seen):
            listener.stats.error(listener.origin, self.host)
        self._errors_seen = self._framer.errors

    def _deliver(self, raw: list[bytes]) -> None:
        listener = self._listener
        now = time.time()
        origin, peer = listener.origin, self.peer
        records = [
            RawRecord(data=r, received_at=now, origin=origin, peer=peer, offset=i)
            for i, r in enumerate(raw, self._index)
        ]
        self._index += len(raw)
        if self._waiter is not None:
            self._backlog.extend(records)  # keep order behind what is already waiting
            return
        queue = listener.queue
        accepted = queue.offer_many(records)
        if accepted == len(records):
            return
        if listener.stopping:
            listener.stats.dropped(origin, self.host, len(records) - accepted)
            return
        # Queue full: stop reading until every record of this chunk is queued.
        self._backlog = records[accepted:]
        self._paused = True
        if not self._lost and self._app_transport is not None:
            self._app_transport.pause_reading()
        self._waiter = asyncio.get_running_loop().create_task(self._wait_for_room())

    async def _wait_for_room(self) -> None:
        listener = self._listener
        try:
            while self._backlog:
                self._put = BoundedPut(self._backlog)
                self._backlog = []
                await self._put.into(listener.queue)
                self._put = None
        except asyncio.CancelledError:
            # Shutdown: queue what fits without waiting; what does not fit is counted.
            rest = list(self._put.rest()) if self._put is not None else []
            rest.extend(self._backlog)
            self._backlog = []
            lost = len(rest) - listener.queue.offer_many(rest)
            if lost:
                listener.stats.dropped(listener.origin, self.host, lost)
            raise
        finally:
            self._waiter = None
            self._put = None
            if self._lost:
                self._finish()
        self._paused = False
        if self._app_transport is not None and not self._app_transport.is_closing():
            self._app_transport.resume_reading()

    def cancel_wait(self) -> None:
        """Stop waiting for queue room (shutdown)."""
        if self._waiter is not None:
            self._waiter.cancel()


class _StreamListener:
    """One TCP (optionally TLS) listening socket; each connection runs its own Framer."""

    def __init__(
        self,
        origin: str,
        queue: IntakeQueue,
        stats: IntakeStats,
        max_record_bytes: int,
        ssl_context: ssl.SSLContext | None = None,
        handshake_timeout: float = 10.0,
    ) -> None:
        self.origin = origin
        self.queue = queue
        self.stats = stats
        self.max_record_bytes = max_record_bytes
        self.ssl_context = ssl_context
        self.handshake_timeout = handshake_timeout
        self.connections: set[_Connection] = set()
        self.stopping = False
        self._server: asyncio.Server | None = None
        self.address: tuple[str, int] | None = None

    async def start(self, sock: socket.socket) -> None:
        name = sock.getsockname()
        self.address = (str(name[0]), int(name[1]))
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self), sock=sock, backlog=LISTEN_BACKLOG)

    async def stop(self) -> None:
        self.stopping = True
        if self._server is not None:
            self._server.close()
        connections = list(self.connections)
        for conn in connections:
            conn.abort()  # connection_lost follows: partial lines are offered, not awaited
        for conn in connections:
            conn.cancel_wait()
        if connections:
            await asyncio.wait([c.finished for c in connections], timeout=5)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    @property
    def connection_count(self) -> int:
        """Connections currently open."""
        return len(self.connections)


class _DatagramReceiver:
    """UDP socket drained in batches straight from the selector (one queue call per batch)."""

    def __init__(self, sock: socket.socket, queue: IntakeQueue, stats: IntakeStats, max_record_bytes: int):
        self._sock = sock
        self._queue = queue
        self._stats = stats
        self._max = max_record_bytes
        self._seq = 0
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        # add_reader + recvfrom loop: asyncio's datagram transport reads one datagram per
        # loop iteration; draining up to UDP_BATCH per wake-up is several times cheaper.
        self._loop.add_reader(self._sock.fileno(), self._on_readable)

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.remove_reader(self._sock.fileno())
            self._loop = None
        self._sock.close()

    def _on_readable(self) -> None:
        sock, limit = self._sock, self._max
        records: list[RawRecord] = []
        hosts: list[str] = []
        per_host: dict[str, list[int]] = {}
        now = time.time()
        for _ in range(UDP_BATCH):
            try:
                data, addr = sock.recvfrom(UDP_MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:  # e.g. ICMP-induced errors: count, keep serving
                self._stats.error(ORIGIN_UDP, "unknown")
                log.info("%s: receive failed: %s", ORIGIN_UDP, exc)
                break
            host, peer = _format_peer(addr)
            counts = per_host.get(host)
            if counts is None:
                counts = per_host[host] = [0, 0]
            counts[1] += len(data)
            # One datagram is one record; strip one trailer some senders add anyway.
            if data.endswith(b"\n"):
                data = data[:-2] if data.endswith(b"\r\n") else data[:-1]
            elif data.endswith(b"\x00"):
                data = data[:-1]
            if not data:
                continue
            if len(data) > limit:
                self._stats.error(ORIGIN_UDP, host)
                data = data[: limit + 1]
            counts[0] += 1
            records.append(
                RawRecord(data=data, received_at=now, origin=ORIGIN_UDP, peer=peer, offset=self._seq)
            )
            hosts.append(host)
            self._seq += 1
        for host, (n, nbytes) in per_host.items():
            self._stats.received(ORIGIN_UDP, host, n, nbytes)
        if records:
            accepted = self._queue.offer_many(records)
            if accepted < len(records):
                lost: dict[str, int] = {}
                for host in hosts[accepted:]:
                    lost[host] = lost.get(host, 0) + 1
                for host, n in lost.items():
                    self._stats.dropped(ORIGIN_UDP, host, n)


class SyslogServer:
    """Syslog over UDP and TCP sharing one port (either may be disabled in settings).

    With ``port = 0`` the TCP port is chosen by the kernel and UDP binds the same number
    (retrying if that UDP port is taken). ``tcp_address``/``udp_address``/``port`` give the
    bound addresses after ``start``.
    """

    def __init__(self, settings: SyslogSettings, queue: IntakeQueue, stats: IntakeStats) -> None:
        self.settings = settings
        self._queue = queue
        self._stats = stats
        self._tcp: _StreamListener | None = None
        self._udp: _DatagramReceiver | None = None
        self.tcp_address: tuple[str, int] | None = None
        self.udp_address: tuple[str, int] | None = None

    @property
    def port(self) -> int:
        """The bound port (shared by UDP and TCP)."""
        address = self.tcp_address or self.udp_address
        if address is None:
            raise RuntimeError("syslog server not started")
        return address[1]

    async def start(self) -> None:
        """Bind and start serving."""
        s = self.settings
        tcp_sock, udp_sock = self._bind(s.host, s.port, s.tcp, s.udp)
        try:
            if tcp_sock is not None:
                self._tcp = _StreamListener(ORIGIN_TCP, self._queue, self._stats, s.max_record_bytes)
                await self._tcp.start(tcp_sock)
                self.tcp_address = self._tcp.address
            if udp_sock is not None:
                name = udp_sock.getsockname()
                self.udp_address = (str(name[0]), int(name[1]))
                self._udp = _DatagramReceiver(udp_sock, self._queue, self._stats, s.max_record_bytes)
                self._udp.start()
        except BaseException:
            await self.stop()
            for sock in (tcp_sock, udp_sock):
                if sock is not None:
                    sock.close()
            raise
        log.info("syslog listening on %s:%d (udp=%s tcp=%s)", s.host, self.port, s.udp, s.tcp)

    async def stop(self) -> None:
        """Stop listening and close open connections (their buffered records are offered)."""
        if self._udp is not None:
            self._udp.stop()
            self._udp = None
        if self._tcp is not None:
            await self._tcp.stop()
            self._tcp = None

    @property
    def tcp_connections(self) -> int:
        """TCP connections currently open."""
        return self._tcp.connection_count if self._tcp is not None else 0

    def _bind(
        self, host: str, port: int, tcp: bool, udp: bool
    ) -> tuple[socket.socket | None, socket.socket | None]:
        buffer = self.settings.udp_receive_buffer
        if not tcp:
            if not udp:
                return None, None
            family, _, _, _, sockaddr = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
            return None, _datagram_socket(family, sockaddr, port, buffer)
        attempts = BIND_ATTEMPTS if port == 0 else 1
        for attempt in range(attempts):
            tcp_sock, sockaddr = _stream_socket(host, port)
            stream_family: int = tcp_sock.family
            if not udp:
                return tcp_sock, None
            real_port = tcp_sock.getsockname()[1]
            try:
                return tcp_sock, _datagram_socket(stream_family, sockaddr, real_port, buffer)
            except OSError as exc:
                tcp_sock.close()
                if exc.errno != errno.EADDRINUSE or attempt == attempts - 1:
                    raise
        raise OSError(errno.EADDRINUSE, "no port free for both UDP and TCP")  # pragma: no cover


class SyslogTlsServer:
    """Syslog over TLS (RFC 5425): octet-counted frames (LF framing tolerated), TLS ≥ 1.2.

    Handshake failures — including a client without a required certificate — are counted as
    errors for that peer and never stop the server.
    """

    def __init__(
        self,
        settings: TlsListener,
        queue: IntakeQueue,
        stats: IntakeStats,
        *,
        max_record_bytes: int = MAX_RECORD_BYTES,
        handshake_timeout: float = 10.0,
    ) -> None:
        self.settings = settings
        self._queue = queue
        self._stats = stats
        self._max = max_record_bytes
        self._handshake_timeout = handshake_timeout
        self._listener: _StreamListener | None = None
        self.address: tuple[str, int] | None = None

    @property
    def port(self) -> int:
        """The bound port."""
        if self.address is None:
            raise RuntimeError("syslog TLS server not started")
        return self.address[1]

    async def start(self) -> None:
        """Load certificates, bind and start serving."""
        ctx = build_tls_context(self.settings)
        sock, _ = _stream_socket(self.settings.host, self.settings.port)
        self._listener = _StreamListener(
            ORIGIN_TLS, self._queue, self._stats, self._max, ctx, self._handshake_timeout
        )
        try:
            await self._listener.start(sock)
        except BaseException:
            sock.close()
            raise
        self.address = self._listener.address
        log.info("syslog/tls listening on %s:%d", self.settings.host, self.port)

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        if self._listener is not None:
            await self._listener.stop()
            self._listener = None
