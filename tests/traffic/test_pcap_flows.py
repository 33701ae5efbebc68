"""Capture files → frames → flows: formats, damage, VLANs, IPv6, ICMP, timeouts, Community IDs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from pcap_support import (
    SECOND,
    T0,
    ether,
    icmp,
    ip_bytes,
    ipv4,
    ipv6,
    pcap,
    pcapng,
    tcp,
    tcp_session,
    udp,
)

from collectors.traffic.dissect import Frame, decode
from collectors.traffic.flows import community_id
from collectors.traffic.pcapfile import ReadStats, read_capture
from collectors.traffic.session import Dissector, dissect_capture
from soc_core.events import Event


def _flows(events: list[Event]) -> list[Event]:
    return [e for e in events if e.event.dataset == "network.flow"]


def test_community_id_matches_the_specification_vectors() -> None:
    # the examples published with the Community ID specification
    assert (
        community_id(6, ip_bytes("128.232.110.120"), ip_bytes("66.35.250.204"), 34855, 80)
        == "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
    )
    # direction does not matter
    assert community_id(6, ip_bytes("66.35.250.204"), ip_bytes("128.232.110.120"), 80, 34855) == (
        "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
    )


def test_a_tcp_session_is_one_flow_with_both_directions_counted() -> None:
    frames = tcp_session(
        "192.0.2.10", "198.51.100.20", 40000, 80, b"GET / HTTP/1.1\r\n\r\n", b"HTTP/1.1 200 OK\r\n\r\n"
    )
    events = list(dissect_capture(pcap(frames)))
    (flow,) = _flows(events)
    assert flow.source is not None and flow.destination is not None and flow.network is not None
    assert (flow.source.ip, flow.source.port, flow.destination.ip, flow.destination.port) == (
        "192.0.2.10",
        40000,
        "198.51.100.20",
        80,
    )
    assert (flow.source.packets, flow.destination.packets) == (5, 3)
    assert flow.source.bytes == sum(len(f) for i, (_, f) in enumerate(frames) if i in (0, 2, 3, 5, 7))
    assert flow.network.transport == "tcp" and flow.network.iana_number == "6"
    assert flow.network.community_id == community_id(
        6, ip_bytes("192.0.2.10"), ip_bytes("198.51.100.20"), 40000, 80
    )
    assert flow.event.type == ["connection", "end"] and flow.event.duration == 7_000_000
    assert flow.timestamp.isoformat() == "2026-11-27T08:00:00+00:00"
    assert flow.extra is not None
    assert flow.extra["shaowang"]["flow"]["tcp_flags"] == ["FIN", "SYN", "PSH", "ACK"]


def test_capture_started_mid_handshake_takes_the_server_from_the_syn_ack() -> None:
    frames = tcp_session("192.0.2.10", "198.51.100.20", 40000, 443, b"x", b"y")[1:]
    (flow,) = _flows(list(dissect_capture(pcap(frames))))
    assert flow.source is not None and flow.source.ip == "192.0.2.10" and flow.destination is not None
    assert flow.destination.port == 443


def test_pcapng_nanoseconds_and_two_interfaces() -> None:
    a = ether(ipv4("192.0.2.1", "198.51.100.1", 17, udp(5000, 9999, b"hello")))
    raw = ipv4("192.0.2.2", "198.51.100.2", 17, udp(5001, 9999, b"world"))
    data = pcapng([(0, T0 + 123_456_789, a), (1, T0 + 2 * SECOND, raw)], linktypes=(1, 101))
    stats = ReadStats()
    packets = list(read_capture(data, stats))
    assert [(p.linktype, p.ts_ns) for p in packets] == [(1, T0 + 123_456_789), (101, T0 + 2 * SECOND)]
    assert stats.errors == {}
    flows = _flows(list(dissect_capture(data)))
    assert sorted(f.source.ip for f in flows if f.source) == ["192.0.2.1", "192.0.2.2"]


def test_nanosecond_pcap_and_big_endian_magic_are_read() -> None:
    frame = ether(ipv4("192.0.2.1", "198.51.100.1", 17, udp(5000, 9999, b"x")))
    (packet,) = read_capture(pcap([(T0 + 7, frame)], nano=True))
    assert packet.ts_ns == T0 + 7


def test_damage_is_counted_and_the_rest_of_the_file_is_read() -> None:
    good = ether(ipv4("192.0.2.1", "198.51.100.1", 17, udp(5000, 9999, b"x" * 40)))
    bogus_ihl = ether(ipv4("192.0.2.2", "198.51.100.1", 17, udp(5000, 9999, b"x")))
    bogus_ihl = bogus_ihl[:14] + bytes([0x43]) + bogus_ihl[15:]  # IHL 3: 12 bytes
    cut_tcp = ether(ipv4("192.0.2.3", "198.51.100.1", 6, tcp(1, 2, flags="S")))
    header = pcap([])
    records = [
        pcap([(T0, good)])[24:],
        pcap([(T0 + 1, bogus_ihl)])[24:],
        pcap([(T0 + 2, cut_tcp)], snaplen=40)[24:],  # snaplen cuts it inside the TCP header
        pcap([(T0 + 3, good)])[24:],
    ]
    data = header + b"".join(records)
    dissector = Dissector()
    events = list(dissect_capture(data + b"\x01\x02\x03", dissector=dissector))  # and a cut tail
    stats = dissector.stats.as_dict()
    assert stats["errors"] == {
        "bogus IPv4 header length 12": 1,
        "TCP header cut short": 1,
        "pcap file cut inside a packet header": 1,
    }
    assert stats["packets"] == 4 and stats["frames_decoded"] == 2
    (flow,) = _flows(events)
    assert flow.source is not None and flow.source.packets == 2


def test_unknown_link_type_is_counted_per_packet() -> None:
    frame = ipv4("192.0.2.1", "198.51.100.1", 17, udp(1, 2, b"x"))
    dissector = Dissector()
    assert (
        list(dissect_capture(pcap([(T0, frame), (T0 + 1, frame)], linktype=147), dissector=dissector)) == []
    )
    assert dissector.stats.as_dict()["errors"] == {"unknown link type 147": 2}


def test_not_a_capture_file() -> None:
    dissector = Dissector()
    assert list(dissect_capture(b"hello world, not a pcap", dissector=dissector)) == []
    assert dissector.stats.as_dict()["errors"] == {"not a pcap or pcapng file": 1}


def test_vlan_qinq_ipv6_extension_headers_and_icmp_echo() -> None:
    frames = [
        (T0, ether(ipv4("192.0.2.5", "198.51.100.5", 17, udp(1234, 4321, b"q")), vlans=(100, 200))),
        (
            T0 + 1,
            ether(ipv6("2001:db8::1", "2001:db8::2", 6, tcp(5555, 22, flags="S"), hop_by_hop=True), v6=True),
        ),
        (T0 + 2, ether(ipv4("192.0.2.7", "198.51.100.7", 1, icmp(8)))),
        (T0 + 3, ether(ipv4("198.51.100.7", "192.0.2.7", 1, icmp(0)))),
        (T0 + 4, ether(ipv4("192.0.2.7", "198.51.100.7", 1, icmp(3, 3)))),
    ]
    found = _flows(list(dissect_capture(pcap(frames))))
    flows = {
        (f.network.transport if f.network else None, f.source.ip if f.source else None): f for f in found
    }
    udp_flow = flows[("udp", "192.0.2.5")]
    assert udp_flow.extra == {"shaowang": {"flow": {"vlan_id": 100}}}
    v6 = flows[("tcp", "2001:db8::1")]
    assert v6.destination is not None and v6.destination.port == 22 and v6.network is not None
    assert v6.network.type == "ipv6"
    echo = [f for f in found if f.network and f.network.transport == "icmp"]
    # the echo request and its reply are one flow; the unreachable message is another
    counts = sorted((f.source.packets, f.destination.packets) for f in echo if f.source and f.destination)
    assert counts == [(1, 0), (1, 1)]


def test_idle_and_active_timeouts() -> None:
    frame = ether(ipv4("192.0.2.1", "198.51.100.1", 17, udp(5000, 53, b"not dns")))
    late = [(T0 + k * 10 * SECOND, frame) for k in range(7)]  # one packet every 10 s for a minute
    events = _flows(list(dissect_capture(pcap(late), dissector=Dissector(active_timeout_s=30))))
    # reported at 30 s (3 packets), at 60 s (3 more), and the last at the end of the input
    assert [e.source.packets for e in events if e.source] == [3, 3, 1]
    assert [e.event.type for e in events] == [["connection"], ["connection"], ["connection", "end"]]
    gap = [(T0, frame), (T0 + 120 * SECOND, frame)]
    events = _flows(list(dissect_capture(pcap(gap), dissector=Dissector(idle_timeout_s=60))))
    assert [e.event.action for e in events] == ["flow_idle", "flow_end_of_input"]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.sampled_from([0, 1, 12, 101, 113, 228, 229, 276, 999]))
def test_any_frame_bytes_decode_or_give_a_reason(data: bytes, linktype: int) -> None:
    result = decode(linktype, data, 0, len(data))
    assert result is None or isinstance(result, str | Frame)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_any_file_bytes_never_raise(data: bytes) -> None:
    for prefix in (b"\xd4\xc3\xb2\xa1", b"\x0a\x0d\x0d\x0a", b""):
        dissector = Dissector()
        list(dissect_capture(prefix + data, dissector=dissector))


def test_http_heads_of_a_keep_alive_connection_become_events() -> None:
    request = (
        b"GET /login.php?user=admin HTTP/1.1\r\nHost: portal.example.com:8080\r\n"
        b"User-Agent: sqlmap/1.8\r\n\r\n"
        b"POST /api HTTP/1.1\r\nHost: portal.example.com\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2\r\n\r\n{}"
    )
    response = b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n"
    frames = tcp_session("192.0.2.10", "198.51.100.20", 40000, 8080, request, response)
    events = [e for e in dissect_capture(pcap(frames)) if e.event.dataset == "network.http"]
    requests = [e for e in events if e.http and e.http.request]
    assert [
        (e.http.request.method, e.url.original, e.url.domain)
        for e in requests
        if e.http and e.http.request and e.url
    ] == [
        ("GET", "/login.php?user=admin", "portal.example.com"),
        ("POST", "/api", "portal.example.com"),
    ]
    assert requests[0].user_agent is not None and requests[0].user_agent.original == "sqlmap/1.8"
    assert requests[0].source is not None and requests[0].source.ip == "192.0.2.10"
    (answer,) = [e for e in events if e.http and e.http.response]
    assert answer.http is not None and answer.http.response is not None
    assert answer.http.response.status_code == 403 and answer.event.outcome == "failure"
    assert answer.network is not None and requests[0].network is not None
    assert answer.network.community_id == requests[0].network.community_id
