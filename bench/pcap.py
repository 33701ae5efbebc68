"""Packet dissection throughput on one core: packets/s into flows with DNS/HTTP/TLS metadata.

Workload (deterministic, seeded): a mixed capture of interleaved connections as a mirror
port of an office network shows them — HTTP/1.1 downloads (keep-alive, bodies of 1–60 KB
in MSS-sized segments, ACKs), TLS 1.3 sessions (ClientHello with SNI and ALPN, ServerHello,
encrypted application data), DNS queries and answers over UDP, and a little ICMP echo and
NTP. About 55 % of packets carry payload; the rest are handshakes and ACKs.

Ours: ``dissect_capture`` over the file's bytes, every event built (``network.flow``,
``network.dns``, ``network.http``, ``network.tls``), as ``soc run`` and ``soc pcap`` do;
once more with the events encoded to NDJSON, as ``soc pcap`` prints them.

Baseline in the same run: ``tshark -n -T fields`` extracting the same fields from the same
file (addresses, ports, protocol, DNS query name, HTTP method/host/URI/user agent/status, TLS
SNI) to /dev/null. Both are pinned to the same CPU. Figures are medians of ``--repeats``
passes; the machine is shared, so compare the ratio rather than absolute numbers.

Run: ``.venv/bin/python bench/pcap.py [--packets 200000] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import gc
import heapq
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from collectors.traffic.craft import (
    SECOND,
    T0,
    dns_message,
    ether,
    icmp,
    ipv4,
    pcap,
    tcp,
    tls_client_hello,
    tls_server_hello,
    udp,
)
from collectors.traffic.session import Dissector, dissect_capture

MSS = 1448
TSHARK_FIELDS = [
    "frame.time_epoch", "ip.src", "ip.dst", "ip.proto", "tcp.srcport", "tcp.dstport", "udp.srcport",
    "udp.dstport", "dns.qry.name", "http.request.method", "http.host", "http.request.uri",
    "http.user_agent", "http.response.code", "tls.handshake.extensions_server_name",
]  # fmt: skip
TARGET = 150_000
STRETCH = 300_000

Frame = tuple[int, bytes]


class _Tcp:
    """One TCP connection's packets with consistent sequence and acknowledgement numbers."""

    def __init__(self, client: str, server: str, cport: int, sport: int, start: int) -> None:
        self.ends = {"c": (client, server, cport, sport), "s": (server, client, sport, cport)}
        self.seq = {"c": 1_000, "s": 900_000}
        self.now = start
        self.frames: list[Frame] = []

    def send(self, side: str, flags: str, payload: bytes = b"", gap_us: int = 200) -> None:
        peer = "s" if side == "c" else "c"
        src, dst, ps, pd = self.ends[side]
        packet = tcp(ps, pd, seq=self.seq[side], ack=self.seq[peer], flags=flags, payload=payload)
        self.frames.append((self.now, ether(ipv4(src, dst, 6, packet))))
        self.seq[side] += len(payload) + (1 if "S" in flags or "F" in flags else 0)
        self.now += gap_us * 1_000

    def open(self) -> None:
        self.send("c", "S")
        self.send("s", "SA")
        self.send("c", "A")

    def stream(self, side: str, data: bytes) -> None:
        """``data`` in MSS-sized segments, the peer acknowledging every second one."""
        peer = "s" if side == "c" else "c"
        for number, start in enumerate(range(0, len(data), MSS)):
            self.send(side, "PA" if start + MSS >= len(data) else "A", data[start : start + MSS], gap_us=50)
            if number % 2 == 1:
                self.send(peer, "A", gap_us=20)

    def close(self) -> None:
        self.send("c", "FA")
        self.send("s", "FA")
        self.send("c", "A")


def _http(rng: random.Random, conn: _Tcp) -> None:
    conn.open()
    for number in range(rng.randint(1, 4)):
        path = f"/portal/{rng.choice(('news', 'files', 'api', 'static'))}/{rng.randint(1, 99999)}"
        request = (
            f"GET {path}?page={number} HTTP/1.1\r\nHost: www.example.com\r\n"
            "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36\r\n"
            "Accept: */*\r\n\r\n"
        ).encode()
        conn.stream("c", request)
        body = rng.randbytes(rng.randint(1_000, 60_000))
        head = f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len(body)}\r\n\r\n"
        conn.stream("s", head.encode() + body)
    conn.close()


def _tls(rng: random.Random, conn: _Tcp) -> None:
    conn.open()
    conn.stream("c", tls_client_hello(f"svc{rng.randint(1, 500)}.example.org", random=rng.randbytes(32)))
    conn.stream("s", tls_server_hello() + b"\x14\x03\x03\x00\x01\x01" + _app_data(rng, 2_000))
    for _ in range(rng.randint(1, 3)):
        conn.stream("c", _app_data(rng, rng.randint(100, 800)))
        conn.stream("s", _app_data(rng, rng.randint(2_000, 40_000)))
    conn.close()


def _app_data(rng: random.Random, size: int) -> bytes:
    out = b""
    while size > 0:
        piece = min(size, 16_384)
        out += b"\x17\x03\x03" + piece.to_bytes(2, "big") + rng.randbytes(piece)
        size -= piece
    return out


def _connection(rng: random.Random, number: int, start: int) -> list[Frame]:
    client = f"192.0.2.{rng.randint(1, 254)}"
    cport = 20_000 + number % 40_000
    kind = rng.random()
    if kind < 0.35:
        conn = _Tcp(client, f"198.51.100.{rng.randint(1, 254)}", cport, rng.choice((80, 8080)), start)
        _http(rng, conn)
        return conn.frames
    if kind < 0.70:
        conn = _Tcp(client, f"203.0.113.{rng.randint(1, 254)}", cport, 443, start)
        _tls(rng, conn)
        return conn.frames
    if kind < 0.95:
        name = f"host{rng.randint(1, 2000)}.example.com"
        ident = rng.randint(0, 65535)
        query = ipv4(client, "198.51.100.53", 17, udp(cport, 53, dns_message(ident, name)))
        answer = dns_message(ident, name, answers=(f"203.0.113.{rng.randint(1, 254)}",), response=True)
        reply = ipv4("198.51.100.53", client, 17, udp(53, cport, answer))
        return [(start, ether(query)), (start + 2_000_000, ether(reply))]
    if kind < 0.98:
        peer = f"198.51.100.{rng.randint(1, 254)}"
        return [
            (start + i * SECOND, ether(ipv4(a, b, 1, icmp(t, 0, bytes(56)))))
            for i in range(2)
            for a, b, t in ((client, peer, 8), (peer, client, 0))
        ]
    ntp = bytes([0x23]) + bytes(47)
    return [(start, ether(ipv4(client, "198.51.100.123", 17, udp(cport, 123, ntp))))]


def mixed_capture(packets: int, seed: int = 20261127) -> bytes:
    """A pcap of about ``packets`` packets of interleaved connections, in time order."""
    rng = random.Random(seed)
    flows: list[list[Frame]] = []
    total = number = 0
    start = T0
    while total < packets:
        frames = _connection(rng, number, start)
        flows.append(frames)
        total += len(frames)
        number += 1
        start += rng.randint(100, 3_000) * 1_000  # a new connection every 0.1–3 ms
    merged: Iterator[Frame] = heapq.merge(*flows, key=lambda frame: frame[0])
    return pcap(list(merged))


def _median(fn: Callable[[], object], repeats: int) -> float:
    times: list[float] = []
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packets", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # tshark inherits it

    data = mixed_capture(args.packets)
    dissector = Dissector()
    events = Counter(event.event.dataset for event in dissect_capture(data, dissector=dissector))
    packets = dissector.stats.read.packets
    print(f"capture: {packets:,} packets, {len(data) / 1e6:.1f} MB; events {dict(sorted(events.items()))}")
    if dissector.stats.errors:
        print(f"  dissector errors: {dict(dissector.stats.errors)}")

    def ours() -> None:
        for _ in dissect_capture(data):
            pass

    def ours_ndjson() -> None:
        for event in dissect_capture(data):
            event.to_json()

    rates = {
        "ours (events)": packets / _median(ours, args.repeats),
        "ours (+ NDJSON)": packets / _median(ours_ndjson, args.repeats),
    }
    tshark = shutil.which("tshark")
    if tshark is None:
        print("baseline: tshark not found (apt-get install tshark); no ratio")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "mixed.pcap"
            path.write_bytes(data)
            command = [tshark, "-n", "-r", str(path), "-T", "fields", "-E", "occurrence=f"]
            for name in TSHARK_FIELDS:
                command += ["-e", name]

            def baseline() -> None:
                subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)

            rates["tshark -T fields"] = packets / _median(baseline, args.repeats)

    print(f"{'':20s} {'packets/s':>12s}")
    for name, rate in rates.items():
        print(f"{name:20s} {rate:12,.0f}")
    ours_rate = rates["ours (events)"]
    verdict = "met" if ours_rate >= TARGET else "NOT met"
    stretch = "met" if ours_rate >= STRETCH else "not met"
    print(f"target {TARGET:,} packets/s: {verdict}; stretch {STRETCH:,}: {stretch}")
    if "tshark -T fields" in rates:
        ratio = ours_rate / rates["tshark -T fields"]
        print(f"ratio ours / tshark: {ratio:.1f}x (goal 3x)")


if __name__ == "__main__":
    main()
