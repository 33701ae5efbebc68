"""Framer: RFC 6587 framing detection, oversized records, and split-invariance (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.transports.framing import Framer
from soc_core.vocabulary import MAX_RECORD_BYTES

pytestmark = pytest.mark.timeout(120)


def frame_all(data: bytes, max_record_bytes: int = MAX_RECORD_BYTES) -> tuple[list[bytes], int]:
    framer = Framer(max_record_bytes)
    return framer.feed(data) + framer.close(), framer.errors


def frame_pieces(pieces: list[bytes], max_record_bytes: int = MAX_RECORD_BYTES) -> tuple[list[bytes], int]:
    framer = Framer(max_record_bytes)
    out: list[bytes] = []
    for piece in pieces:
        out += framer.feed(piece)
    return out + framer.close(), framer.errors


def octet(msg: bytes) -> bytes:
    return b"%d %s" % (len(msg), msg)


def test_lf_crlf_nul_and_octet_counting_mixed() -> None:
    stream = (
        b"<13>lf one\n"
        b"<13>crlf two\r\n"
        + octet(b"<13>octet three\nwith LF inside")
        + b"<13>nul four\x00"
        + octet(b"<13>five")
        + b"\n"  # a stray LF after an octet frame is tolerated (empty line)
        + b"<13>six\x00\n"
    )
    records, errors = frame_all(stream)
    assert records == [
        b"<13>lf one",
        b"<13>crlf two",
        b"<13>octet three\nwith LF inside",
        b"<13>nul four",
        b"<13>five",
        b"<13>six",
    ]
    assert errors == 0


def test_digit_led_lines_that_are_not_octet_counted() -> None:
    stream = b"2024-05-01T10:00:00 host msg\n12345678901 eleven digits is no header\n42\n"
    records, _ = frame_all(stream)
    assert records == [
        b"2024-05-01T10:00:00 host msg",
        b"12345678901 eleven digits is no header",
        b"42",
    ]


def test_empty_lines_are_records_and_one_cr_stripped() -> None:
    records, _ = frame_all(b"\n\r\n<1>a\r\r\n\n\n<1>b\n")
    assert records == [b"", b"", b"<1>a\r", b"", b"", b"<1>b"]


def test_lf_after_nul_or_octet_frame_is_a_trailer_not_a_record() -> None:
    records, _ = frame_all(b"<1>a\x00\n5 <1>bc\n<1>d\n")
    assert records == [b"<1>a", b"<1>bc", b"<1>d"]
    framer = Framer()
    assert framer.feed(b"<1>a\x00") == [b"<1>a"]
    assert framer.feed(b"\n5 <1>bc") == [b"<1>bc"]
    assert framer.feed(b"\n\n") == [b""]


def test_partial_line_is_kept_on_close() -> None:
    framer = Framer()
    assert framer.feed(b"<1>done\n<1>half") == [b"<1>done"]
    assert framer.close() == [b"<1>half"]
    assert framer.errors == 0


def test_partial_octet_frame_on_close_is_kept_and_counted() -> None:
    framer = Framer()
    assert framer.feed(b"20 <1>short") == []
    assert framer.close() == [b"<1>short"]
    assert framer.errors == 1


def test_undecided_digits_on_close() -> None:
    framer = Framer()
    assert framer.feed(b"<1>x\n123") == [b"<1>x"]
    assert framer.close() == [b"123"]


def test_exact_max_line_passes_whole() -> None:
    line = b"<1>" + b"a" * (MAX_RECORD_BYTES - 3)
    assert len(line) == 1_048_576
    for trailer in (b"\n", b"\r\n"):
        records, errors = frame_all(line + trailer + b"<1>next\n")
        assert [len(r) for r in records] == [MAX_RECORD_BYTES, 7]
        assert records[0] == line and errors == 0


@pytest.mark.parametrize("extra", [1, 2, 1000, MAX_RECORD_BYTES])
def test_oversized_line_truncated_to_max_plus_one(extra: int) -> None:
    line = b"<1>" + b"b" * (MAX_RECORD_BYTES - 3 + extra)
    stream = line + b"\n<1>next\n"
    whole, errors = frame_all(stream)
    assert whole == [line[: MAX_RECORD_BYTES + 1], b"<1>next"]
    assert errors == 1
    # The same in 64 KiB reads (the streaming path must agree and stay bounded).
    pieces = [stream[i : i + 65536] for i in range(0, len(stream), 65536)]
    assert frame_pieces(pieces) == (whole, 1)


def test_oversized_octet_frame_skips_exactly_its_length() -> None:
    body = b"<1>" + b"c" * 50
    stream = octet(body) + octet(b"<1>ok") + b"<1>lf\n"
    records, errors = frame_all(stream, max_record_bytes=10)
    assert records == [body[:11], b"<1>ok", b"<1>lf"]
    assert errors == 1
    assert frame_pieces([bytes([b]) for b in stream], max_record_bytes=10) == (records, errors)


def test_octet_frame_of_exactly_max_plus_one_is_flagged() -> None:
    body = b"\x00" * 11  # transparent framing: NULs are payload, not trailers
    for pieces in ([octet(body)], [bytes([b]) for b in octet(body)]):
        assert frame_pieces(pieces, max_record_bytes=10) == ([body], 1)
    assert frame_all(octet(body[:10]), max_record_bytes=10) == ([body[:10]], 0)


def test_bytes_one_at_a_time() -> None:
    stream = b"<1>a\r\n" + octet(b"<2>b") + b"<3>c\x00" + b"2024-05 d\n" + b"<5>e"
    expected = frame_all(stream)
    assert frame_pieces([bytes([b]) for b in stream]) == expected
    assert expected[0] == [b"<1>a", b"<2>b", b"<3>c", b"2024-05 d", b"<5>e"]


# -- property: any split of a valid stream yields the same records ----------------------------

SMALL_MAX = 24
_text = st.binary(min_size=0, max_size=40).map(
    lambda b: b.replace(b"\n", b"_").replace(b"\x00", b"_").replace(b"\r", b"_")
)
_prefix = st.sampled_from([b"<13>", b"<165>1 ", b"2024-05-01T", b"12345678901 ", b"7x"])


@st.composite
def messages(draw: st.DrawFn) -> tuple[str, bytes]:
    framing = draw(st.sampled_from(["lf", "crlf", "nul", "octet"]))
    if framing == "octet":
        return framing, draw(st.binary(min_size=1, max_size=40))  # transparent: any bytes
    return framing, draw(_prefix) + draw(_text)


def encode(framing: str, msg: bytes) -> bytes:
    return {"lf": msg + b"\n", "crlf": msg + b"\r\n", "nul": msg + b"\x00", "octet": octet(msg)}[framing]


def expected_record(msg: bytes) -> bytes:
    return msg if len(msg) <= SMALL_MAX else msg[: SMALL_MAX + 1]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(msgs=st.lists(messages(), min_size=1, max_size=25), data=st.data())
def test_random_splits_give_the_same_records(msgs: list[tuple[str, bytes]], data: st.DataObject) -> None:
    stream = b"".join(encode(f, m) for f, m in msgs)
    expected = [expected_record(m) for _, m in msgs]
    oversized = sum(1 for _, m in msgs if len(m) > SMALL_MAX)
    assert frame_all(stream, SMALL_MAX) == (expected, oversized)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=30)))
    pieces = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    assert frame_pieces(pieces, SMALL_MAX) == (expected, oversized)


@settings(max_examples=200, deadline=None)
@given(stream=st.binary(max_size=300), data=st.data())
def test_arbitrary_bytes_split_invariant(stream: bytes, data: st.DataObject) -> None:
    """Even junk frames the same way however it is chunked, and never grows past the bound."""
    whole = frame_all(stream, SMALL_MAX)
    assert all(len(r) <= SMALL_MAX + 1 for r in whole[0])
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=20)))
    pieces = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    assert frame_pieces(pieces, SMALL_MAX) == whole
