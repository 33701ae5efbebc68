"""Live capture: BPF compilation, the capture thread on a replayed source, and (as root) a real
capture on a veth pair checked against dumpcap's capture of the same traffic.

The veth test builds a network namespace with one veth end in it (198.51.100.2) and the other
in the root namespace (198.51.100.1), runs a tiny DNS responder and an HTTP server on the root
side, and sends three DNS queries and one HTTP request from inside the namespace while
:class:`LiveCapture` and dumpcap both capture the root end with the same filter.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pcap_support import ether, ipv4, pcap, tcp_session, udp

from collectors.traffic.bpf import CaptureError, compile_bpf, load_libpcap
from collectors.traffic.dissect import Frame, decode
from collectors.traffic.live import LiveCapture, PacketSocket, with_vlan_tag
from collectors.traffic.pcapfile import Packet, read_capture
from collectors.traffic.ring import PcapRing
from collectors.traffic.session import Dissector, dissect_capture
from soc_core.events import Event

IP = shutil.which("ip")
DUMPCAP = shutil.which("dumpcap")
SERVER, CLIENT = "198.51.100.1", "198.51.100.2"
HTTP_PORT = 8080
FILTER = "net 198.51.100.0/24 and (udp or tcp)"
NAMES = ("www.example.com", "mail.example.org", "api.example.com")
ANSWERS = {name: f"203.0.113.{10 + index}" for index, name in enumerate(NAMES)}
MARKER, MARKER_PORT = b"shaowang capture marker", 9  # discard: nothing answers on the client
FILTER_WORDS = (
    "udp", "tcp", "port", "53", "host", "192.0.2.1", "and", "or", "not", "(", ")", "vlan", "ip6", "[", "]",
)  # fmt: skip
WAIT_S = 30.0  # generous bound on every wait; nothing is asserted about time


def _need_root() -> None:
    reason = ""
    if os.geteuid() != 0:
        reason = "live capture needs root (CAP_NET_RAW and CAP_NET_ADMIN); CI runs as root"
    elif IP is None:
        reason = "the ip command (iproute2) is missing"
    if reason:
        print(f"skipped: {reason}")
        pytest.skip(reason)


def _stable(event: Event) -> tuple[Any, ...]:
    """What a capture of the same frames must agree on, whoever stamped them and whenever the
    flow table swept them: dataset, 5-tuple, counts, DNS and HTTP content."""
    source, destination, network = event.source, event.destination, event.network
    assert source is not None and destination is not None and network is not None
    key: tuple[Any, ...] = (
        event.event.dataset,
        network.transport,
        network.community_id,
        source.ip,
        source.port,
        destination.ip,
        destination.port,
    )
    if event.event.dataset == "network.flow":
        return (*key, source.packets, destination.packets, source.bytes, destination.bytes)
    if event.dns is not None:
        question = event.dns.question
        answers = tuple((a.name, a.type, a.data, a.ttl) for a in event.dns.answers or ())
        return (
            *key,
            event.dns.id,
            event.dns.type,
            event.dns.response_code,
            question.name if question else None,
            question.type if question else None,
            answers,
        )
    if event.http is not None:
        request, response = event.http.request, event.http.response
        return (
            *key,
            request.method if request else None,
            event.url.original if event.url else None,
            response.status_code if response else None,
        )
    return key


def _projection(events: list[Event]) -> Counter[tuple[Any, ...]]:
    return Counter(_stable(event) for event in events)


# -- BPF compilation (no privilege needed) ---------------------------------------------------


def test_compile_bpf_gives_libpcaps_instructions() -> None:
    assert compile_bpf("") == [(0x06, 0, 0, 262144)]
    # as `tcpdump -d ip` prints it
    assert compile_bpf("ip") == [
        (0x28, 0, 0, 12),
        (0x15, 0, 1, 0x0800),
        (0x06, 0, 0, 262144),
        (0x06, 0, 0, 0),
    ]
    assert compile_bpf("ip", snaplen=96)[2] == (0x06, 0, 0, 96)
    # raw IP frames have no Ethernet header to look past
    assert compile_bpf("ip", linktype=101) != compile_bpf("ip")
    for expression in (
        "udp port 53",
        "tcp and (port 80 or port 443)",
        "host 192.0.2.1 and not port 22",
        "vlan and udp",
        "ip6 and icmp6",
        FILTER,
    ):
        program = compile_bpf(expression)
        assert 2 <= len(program) <= 64, expression
        assert all(0 <= code < 0x10000 and 0 <= jt < 256 and 0 <= jf < 256 for code, jt, jf, _ in program)
        assert program[-1][0] == 0x06  # every program ends by returning


def test_a_bad_filter_raises_with_libpcaps_message_and_the_expression() -> None:
    with pytest.raises(CaptureError) as caught:
        compile_bpf("udp port")
    assert "syntax error" in str(caught.value)
    assert "'udp port'" in str(caught.value)
    with pytest.raises(CaptureError, match="NUL"):
        compile_bpf("udp\x00")


def test_without_libpcap_the_error_says_what_to_install() -> None:
    with pytest.raises(CaptureError, match=r"install the libpcap0\.8 package"):
        load_libpcap(["libpcap-that-is-not-there.so.9", None])


@settings(max_examples=200)
@given(st.lists(st.sampled_from(FILTER_WORDS), max_size=8).map(" ".join))
def test_compile_bpf_returns_a_program_or_a_capture_error(expression: str) -> None:
    try:
        program = compile_bpf(expression)
    except CaptureError as exc:
        assert "bad capture filter" in str(exc)
    else:
        assert program and program[-1][0] == 0x06


def test_an_interface_that_does_not_exist_is_named_in_the_error() -> None:
    with pytest.raises(CaptureError, match="no such interface") as caught:
        PacketSocket("swnosuch0")
    assert "'swnosuch0'" in str(caught.value)
    with pytest.raises(CaptureError, match="not an interface name"):
        PacketSocket("an-interface-name-too-long")
    with pytest.raises(CaptureError, match="syntax error"):
        PacketSocket("lo", bpf="udp port")


# -- the capture thread, fed from a replayed capture -----------------------------------------


class _Replay:
    """A packet source that hands over the packets of a list, a few per read."""

    interface = "replay0"
    linktype = 1

    def __init__(self, packets: list[Packet]) -> None:
        self.packets = packets

    def read(self, max_packets: int, timeout_s: float) -> list[Packet]:
        taken, self.packets = self.packets[:3], self.packets[3:]
        if not taken:
            time.sleep(min(timeout_s, 0.02))
        return taken

    def kernel_stats(self) -> tuple[int, int]:
        return 0, 0


def _dns_frame(ident: int, name: str, *, answer: str | None = None) -> bytes:
    question = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\x00"
    flags, answers = (0x8180, 1) if answer else (0x0100, 0)
    message = struct.pack("!HHHHHH", ident, flags, 1, answers, 0, 0) + question + struct.pack("!HH", 1, 1)
    if answer:
        message += struct.pack("!HHHIH", 0xC00C, 1, 1, 300, 4) + socket.inet_aton(answer)
    ends = (SERVER, CLIENT, 53, 40000 + ident) if answer else (CLIENT, SERVER, 40000 + ident, 53)
    return ether(ipv4(ends[0], ends[1], 17, udp(ends[2], ends[3], message)))


def test_live_capture_hands_over_what_the_dissector_finds_and_survives_its_callback(
    tmp_path: Path,
) -> None:
    base = time.time_ns()  # near now: the capture's once-a-second sweep uses the clock
    frames = tcp_session(
        CLIENT,
        SERVER,
        40100,
        HTTP_PORT,
        b"GET /status?probe=1 HTTP/1.1\r\nHost: www.example.com\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n",
        t0=base,
    )
    for index, name in enumerate(NAMES):
        frames.append((base + (20 + 2 * index) * 1_000_000, _dns_frame(index, name)))
        frames.append((base + (21 + 2 * index) * 1_000_000, _dns_frame(index, name, answer=ANSWERS[name])))
    capture_bytes = pcap(frames, nano=True)
    packets = list(read_capture(capture_bytes))
    reference = list(dissect_capture(capture_bytes))

    batches: list[list[Event]] = []

    def on_events(events: list[Event]) -> None:
        batches.append(list(events))
        if len(batches) == 1:
            raise RuntimeError("a consumer that fails once")

    ring = PcapRing(tmp_path / "ring", max_bytes=1 << 20, file_bytes=1 << 16)
    capture = LiveCapture(
        _Replay(packets),
        dissector=Dissector(),
        on_events=on_events,
        ring=ring,
        batch_max=3,
        flush_interval_s=0.05,
    )
    capture.start()
    deadline = time.monotonic() + WAIT_S
    while capture.stats()["packets"] < len(packets) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert capture.stop()
    ring.close()

    stats = capture.stats()
    assert stats["packets"] == len(packets) == 14
    assert stats["bytes"] == sum(p.wire_len for p in packets)
    assert stats["callback_errors"] == 1
    assert stats["events"] == {"network.dns": 6, "network.http": 2, "network.flow": 4}
    assert stats["errors"] == {}
    assert stats["ring"]["packets"] == len(packets)
    assert stats["running"] is False
    assert all(1 <= len(batch) <= 3 for batch in batches)
    # every event arrived once, the failed batch's included (it was handed over, then lost)
    assert _projection([e for batch in batches for e in batch]) == _projection(reference)
    assert _read_all(ring.files()) == packets


def _read_all(paths: list[Path]) -> list[Packet]:
    return [packet for path in paths for packet in read_capture(path.read_bytes())]


# -- a real capture on a veth pair, as root --------------------------------------------------


@dataclass(frozen=True)
class Veth:
    namespace: str
    host: str  # the end in the root namespace, where we capture
    peer: str


def _ip(*args: str) -> None:
    assert IP is not None
    done = subprocess.run([IP, *args], capture_output=True, timeout=WAIT_S, check=False)
    if done.returncode != 0:
        raise AssertionError(f"ip {' '.join(args)}: {done.stderr.decode(errors='replace').strip()}")


@pytest.fixture
def veth(request: pytest.FixtureRequest) -> Iterator[Veth]:
    _need_root()
    assert IP is not None
    pid = os.getpid()
    pair = Veth(f"shaowang-t-{pid}", f"swv{pid % 10000}a", f"swv{pid % 10000}b")

    def remove() -> None:
        # deleting one end deletes both; the namespace goes with whatever is left in it
        subprocess.run([IP, "link", "del", pair.host], capture_output=True, timeout=WAIT_S, check=False)
        subprocess.run([IP, "netns", "del", pair.namespace], capture_output=True, timeout=WAIT_S, check=False)

    remove()  # leftovers of an earlier run that had the same pid
    request.addfinalizer(remove)
    _ip("netns", "add", pair.namespace)
    _ip("link", "add", pair.host, "type", "veth", "peer", "name", pair.peer, "netns", pair.namespace)
    _ip("addr", "add", f"{SERVER}/24", "dev", pair.host)
    _ip("-n", pair.namespace, "addr", "add", f"{CLIENT}/24", "dev", pair.peer)
    _ip("link", "set", pair.host, "up")
    _ip("-n", pair.namespace, "link", "set", pair.peer, "up")
    _ip("-n", pair.namespace, "link", "set", "lo", "up")
    carrier = Path(f"/sys/class/net/{pair.host}/carrier")
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        try:
            if carrier.read_text().strip() == "1":
                break
        except OSError:
            pass  # reading carrier of a link still coming up fails
        time.sleep(0.05)
    yield pair


def _dns_answer(query: bytes) -> bytes:
    """One A record for the question of ``query``."""
    labels, offset = [], 12
    while query[offset]:
        labels.append(query[offset + 1 : offset + 1 + query[offset]].decode())
        offset += 1 + query[offset]
    question = query[12 : offset + 5]
    head = query[:2] + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0)
    record = struct.pack("!HHHIH", 0xC00C, 1, 1, 300, 4) + socket.inet_aton(ANSWERS[".".join(labels)])
    return head + question + record


class _Servers:
    """A DNS responder on :53 and an HTTP server on :8080 of the root-side address, each
    answering a bounded number of requests."""

    def __init__(self) -> None:
        self.errors: list[BaseException] = []
        self.dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.dns.bind((SERVER, 53))
        self.dns.settimeout(WAIT_S)
        self.http = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.http.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.http.bind((SERVER, HTTP_PORT))
        self.http.listen(1)
        self.http.settimeout(WAIT_S)
        self.threads = [
            threading.Thread(target=self._guard, args=(self._answer_dns,), daemon=True),
            threading.Thread(target=self._guard, args=(self._answer_http,), daemon=True),
        ]
        for thread in self.threads:
            thread.start()

    def _guard(self, work: Any) -> None:
        try:
            work()
        except BaseException as exc:
            self.errors.append(exc)

    def _answer_dns(self) -> None:
        for _ in NAMES:
            query, peer = self.dns.recvfrom(512)
            self.dns.sendto(_dns_answer(query), peer)

    def _answer_http(self) -> None:
        connection, _ = self.http.accept()
        with connection:
            connection.settimeout(WAIT_S)
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = connection.recv(4096)
                if not chunk:
                    break
                request += chunk
            connection.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
                b"Connection: close\r\n\r\nok\n"
            )
            # the server closes first; the client reads to the end and closes after

    def join(self) -> None:
        for thread in self.threads:
            thread.join(WAIT_S)
        self.dns.close()
        self.http.close()
        assert not self.errors, self.errors


CLIENT_CODE = r"""
import socket, struct, sys
server, port, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
for ident, name in enumerate(names, start=0x5100):
    question = b"".join(bytes([len(part)]) + part.encode() for part in name.split(".")) + b"\0"
    query = struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + question + struct.pack("!HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as dns:
        dns.settimeout(20)
        dns.sendto(query, (server, 53))
        reply = dns.recv(512)
        assert reply[:2] == query[:2], reply
with socket.create_connection((server, port), timeout=20) as http:
    http.sendall(
        b"GET /status?probe=1 HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: shaowang-live-test\r\n\r\n"
    )
    response = b""
    while chunk := http.recv(4096):
        response += chunk
print(response.split(b"\r\n")[0].decode())
"""


class _Dumpcap:
    """dumpcap capturing ``interface`` to a pipe we read, started once a marker frame sent on the
    interface has come out of the pipe.

    dumpcap says "Capturing on" before its capture handle is open, so traffic sent at once can
    be missing from its file. Writing to a pipe, dumpcap flushes every packet: once a marker is
    read back, everything sent after it is captured. Markers go from the host side to a port
    nobody answers and are left out of every comparison.
    """

    def __init__(self, interface: str) -> None:
        assert DUMPCAP is not None
        self.lines: list[str] = []
        self.output = bytearray()
        self.lock = threading.Lock()
        self.process = subprocess.Popen(
            [DUMPCAP, "-q", "-i", interface, "-f", FILTER, "-w", "-"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.readers = [
            threading.Thread(target=self._read_capture, daemon=True),
            threading.Thread(target=self._read_messages, daemon=True),
        ]
        for reader in self.readers:
            reader.start()
        try:
            self._mark_until_captured()
        except BaseException:
            self.stop()
            raise

    def _read_capture(self) -> None:
        assert self.process.stdout is not None
        while chunk := os.read(self.process.stdout.fileno(), 65536):
            with self.lock:
                self.output += chunk

    def _read_messages(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            self.lines.append(raw.decode(errors="replace").rstrip())

    def _holds_marker(self) -> bool:
        with self.lock:
            return MARKER in self.output

    def _mark_until_captured(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.bind((SERVER, 0))
            for _ in range(int(WAIT_S / 0.1)):
                sender.sendto(MARKER, (CLIENT, MARKER_PORT))
                time.sleep(0.1)
                if self._holds_marker():
                    return
                if self.process.poll() is not None:
                    break
        raise AssertionError(f"dumpcap did not capture a marker frame: {self.lines}")

    def stop(self) -> bytes:
        """Stop dumpcap; everything it captured, as a pcapng file."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # dumpcap writes out what it holds and exits
            try:
                self.process.wait(WAIT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(WAIT_S)
        for reader in self.readers:
            reader.join(WAIT_S)
        with self.lock:
            return bytes(self.output)


def _not_marker_packets(packets: list[Packet]) -> list[Packet]:
    return [packet for packet in packets if MARKER not in packet.data]


def _not_marker_events(events: list[Event]) -> list[Event]:
    return [event for event in events if event.destination is None or event.destination.port != MARKER_PORT]


def _run_client(veth: Veth) -> str:
    """The DNS queries and the HTTP request from inside the namespace; the response's first line."""
    assert IP is not None
    client = subprocess.run(
        [
            IP,
            "netns",
            "exec",
            veth.namespace,
            sys.executable,
            "-c",
            CLIENT_CODE,
            SERVER,
            str(HTTP_PORT),
            *NAMES,
        ],
        capture_output=True,
        timeout=WAIT_S * 2,
        check=False,
    )
    assert client.returncode == 0, client.stderr.decode(errors="replace")
    return client.stdout.decode().strip()


def _dns_summary(events: list[Event]) -> list[tuple[str, str, tuple[str, ...]]]:
    summary = []
    for event in events:
        assert event.dns is not None and event.dns.question is not None
        data = tuple(a.data or "" for a in event.dns.answers or ())
        summary.append((event.dns.question.name or "", event.dns.type or "", data))
    return sorted(summary)


def _settle(capture: LiveCapture) -> None:
    """Wait until the capture has seen no new packet for a second (the traffic is over)."""
    deadline = time.monotonic() + WAIT_S
    last, quiet_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        seen = capture.stats()["packets"]
        if seen != last:
            last, quiet_since = seen, time.monotonic()
        elif seen and time.monotonic() - quiet_since >= 1.0:
            return
        time.sleep(0.1)


def test_live_capture_on_a_veth_matches_dumpcap(veth: Veth, tmp_path: Path) -> None:
    if DUMPCAP is None:
        print("skipped: dumpcap (from the tshark package) is missing")
        pytest.skip("dumpcap (from the tshark package) is missing")
    collected: list[Event] = []
    ring = PcapRing(tmp_path / "ring", max_bytes=1 << 24, file_bytes=1 << 20)
    source = PacketSocket(veth.host, bpf=FILTER)
    capture = LiveCapture(source, dissector=Dissector(), on_events=collected.extend, ring=ring)
    servers = _Servers()
    dumpcap: _Dumpcap | None = None
    reference_bytes = b""
    capture.start()
    try:
        dumpcap = _Dumpcap(veth.host)
        assert _run_client(veth) == "HTTP/1.1 200 OK"
        servers.join()
        _settle(capture)
    finally:
        if dumpcap is not None:
            reference_bytes = dumpcap.stop()
        capture.stop()
        source.close()
        ring.close()

    stats = capture.stats()
    print(f"live capture: {stats}")
    assert dumpcap is not None
    print(f"dumpcap: {' | '.join(dumpcap.lines)}")
    all_ring_packets = _read_all(ring.files())
    # both sides hold markers (dumpcap some of them); the test traffic came after all of them
    ring_packets = _not_marker_packets(all_ring_packets)
    reference_packets = _not_marker_packets(list(read_capture(reference_bytes)))
    reference_events = _not_marker_events(list(dissect_capture(reference_bytes)))
    assert len(all_ring_packets) > len(ring_packets)
    collected = _not_marker_events(collected)

    # the same frames as dumpcap, each once: a veth end shows what the host sends (outgoing)
    # and what the peer sends (incoming), not a second copy of either
    assert 10 <= len(reference_packets) <= 40
    assert Counter((p.data, p.wire_len) for p in ring_packets) == Counter(
        (p.data, p.wire_len) for p in reference_packets
    )
    assert max(Counter(p.data for p in ring_packets).values()) == 1
    assert stats["packets"] == len(all_ring_packets) == stats["ring"]["packets"]
    assert stats["kernel_drops"] == 0
    assert stats["kernel_packets"] == stats["packets"]
    assert stats["errors"] == {}
    assert stats["callback_errors"] == 0

    # the same events as dissecting dumpcap's file
    assert _projection(collected) == _projection(reference_events)
    dns = [e for e in collected if e.event.dataset == "network.dns"]
    assert _dns_summary(dns) == sorted(
        [(name, "query", ()) for name in NAMES] + [(name, "answer", (ANSWERS[name],)) for name in NAMES]
    )
    http = [e for e in collected if e.event.dataset == "network.http"]
    assert sorted(
        (
            e.http.request.method if e.http and e.http.request else "",
            e.url.original if e.url else "",
            e.http.response.status_code if e.http and e.http.response else 0,
        )
        for e in http
    ) == [("", "", 200), ("GET", "/status?probe=1", 0)]
    flows = [e for e in collected if e.event.dataset == "network.flow"]
    assert sorted(
        (e.network.transport if e.network else "", e.destination.port if e.destination else 0) for e in flows
    ) == [("tcp", HTTP_PORT), ("udp", 53), ("udp", 53), ("udp", 53)]
    # a flow's source is the side that spoke first, for its application events too
    assert {e.source.ip for e in collected if e.source is not None} == {CLIENT}


def test_a_filter_on_loopback_passes_its_port_and_nothing_else() -> None:
    _need_root()
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as wanted,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender,
    ):
        wanted.bind(("127.0.0.1", 0))
        other.bind(("127.0.0.1", 0))
        wanted_port, other_port = wanted.getsockname()[1], other.getsockname()[1]
        with PacketSocket("lo", bpf=f"udp port {wanted_port}") as source:
            assert source.linktype == 1  # Linux loopback has Ethernet framing
            before = time.time_ns()
            sender.sendto(b"not for the filter", ("127.0.0.1", other_port))
            sender.sendto(b"for the filter", ("127.0.0.1", wanted_port))
            seen: list[Packet] = []
            deadline = time.monotonic() + WAIT_S
            while not seen and time.monotonic() < deadline:
                seen += source.read(16, 1.0)
            seen += source.read(16, 0.2)  # a second copy would be queued by now
            assert [p.data[-len(b"for the filter") :] for p in seen] == [b"for the filter"]
            packet = seen[0]
            assert int.from_bytes(packet.data[36:38]) == wanted_port
            assert packet.wire_len == len(packet.data) == 14 + 20 + 8 + len(b"for the filter")
            assert before <= packet.ts_ns <= time.time_ns()  # stamped by the kernel on the same clock
            assert source.kernel_stats() == (1, 0)


def test_a_vlan_tag_the_kernel_took_off_is_put_back_where_the_wire_had_it() -> None:
    packet = ipv4(CLIENT, SERVER, 17, udp(40000, 53, b"query"))
    assert with_vlan_tag(ether(packet), 0x8100, 100) == ether(packet, vlans=(100,))
    # priority bits stay in the tag; an 802.1ad outer tag keeps its TPID
    tagged = with_vlan_tag(ether(packet), 0x88A8, (5 << 13) | 100)
    assert tagged[12:16] == bytes.fromhex("88a8a064")
    decoded = decode(1, tagged, 0, len(tagged))
    assert isinstance(decoded, Frame)
    assert (decoded.vlan, decoded.sport, decoded.dport, decoded.payload) == (100, 40000, 53, b"query")


# -- the same capture inside `soc run` ---------------------------------------------------------


@pytest.mark.slow
def test_soc_run_captures_the_mirror_port_into_the_store_and_its_stats(veth: Veth, tmp_path: Path) -> None:
    from soc_api.testing import PlatformProcess, add_user, search_count, wait_for

    data_dir = tmp_path / "data"
    add_user(data_dir, "ana", "analyst")
    env = {
        "SOC_CAPTURE__INTERFACE": veth.host,
        "SOC_CAPTURE__BPF": FILTER,
        "SOC_CAPTURE__IDLE_TIMEOUT_S": "2",
        "SOC_CAPTURE__RING_GB": "0.01",
        "SOC_CAPTURE__RING_FILE_MB": "1",
    }
    with PlatformProcess(data_dir, env=env) as soc:
        servers = _Servers()
        assert _run_client(veth) == "HTTP/1.1 200 OK"
        servers.join()
        # the flows end by their idle timeout, on the capture's own clock: no packet needed
        wait_for(
            lambda: search_count(data_dir, "event.dataset:network.flow") == 4, timeout=WAIT_S, interval=0.5
        )
        assert search_count(data_dir, "event.dataset:network.dns") == 6
        assert search_count(data_dir, 'event.dataset:network.http AND url.original:"/status?probe=1"') == 1
        assert search_count(data_dir, f"observer.ingress.interface.name:{veth.host}") == 12
        soc.login("ana")
        capture = soc.stats()["capture"]
        print(f"capture figures in /api/v1/stats/ingest: {capture}")
        assert capture["interface"] == veth.host and capture["filter"] == FILTER
        assert capture["packets"] >= 10 and capture["kernel_drops"] == 0
        assert capture["events_stored"] == 12 and capture["events_store_failed"] == 0
        assert capture["ring"]["packets"] == capture["packets"]
        assert "dissector_lag_s" in capture
        assert soc.stop() == 0
    ring_files = sorted((data_dir / "pcap").glob("ring-*.pcap"))
    assert ring_files
    assert sum(1 for path in ring_files for _ in read_capture(path.read_bytes())) == capture["packets"]
