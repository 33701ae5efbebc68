"""Live capture: frames from a network interface (a mirror port, a TAP) through the same
:class:`~collectors.traffic.session.Dissector` as capture files, optionally kept in a
:class:`~collectors.traffic.ring.PcapRing`.

:class:`PacketSocket` is a Linux ``AF_PACKET`` raw socket bound to one interface: Ethernet
framing (link type 1; loopback too), kernel timestamps, wire lengths, VLAN tags put back
where the kernel took them off (as libpcap does), a kernel BPF filter compiled by libpcap.

Direction: packets the host itself sends on the interface are kept (on a mirror port the
host sends next to nothing, and on a host's own interface both directions are the
conversation). A veth end shows each frame once: what the host sends as outgoing, what the
peer sends as incoming. Loopback shows every frame twice (leaving and arriving), so there
the outgoing copy is skipped, as libpcap does.

VLAN offload: where the NIC moves a tag into metadata, the kernel filter runs on the frame
without it, so a filter sees the inner frame and the ``vlan`` keyword does not match such
frames (libpcap's own live handles compile ``vlan`` to kernel extensions, which a filter
compiled for an offline handle cannot use). Leave ``vlan`` out of filters, or turn the NIC's
rx-vlan-offload off.

:class:`LiveCapture` runs the socket, the ring and the dissector in a daemon thread and hands
events to a callback in batches.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Protocol, Self

from collectors.traffic.bpf import CaptureError, attach_filter, compile_bpf
from collectors.traffic.pcapfile import Packet
from collectors.traffic.ring import PcapRing
from collectors.traffic.session import Dissector
from soc_core.events import Event

__all__ = ["CaptureError", "LiveCapture", "PacketSocket", "PacketSource", "with_vlan_tag"]

log = logging.getLogger(__name__)

# Linux ABI values (<linux/if_ether.h>, <linux/if_packet.h>, <asm-generic/socket.h>,
# <linux/sockios.h>, <linux/if_arp.h>); the socket module exports only some of them
ETH_P_ALL = 0x0003
ETH_P_8021Q = 0x8100
SOL_PACKET = 263
PACKET_STATISTICS = 6
PACKET_AUXDATA = 8
PACKET_IGNORE_OUTGOING = 23  # Linux 4.20+
SO_TIMESTAMPNS = 35
SCM_TIMESTAMPNS = SO_TIMESTAMPNS
SO_RCVBUFFORCE = 33
SIOCGIFHWADDR = 0x8927
PACKET_OUTGOING = 4
TP_STATUS_VLAN_VALID = 0x10
TP_STATUS_VLAN_TPID_VALID = 0x40
ARPHRD_ETHER = 1
ARPHRD_LOOPBACK = 772
ARPHRD_NONE = 65534  # tun devices, WireGuard: raw IP frames
IFNAMSIZ = 16

ETHERNET = 1
RAW_IP = 101
_LINKTYPES = {ARPHRD_ETHER: ETHERNET, ARPHRD_LOOPBACK: ETHERNET, ARPHRD_NONE: RAW_IP}

_TIMESPEC = struct.Struct("@ll")
_AUXDATA = struct.Struct("@IIIHHHH")  # struct tpacket_auxdata
_STATS = struct.Struct("@II")  # struct tpacket_stats
_VLAN = struct.Struct("!HH")
_ANCILLARY = socket.CMSG_SPACE(_TIMESPEC.size) + socket.CMSG_SPACE(_AUXDATA.size)
_FILTER_SNAPLEN = 262144  # the kernel cuts to the filter's return value: never below our snaplen

READ_BATCH = 1024  # packets taken per read: bounds the time between two looks at the clock
TICK_S = 1.0  # how often idle flows are swept when no packet moves time on
POLL_S = 0.2  # longest wait for packets, so that stop() and flushes are not held up
ERROR_PAUSE_S = 0.5  # after a read error (interface down), before trying again
DRAIN_READS = 64  # at stop, batches read from what is already queued


def _failure(exc: OSError) -> str:
    if exc.errno in (errno.EPERM, errno.EACCES):
        return "permission denied: capturing needs root or CAP_NET_RAW"
    if exc.errno in (errno.ENODEV, errno.ENXIO):
        return "no such interface"
    if exc.errno == errno.ENETDOWN:
        return "interface is down"
    return exc.strerror or str(exc)


def _hardware_type(interface: str) -> int:
    """The interface's ARPHRD_* type; any socket can ask, without privilege."""
    request = struct.pack(f"{IFNAMSIZ}s16x", interface.encode())
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as probe:
            answer = fcntl.ioctl(probe.fileno(), SIOCGIFHWADDR, request)
    except OSError as exc:
        raise CaptureError(f"cannot capture: {_failure(exc)}", where=f"interface {interface!r}") from exc
    family: int = struct.unpack_from("@H", answer, IFNAMSIZ)[0]
    return family


def with_vlan_tag(frame: bytes, tpid: int, tci: int) -> bytes:
    """An Ethernet frame with an 802.1Q/802.1ad tag put back after its MAC addresses."""
    return frame[:12] + _VLAN.pack(tpid, tci) + frame[12:]


class PacketSource(Protocol):
    """Where :class:`LiveCapture` takes its packets from (a :class:`PacketSocket`)."""

    @property
    def interface(self) -> str: ...

    @property
    def linktype(self) -> int: ...

    def read(self, max_packets: int, timeout_s: float) -> list[Packet]: ...

    def kernel_stats(self) -> tuple[int, int]: ...


class PacketSocket:
    """Frames of one interface, as the kernel saw them, filtered in the kernel by ``bpf``."""

    def __init__(
        self,
        interface: str,
        *,
        bpf: str | None = None,
        snaplen: int = 65535,
        buffer_bytes: int = 32 << 20,
    ) -> None:
        where = f"interface {interface!r}"
        if not interface or len(interface.encode()) >= IFNAMSIZ or "/" in interface:
            raise CaptureError("cannot capture: not an interface name", where=where)
        if snaplen <= 0:
            raise ValueError(f"snaplen {snaplen} must be positive")
        self._interface = interface
        self.snaplen = snaplen
        self._lock = threading.Lock()
        self._kernel_packets = 0
        self._kernel_drops = 0
        self._pending_error: CaptureError | None = None
        # the interface and the filter first: their errors need no privilege to be reported
        hardware = _hardware_type(interface)
        linktype = _LINKTYPES.get(hardware)
        if linktype is None:
            raise CaptureError(
                f"cannot capture: hardware type {hardware} is not supported "
                "(Ethernet, loopback and raw IP interfaces are)",
                where=where,
            )
        program = compile_bpf(bpf, linktype=linktype, snaplen=max(snaplen, _FILTER_SNAPLEN)) if bpf else None
        self._linktype = linktype
        self._loopback = hardware == ARPHRD_LOOPBACK
        try:
            # protocol 0: the socket receives nothing until bind() names one, so no frame
            # reaches it before the filter is in place and there is nothing to drain
            self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        except OSError as exc:
            raise CaptureError(f"cannot capture: {_failure(exc)}", where=where) from exc
        try:
            self._set_buffer(buffer_bytes)
            self._sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            self._sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
            if self._loopback:
                # the kernel then neither queues nor counts the leaving copy; read() skips it
                # too on kernels without the option
                with contextlib.suppress(OSError):
                    self._sock.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
            if program is not None:
                attach_filter(self._sock, program)
            self._sock.bind((interface, ETH_P_ALL))
            self._sock.setblocking(False)
        except CaptureError:
            self._sock.close()
            raise
        except OSError as exc:
            self._sock.close()
            raise CaptureError(f"cannot capture: {_failure(exc)}", where=where) from exc
        self._buffer = bytearray(snaplen)
        self._view = memoryview(self._buffer)
        self._poll = select.poll()
        self._poll.register(self._sock, select.POLLIN)

    def _set_buffer(self, size: int) -> None:
        try:
            # FORCE passes net.core.rmem_max, which is far below what a busy mirror port needs
            self._sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, size)
        except PermissionError:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)

    @property
    def interface(self) -> str:
        return self._interface

    @property
    def linktype(self) -> int:
        return self._linktype

    def fileno(self) -> int:
        return self._sock.fileno()

    def read(self, max_packets: int, timeout_s: float) -> list[Packet]:
        """Up to ``max_packets`` frames, waiting at most ``timeout_s`` for the first."""
        if self._pending_error is not None:
            error, self._pending_error = self._pending_error, None
            raise error
        packets: list[Packet] = []
        if not self._poll.poll(max(0, int(timeout_s * 1000))):
            return packets
        sock, view, snaplen = self._sock, self._view, self.snaplen
        ethernet = self._linktype == ETHERNET
        while len(packets) < max_packets:
            try:
                size, ancillary, _flags, address = sock.recvmsg_into((view,), _ANCILLARY, socket.MSG_TRUNC)
            except BlockingIOError:
                break
            except OSError as exc:
                error = CaptureError(
                    f"reading failed: {_failure(exc)}",
                    where=f"interface {self._interface!r}",
                )
                if packets:
                    self._pending_error = error  # hand over what was read first
                    break
                raise error from exc
            if address[2] == PACKET_OUTGOING and self._loopback:
                continue  # loopback shows each frame again as it arrives
            caplen = min(size, snaplen)
            wire_len = size  # MSG_TRUNC: the length before our buffer cut it
            ts_ns = 0
            vlan: tuple[int, int] | None = None
            for level, kind, value in ancillary:
                if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPNS and len(value) >= _TIMESPEC.size:
                    seconds, nanos = _TIMESPEC.unpack_from(value)
                    ts_ns = seconds * 1_000_000_000 + nanos
                elif level == SOL_PACKET and kind == PACKET_AUXDATA and len(value) >= _AUXDATA.size:
                    status, original, _snap, _mac, _net, tci, tpid = _AUXDATA.unpack_from(value)
                    wire_len = original  # the filter's return value may have cut the frame too
                    if ethernet and (tci or status & TP_STATUS_VLAN_VALID):
                        vlan = (tpid if status & TP_STATUS_VLAN_TPID_VALID else ETH_P_8021Q, tci)
            data = bytes(view[:caplen])
            if vlan is not None and caplen >= 12:
                # the NIC or driver moved the tag into metadata; the wire had it
                data = with_vlan_tag(data, *vlan)[:snaplen]
                wire_len += 4
            packets.append(Packet(ts_ns or time.time_ns(), self._linktype, data, max(wire_len, len(data))))
        return packets

    def kernel_stats(self) -> tuple[int, int]:
        """(packets the filter accepted, of which dropped for want of buffer) since opening."""
        with self._lock:
            with contextlib.suppress(OSError):  # a closed socket keeps its last counts
                raw = self._sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, _STATS.size)
                packets, drops = _STATS.unpack_from(raw)
                # the kernel resets its counters on each read: keep the sum
                self._kernel_packets += packets
                self._kernel_drops += drops
            return self._kernel_packets, self._kernel_drops

    def close(self) -> None:
        """Stop capturing (the counters stay readable)."""
        if self._sock.fileno() >= 0:
            self.kernel_stats()
            with contextlib.suppress(KeyError, ValueError):
                self._poll.unregister(self._sock)
            self._sock.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class LiveCapture:
    """A daemon thread: source → ring → dissector → ``on_events`` in batches.

    Events are handed over when ``batch_max`` are waiting, or when the oldest waiting one has
    waited ``flush_interval_s``; idle flows are swept about once a second. ``stop()`` ends the
    open flows and hands over the last events. Closing the source and the ring stays with
    whoever opened them.
    """

    def __init__(
        self,
        source: PacketSource,
        *,
        dissector: Dissector,
        on_events: Callable[[list[Event]], None],
        ring: PcapRing | None = None,
        batch_max: int = 2000,
        flush_interval_s: float = 1.0,
    ) -> None:
        if batch_max <= 0:
            raise ValueError(f"batch_max {batch_max} must be positive")
        if ring is not None and ring.linktype != source.linktype:
            raise ValueError(f"ring of link type {ring.linktype} for a source of link type {source.linktype}")
        self.source = source
        self.dissector = dissector
        self.ring = ring
        self._on_events = on_events
        self._batch_max = batch_max
        self._flush_interval_s = flush_interval_s
        self._lock = threading.Lock()  # the dissector and the counters, between the thread and stats()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._packets = 0
        self._bytes = 0
        self._lag_last_s = 0.0
        self._lag_max_s = 0.0
        self._callback_errors = 0
        self._dissector_failures = 0
        self._capture_errors: dict[str, int] = {}
        self._ring_errors: dict[str, int] = {}

    def start(self) -> None:
        """Start the capture thread."""
        if self._thread is not None:
            raise RuntimeError("a LiveCapture starts only once")
        self._thread = threading.Thread(
            target=self._run, name=f"live-capture-{self.source.interface}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout_s: float = 5) -> bool:
        """End the capture: open flows are reported and the last events handed over; whether the
        thread ended within ``timeout_s``."""
        if self._thread is None:
            return True
        self._stopping.set()
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            log.warning("live capture on %s still busy after %.1f s", self.source.interface, timeout_s)
            return False
        return True

    # -- the thread -------------------------------------------------------------------------

    def _run(self) -> None:
        pending: list[Event] = []
        pending_since = 0.0
        last_tick = time.monotonic()
        poll_s = max(0.01, min(POLL_S, self._flush_interval_s))
        while not self._stopping.is_set():
            packets = self._read(poll_s)
            now = time.monotonic()
            found = self._process(packets) if packets else []
            if now - last_tick >= TICK_S:
                last_tick = now
                with self._lock:
                    found += self.dissector.tick(time.time_ns())
            if found:
                if not pending:
                    pending_since = now
                pending += found
            if len(pending) >= self._batch_max or (pending and now - pending_since >= self._flush_interval_s):
                self._hand_over(pending)
                pending = []
        # what the kernel had queued before stop() still counts
        for _ in range(DRAIN_READS):
            packets = self._read(0)
            if not packets:
                break
            pending += self._process(packets)
        with self._lock:
            pending += self.dissector.finish()
        if self.ring is not None:
            try:
                self.ring.flush()
            except OSError as exc:
                with self._lock:
                    self._count(self._ring_errors, exc.strerror or str(exc))
        self._hand_over(pending)

    def _read(self, timeout_s: float) -> list[Packet]:
        try:
            return self.source.read(READ_BATCH, timeout_s)
        except Exception as exc:
            # an interface that went down comes back up; the capture waits for it
            reason = exc.message if isinstance(exc, CaptureError) else f"{type(exc).__name__}: {exc}"
            with self._lock:
                first = self._count(self._capture_errors, reason) == 1
            if first:
                log.warning("live capture on %s: %s", self.source.interface, reason)
            self._stopping.wait(ERROR_PAUSE_S)
            return []

    def _process(self, packets: list[Packet]) -> list[Event]:
        found: list[Event] = []
        ring, feed = self.ring, self.dissector.feed
        with self._lock:
            # how far behind the wire the dissector is: the oldest packet not processed yet
            lag = max(0.0, (time.time_ns() - packets[0].ts_ns) / 1e9)
            self._lag_last_s = lag
            self._lag_max_s = max(self._lag_max_s, lag)
            for packet in packets:
                self._packets += 1
                self._bytes += packet.wire_len
                if ring is not None:
                    try:
                        ring.write(packet)
                    except (OSError, ValueError) as exc:
                        # a full disk must not stop the events; the ring catches up when it can
                        reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
                        if self._count(self._ring_errors, reason) == 1:
                            log.error("pcap ring write failed: %s", exc)
                try:
                    found += feed(packet)
                except Exception:
                    # the dissector is meant never to raise; one bad frame must not end the capture
                    self._dissector_failures += 1
                    if self._dissector_failures <= 10:
                        log.exception("dissector failed on a packet of %d bytes", len(packet.data))
        return found

    def _hand_over(self, events: list[Event]) -> None:
        for start in range(0, len(events), self._batch_max):
            try:
                self._on_events(events[start : start + self._batch_max])
            except Exception:
                # the callback's failure loses its batch, not the capture
                with self._lock:
                    self._callback_errors += 1
                log.exception("live capture: event callback failed")

    @staticmethod
    def _count(counter: dict[str, int], reason: str) -> int:
        """Count one more ``reason`` (the caller holds the lock); how many so far."""
        counter[reason] = counter.get(reason, 0) + 1
        return counter[reason]

    # -- observing --------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Packets, bytes, kernel counts and drops, dissector lag, events by dataset, errors."""
        kernel_packets, kernel_drops = self.source.kernel_stats()
        with self._lock:
            stats = self.dissector.stats
            return {
                "interface": self.source.interface,
                "running": self._thread is not None and self._thread.is_alive(),
                "packets": self._packets,
                "bytes": self._bytes,
                "kernel_packets": kernel_packets,
                "kernel_drops": kernel_drops,
                "dissector_lag_s": {"last": self._lag_last_s, "max": self._lag_max_s},
                "events": dict(stats.events),
                "errors": dict(stats.errors + stats.read.errors),
                "not_ip": stats.not_ip,
                "callback_errors": self._callback_errors,
                "dissector_failures": self._dissector_failures,
                "capture_errors": dict(self._capture_errors),
                "ring_errors": dict(self._ring_errors),
                "ring": self.ring.stats() if self.ring is not None else None,
            }
