"""HTTP over reassembled TCP: keep-alive past the first bytes, bodies skipped by length or
chunks, responses without bodies, capture gaps, and HTTP over UDP (SSDP)."""

from __future__ import annotations

from pcap_support import ether, ipv4, pcap, tcp_conversation, udp

from collectors.traffic.session import Dissector, dissect_capture
from soc_core.events import Event

CLIENT, SERVER = "192.0.2.10", "198.51.100.20"


def _http(frames: list[tuple[int, bytes]], dissector: Dissector | None = None) -> list[Event]:
    return [
        e for e in dissect_capture(pcap(frames), dissector=dissector) if e.event.dataset == "network.http"
    ]


def _summary(events: list[Event]) -> list[str]:
    out = []
    for event in events:
        assert event.http is not None
        if event.http.request is not None:
            assert event.url is not None
            out.append(f"{event.http.request.method} {event.url.original}")
        else:
            assert event.http.response is not None
            out.append(str(event.http.response.status_code))
    return out


def _request(path: str, extra: bytes = b"") -> bytes:
    return b"GET " + path.encode() + b" HTTP/1.1\r\nHost: www.example.com\r\n" + extra + b"\r\n"


def _response(body: bytes, status: bytes = b"200 OK") -> bytes:
    return b"HTTP/1.1 " + status + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body


def test_a_long_keep_alive_connection_is_read_to_its_end() -> None:
    body = bytes(range(256)) * 40  # 10 KiB each: far past the bytes kept for a head
    segments: list[tuple[str, bytes]] = []
    for n in range(30):
        segments += [("c", _request(f"/file/{n}")), ("s", _response(body))]
    events = _http(tcp_conversation(CLIENT, SERVER, 40000, 80, segments))
    assert _summary(events) == [x for n in range(30) for x in (f"GET /file/{n}", "200")]


def test_a_body_split_over_segments_is_skipped_unseen() -> None:
    response = _response(b"x" * 5000)
    segments = [
        ("c", _request("/a")),
        ("s", response[:100]),
        ("s", response[100:3000]),
        ("s", response[3000:]),
    ]
    segments += [("c", _request("/b")), ("s", _response(b"ok", b"404 Not Found"))]
    events = _http(tcp_conversation(CLIENT, SERVER, 40001, 80, segments))
    assert _summary(events) == ["GET /a", "200", "GET /b", "404"]


def test_chunked_bodies_with_extensions_and_trailers() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
        b"5;name=value\r\nhello\r\n" + b"1000\r\n" + b"y" * 4096 + b"\r\n0\r\nExpires: never\r\n\r\n"
    )
    upload = (
        b"POST /up HTTP/1.1\r\nHost: www.example.com\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n0\r\n\r\n"
    )
    segments = [
        ("c", _request("/one")),
        ("s", chunked[:40]),
        ("s", chunked[40:70]),
        ("s", chunked[70:]),
        ("c", upload),
        ("s", _response(b"")),
        ("c", _request("/two")),
        ("s", _response(b"done")),
    ]
    events = _http(tcp_conversation(CLIENT, SERVER, 40002, 80, segments))
    assert _summary(events) == ["GET /one", "200", "POST /up", "200", "GET /two", "200"]


def test_responses_without_a_body_head_304_and_interim() -> None:
    segments = [
        ("c", b"HEAD /big HTTP/1.1\r\nHost: www.example.com\r\n\r\n"),
        ("s", b"HTTP/1.1 200 OK\r\nContent-Length: 99999\r\n\r\n"),  # the size GET would get
        ("c", _request("/cached")),
        ("s", b"HTTP/1.1 304 Not Modified\r\nContent-Length: 123\r\n\r\n"),
        ("c", _request("/upload", b"Expect: 100-continue\r\n")),
        ("s", b"HTTP/1.1 100 Continue\r\n\r\n" + _response(b"fine")),
    ]
    events = _http(tcp_conversation(CLIENT, SERVER, 40003, 80, segments))
    assert _summary(events) == ["HEAD /big", "200", "GET /cached", "304", "GET /upload", "100", "200"]


def test_empty_lines_between_messages_are_tolerated() -> None:
    segments = [("c", _request("/a")), ("s", _response(b"hi") + b"\r\n"), ("c", b"\r\n" + _request("/b"))]
    segments.append(("s", _response(b"")))
    events = _http(tcp_conversation(CLIENT, SERVER, 40004, 80, segments))
    assert _summary(events) == ["GET /a", "200", "GET /b", "200"]


def test_a_request_line_without_protocol_is_still_a_request() -> None:
    segments = [("c", b"GET /gen.php?id=1\r\nHost: www.example.com\r\nUser-Agent: bot/1\r\n\r\n")]
    (event,) = _http(tcp_conversation(CLIENT, SERVER, 40005, 80, segments))
    assert event.http is not None and event.http.version is None
    assert event.user_agent is not None and event.user_agent.original == "bot/1"
    assert _summary([event]) == ["GET /gen.php?id=1"]


def test_a_capture_gap_inside_a_body_loses_nothing_after_it() -> None:
    response = _response(b"z" * 3000)
    segments = [
        ("c", _request("/a")),
        ("s", response[:1000]),
        ("s", response[1000:2000]),  # acknowledged by the client but not captured
        ("s", response[2000:]),
        ("c", _request("/b")),
        ("s", _response(b"")),
    ]
    events = _http(tcp_conversation(CLIENT, SERVER, 40006, 80, segments, lost=frozenset({2})))
    assert _summary(events) == ["GET /a", "200", "GET /b", "200"]


def test_a_capture_gap_inside_a_head_stops_that_direction_only() -> None:
    request_b = _request("/b", b"User-Agent: " + b"u" * 2000 + b"\r\n")
    segments = [
        ("c", _request("/a")),
        ("s", _response(b"one")),
        ("c", request_b[:1000]),
        ("c", request_b[1000:1500]),  # lost: the rest of this head cannot be read
        ("c", request_b[1500:]),
        ("s", _response(b"two", b"201 Created")),
    ]
    dissector = Dissector()
    events = _http(tcp_conversation(CLIENT, SERVER, 40007, 80, segments, lost=frozenset({3})), dissector)
    assert _summary(events) == ["GET /a", "200", "201"]


def test_ssdp_search_and_answer_over_udp() -> None:
    search = (
        b'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\n'
        b"MX: 1\r\nST: ssdp:all\r\nUSER-AGENT: Scanner/1.0\r\n\r\n"
    )
    answer = b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nST: upnp:rootdevice\r\n\r\n"
    frames = [
        (1_000_000_000, ether(ipv4(CLIENT, "239.255.255.250", 17, udp(50000, 1900, search)))),
        (1_100_000_000, ether(ipv4("192.0.2.1", CLIENT, 17, udp(1900, 50000, answer)))),
    ]
    events = _http(frames)
    assert _summary(events) == ["M-SEARCH *", "200"]
    assert events[0].url is not None and events[0].url.domain == "239.255.255.250"
    assert events[0].user_agent is not None and events[0].user_agent.original == "Scanner/1.0"


def test_pipelined_heads_split_anywhere_even_inside_the_method() -> None:
    requests = b"".join(_request(f"/p{n}") for n in range(6))
    responses = b"".join(_response(b"." * n) for n in range(6))
    cut_request = requests.index(b"GET /p3") + 2  # "GE" ends one segment, "T /p3" begins the next
    cut_response = responses.index(b"HTTP/1.1", 10) + 4
    segments = [
        ("c", requests[:cut_request]),
        ("c", requests[cut_request:]),
        ("s", responses[:cut_response]),
        ("s", responses[cut_response:]),
    ]
    events = _http(tcp_conversation(CLIENT, SERVER, 40008, 80, segments))
    assert _summary(events) == [f"GET /p{n}" for n in range(6)] + ["200"] * 6


def test_a_second_client_hello_after_a_retry_request_is_reported_too() -> None:
    from pcap_support import tls_client_hello, tls_server_hello

    application_data = b"\x17\x03\x03\x00\x20" + bytes(32)
    segments = [
        ("c", tls_client_hello("www.example.com")),
        ("s", tls_server_hello()),  # stands in for the HelloRetryRequest
        ("c", tls_client_hello("www.example.com", alpn=("http/1.1",))),
        ("s", tls_server_hello() + application_data),
        ("c", application_data),
    ]
    dissector = Dissector()
    events = list(
        dissect_capture(pcap(tcp_conversation(CLIENT, SERVER, 40009, 443, segments)), dissector=dissector)
    )
    hellos = [e for e in events if e.event.dataset == "network.tls" and e.tls and e.tls.client]
    assert [(e.tls.client.server_name, e.tls.next_protocol) for e in hellos if e.tls and e.tls.client] == [
        ("www.example.com", "h2"),
        ("www.example.com", "http/1.1"),
    ]
    assert dissector.stats.errors == {}
