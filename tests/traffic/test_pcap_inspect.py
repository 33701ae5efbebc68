"""``soc pcap inspect``: from an alert's flow or time to its packets, through tshark."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pcap_support import SECOND, T0, dns_message, ether, ipv4, pcap, tcp_session, udp

from collectors.traffic.pcapfile import read_capture
from collectors.traffic.ring import PcapRing
from collectors.traffic.session import dissect_capture
from soc_api.testing import run_soc

TSHARK = shutil.which("tshark")
pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark is not installed (apt-get install tshark)")

REQUEST = b"GET /admin.php?id=1%27%20or%201=1 HTTP/1.1\r\nHost: portal.example.com\r\n\r\n"
RESPONSE = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"


def _capture() -> bytes:
    frames = tcp_session("192.0.2.10", "198.51.100.20", 40000, 80, REQUEST, RESPONSE)
    frames += tcp_session("192.0.2.11", "198.51.100.20", 40001, 80, REQUEST, RESPONSE, t0=T0 + 20 * SECOND)
    query = ether(ipv4("192.0.2.10", "198.51.100.53", 17, udp(5353, 53, dns_message(1, "www.example.com"))))
    return pcap([*frames, (T0 + 30 * SECOND, query)])


def _community_id(data: bytes, client: str) -> str:
    for event in dissect_capture(data):
        if event.event.dataset == "network.flow" and event.source and event.source.ip == client:
            assert event.network is not None and event.network.community_id is not None
            return event.network.community_id
    raise AssertionError(f"no flow from {client}")


def test_a_flows_community_id_selects_exactly_its_packets(tmp_path: Path) -> None:
    data = _capture()
    path = tmp_path / "alert.pcap"
    path.write_bytes(data)
    flow = _community_id(data, "192.0.2.11")
    done = run_soc("pcap", "inspect", str(path), "--community-id", flow, "--format", "json")
    assert done.returncode == 0, done.stderr
    packets = json.loads(done.stdout)
    assert len(packets) == 8  # the whole second session, nothing of the first or of DNS
    layers = [packet["_source"]["layers"] for packet in packets]
    assert {layer["ip"]["ip.src"] for layer in layers} == {"192.0.2.11", "198.51.100.20"}
    assert {layer["communityid"] for layer in layers} == {flow}


def test_a_display_filter_with_the_flow_narrows_to_the_request(tmp_path: Path) -> None:
    path = tmp_path / "alert.pcap"
    data = _capture()
    path.write_bytes(data)
    flow = _community_id(data, "192.0.2.10")
    done = run_soc("pcap", "inspect", str(path), "--community-id", flow, "--filter", "http.request")
    assert done.returncode == 0, done.stderr
    assert "Hypertext Transfer Protocol" in done.stdout
    assert "GET /admin.php?id=1%27%20or%201=1 HTTP/1.1" in done.stdout
    assert done.stdout.count("Frame 4:") == 1 and "Frame 12:" not in done.stdout


def test_the_ring_of_a_data_directory_is_searched_by_time(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    packets = list(read_capture(_capture()))
    with PcapRing(data_dir / "pcap", max_bytes=1 << 20, file_bytes=600) as ring:
        for packet in packets:
            ring.write(packet)
        assert len(ring.files()) > 2
    start = "2026-11-27T08:00:19Z"  # the second session starts at 08:00:20
    done = run_soc(
        "pcap", "inspect", "--data", str(data_dir), "--start", start, "--end", "2026-11-27T08:00:29Z",
        "--filter", "ip.src == 192.0.2.11", "--format", "summary",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    # the client's five packets of the second session (SYN, ACK, request, FIN, last ACK)
    assert len(lines) == 5 and all("192.0.2.11 →" in line for line in lines)


def test_mistakes_are_named(tmp_path: Path) -> None:
    path = tmp_path / "alert.pcap"
    path.write_bytes(_capture())
    bad = run_soc("pcap", "inspect", str(path), "--filter", "http.request ==")
    assert bad.returncode == 2 and "tshark" in bad.stderr and "unexpected" in bad.stderr
    missing = run_soc("pcap", "inspect", str(tmp_path / "nope.pcap"))
    assert missing.returncode == 2 and "no such capture file" in missing.stderr
    no_start = run_soc("pcap", "inspect", "--data", str(tmp_path))
    assert no_start.returncode == 2 and "--start" in no_start.stderr
    empty = run_soc("pcap", "inspect", "--data", str(tmp_path), "--start", "2026-11-27T08:00:00Z")
    assert empty.returncode == 2 and "no ring file" in empty.stderr
