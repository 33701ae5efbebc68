"""Decoding, syslog headers, timestamps, and the never-raise / never-lose property of parse_record."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from collectors.decode import decode_record, refuse_binary, resolve_timestamp, split_syslog
from collectors.parse import ParseOutcome, parse_record
from soc_core.errors import ParseError
from soc_core.records import RawRecord
from soc_core.vocabulary import DEAD_LETTER_DATASET, MAX_RECORD_BYTES, DeadLetterReason

UTC = dt.UTC
RECEIVED = dt.datetime(2026, 11, 27, 8, 0, tzinfo=UTC).timestamp()


def rec(data: bytes, **kw: object) -> RawRecord:
    return RawRecord(data=data, received_at=kw.pop("received_at", RECEIVED), **kw)  # type: ignore[arg-type]


def reason_of(data: bytes, **kw: int) -> str:
    with pytest.raises(ParseError) as info:
        decode_record(rec(data), **kw)
    return info.value.reason


# -- decoding -------------------------------------------------------------------------------


def test_rejections_carry_dead_letter_reasons() -> None:
    assert reason_of(b"") == DeadLetterReason.EMPTY
    assert reason_of(b" \r\n") == DeadLetterReason.EMPTY
    assert reason_of(b"\xef\xbb\xbf") == DeadLetterReason.EMPTY
    assert reason_of(b"a" * 11, max_bytes=10) == DeadLetterReason.TOO_LONG
    assert reason_of(b"abc\x00def") == DeadLetterReason.BINARY
    assert reason_of(bytes(range(1, 8)) * 4 + b"text") == DeadLetterReason.BINARY
    assert reason_of(b"\xff\xfe\xfa") == DeadLetterReason.ENCODING


def test_error_message_says_where() -> None:
    with pytest.raises(ParseError) as info:
        decode_record(
            RawRecord(data=b"\x00", received_at=RECEIVED, origin="syslog/udp", peer="192.0.2.9:514")
        )
    assert "syslog/udp[192.0.2.9:514]" in str(info.value)


def test_utf8_with_bom_and_crlf() -> None:
    env = decode_record(rec("\ufeff用户=张三 a=1\r\n".encode()))
    assert env.encoding == "utf-8"
    assert env.text == "用户=张三 a=1"
    assert env.syslog is None and env.message == env.text


def test_gbk_falls_back_to_gb18030() -> None:
    env = decode_record(rec("<134>Nov 27 15:51:00 ac01 动作=拒绝 用户=王五".encode("gbk")))
    assert env.encoding == "gb18030"
    assert env.message == "动作=拒绝 用户=王五"
    assert "拒绝".encode("gbk").decode("gb18030") == "拒绝"


def test_utf8_cut_inside_last_character_is_kept() -> None:
    data = "msg=拒绝访问".encode()[:-1]
    env = decode_record(rec(data))
    assert env.encoding == "utf-8"
    assert env.text == "msg=拒绝访\ufffd"


def test_ansi_colour_is_not_binary() -> None:
    assert decode_record(rec(b"\x1b[31mERROR\x1b[0m src=192.0.2.1 dst=192.0.2.2 something long enough")).text


# -- syslog headers ------------------------------------------------------------------------


def test_rfc5424_full() -> None:
    text = (
        '<165>1 2026-11-27T15:58:00.123+08:00 gw01 filterd 2817 ID47 [a@1 x="1\\"]" y="2"][b@2] \ufeffhello'
    )
    header, message = split_syslog(text)
    assert header is not None and header.rfc == 5424
    assert (header.priority, header.facility, header.severity) == (165, 20, 5)
    assert header.timestamp_text == "2026-11-27T15:58:00.123+08:00"
    names = (header.hostname, header.appname, header.procid, header.msgid)
    assert names == ("gw01", "filterd", "2817", "ID47")
    assert header.structured_data == '[a@1 x="1\\"]" y="2"][b@2]'
    assert message == "hello"


def test_rfc5424_nil_values() -> None:
    header, message = split_syslog("<14>1 - - - - - - msg body")
    assert header is not None and header.rfc == 5424
    assert header.timestamp_text is None and header.hostname is None and header.structured_data is None
    assert message == "msg body"


def test_rfc5424_lookalike_falls_back_to_3164() -> None:
    header, message = split_syslog("<142>1 1.1.1.1 2013 Nov 26 11:43:16 FW x")
    assert header is not None and header.rfc == 3164 and header.priority == 142
    assert message.startswith("1 1.1.1.1")


@pytest.mark.parametrize(
    ("text", "stamp", "host", "app", "pid", "message"),
    [
        (
            "<34>Oct 11 22:14:15 mymachine su: 'su root' failed",
            "Oct 11 22:14:15",
            "mymachine",
            "su",
            None,
            "'su root' failed",
        ),
        ("<13>Feb  5 17:32:18 sshd[4242]: Accepted", "Feb  5 17:32:18", None, "sshd", "4242", "Accepted"),
        (
            "<190>Aug 23 2026 10:39:28 DC_SW131 %%01INFO/6/X(l)[4048]:Last",
            "Aug 23 2026 10:39:28",
            "DC_SW131",
            None,
            None,
            "%%01INFO/6/X(l)[4048]:Last",
        ),
        (
            "<6> Dec 01 16:15:43 2026 FW-F1050-1&2 %%10session/6/SESSION: a=1",
            "Dec 01 16:15:43 2026",
            "FW-F1050-1&2",
            None,
            None,
            "%%10session/6/SESSION: a=1",
        ),
        (
            "<14>2026-09-19 15:42:18 DPTECH %%--DPX/WEB/6/OPERLOG(l): x",
            "2026-09-19 15:42:18",
            "DPTECH",
            None,
            None,
            "%%--DPX/WEB/6/OPERLOG(l): x",
        ),
        (
            "<14>2026-11-27T15:42:18.5+08:00 host app[1]: m",
            "2026-11-27T15:42:18.5+08:00",
            "host",
            "app",
            "1",
            "m",
        ),
        (
            "Nov 27 08:00:00 host sshd[1]: Failed password",
            "Nov 27 08:00:00",
            "host",
            "sshd",
            "1",
            "Failed password",
        ),
        (
            "<166>Jun 18 2026 10:20:30: %ASA-6-302013: Built",
            "Jun 18 2026 10:20:30",
            None,
            None,
            None,
            "%ASA-6-302013: Built",
        ),
        (
            "<14>Aug 3 10:26:10 localhost waf: tag:waf_log",
            "Aug 3 10:26:10",
            "localhost",
            "waf",
            None,
            "tag:waf_log",
        ),
        (
            '<6> Nov 27 15:59:43 2026 NSG devid="3" x=1',
            "Nov 27 15:59:43 2026",
            "NSG",
            None,
            None,
            'devid="3" x=1',
        ),
    ],
)
def test_rfc3164_variants(
    text: str, stamp: str, host: str | None, app: str | None, pid: str | None, message: str
) -> None:
    header, got = split_syslog(text)
    assert header is not None and header.rfc == 3164
    assert (header.timestamp_text, header.hostname, header.appname, header.procid) == (stamp, host, app, pid)
    assert got == message


def test_pri_without_time() -> None:
    header, message = split_syslog("<157>logserver: devid=0 a=1")
    assert header is not None and header.priority == 157 and header.appname == "logserver"
    assert header.timestamp_text is None and message == "devid=0 a=1"
    header, message = split_syslog("<255>user:weboper;loginip:192.0.2.1")
    assert header is not None and header.severity == 7 and message == "user:weboper;loginip:192.0.2.1"


def test_no_header() -> None:
    assert split_syslog('{"a": 1}') == (None, '{"a": 1}')
    assert split_syslog("time=x src=192.0.2.1") == (None, "time=x src=192.0.2.1")
    assert split_syslog("Foo 27 08:00:00 x")[0] is None  # not a month


# -- timestamps ----------------------------------------------------------------------------


def ts(
    text: str, received: dt.datetime = dt.datetime(2026, 11, 27, 8, 0, tzinfo=UTC), tz: str = "Asia/Shanghai"
) -> dt.datetime:
    return resolve_timestamp(text, received_at=received.timestamp(), tz=tz)


def test_rfc3339_offsets() -> None:
    assert ts("2026-11-27T16:00:00+08:00") == dt.datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    assert ts("2026-11-27T08:00:00Z") == dt.datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    nanos = ts("2026-11-27T08:00:00.123456789-05:30")
    assert nanos == dt.datetime(2026, 11, 27, 13, 30, 0, 123456, tzinfo=UTC)


def test_local_time_uses_the_device_zone() -> None:
    assert ts("2026-11-27 16:00:00") == dt.datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    assert ts("2026/7/2 16:39:32") == dt.datetime(2026, 7, 2, 8, 39, 32, tzinfo=UTC)
    assert ts("20261127 16:00:18") == dt.datetime(2026, 11, 27, 8, 0, 18, tzinfo=UTC)
    assert ts("2026-11-27 16:00:00", tz="UTC") == dt.datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    # New York in summer is UTC-4, in winter UTC-5 (zoneinfo knows DST)
    assert ts("2026-07-01 12:00:00", tz="America/New_York") == dt.datetime(2026, 7, 1, 16, 0, tzinfo=UTC)
    assert ts("2026-12-01 12:00:00", tz="America/New_York") == dt.datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    assert ts("Aug 23 2026 10:39:28") == dt.datetime(2026, 8, 23, 2, 39, 28, tzinfo=UTC)
    assert ts("Dec  1 19:35:56 2025") == dt.datetime(2025, 12, 1, 11, 35, 56, tzinfo=UTC)


def test_epoch_values() -> None:
    assert ts("1795766400") == dt.datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    assert ts("1795766400500") == dt.datetime(2026, 11, 27, 8, 0, 0, 500000, tzinfo=UTC)


def test_year_resolution_around_new_year() -> None:
    new_year = dt.datetime(2026, 12, 31, 16, 0, 30, tzinfo=UTC)  # 00:00:30 on 1 Jan 2027 in Shanghai
    # a December line received just after midnight belongs to the old year
    assert ts("Dec 31 23:59:58", new_year) == dt.datetime(2026, 12, 31, 15, 59, 58, tzinfo=UTC)
    # a January line is this year's
    assert ts("Jan  1 00:00:10", new_year) == dt.datetime(2026, 12, 31, 16, 0, 10, tzinfo=UTC)
    before = dt.datetime(2026, 12, 31, 15, 59, 50, tzinfo=UTC)  # 23:59:50 on 31 Dec in Shanghai
    # a device clock a little fast across midnight: next year, within a day
    assert ts("Jan  1 00:00:05", before) == dt.datetime(2026, 12, 31, 16, 0, 5, tzinfo=UTC)
    # a line from two days in the future is last year's
    assert ts("Dec  2 10:00:00", dt.datetime(2026, 11, 30, 0, 0, tzinfo=UTC)).year == 2025
    assert ts("Nov 28 10:00:00", dt.datetime(2026, 11, 27, 8, 0, tzinfo=UTC)).year == 2026  # < 1 day ahead
    # 29 February goes to the latest leap year
    assert ts("Feb 29 12:00:00", dt.datetime(2027, 3, 1, tzinfo=UTC)).year == 2024


def test_bad_timestamps() -> None:
    for text in ("", "yesterday", "2026-13-01 00:00:00", "Foo 12 10:00:00", "Apr 31 10:00:00"):
        with pytest.raises(ValueError):
            ts(text)
    with pytest.raises(ValueError, match="timezone"):
        ts("2026-11-27 16:00:00", tz="Mars/Olympus")


# -- parse_record: never raises, never loses ----------------------------------------------------


def check_outcome(data: bytes, outcome: ParseOutcome) -> None:
    if outcome.dead_letter is None:
        assert outcome.events
        for event in outcome.events:
            assert event.event.original is not None
            assert event.timestamp.tzinfo is not None
            event.to_json()
        return
    assert outcome.events == []
    dead = outcome.dead_letter
    assert dead.event.kind == "pipeline_error" and dead.event.dataset == DEAD_LETTER_DATASET
    assert dead.error is not None and dead.error.type in {r.value for r in DeadLetterReason}
    assert dead.error.message
    assert dead.extra is not None
    assert base64.b64decode(dead.extra["shaowang"]["deadletter"]["raw_b64"]) == data
    assert len(dead.event.original or "") <= MAX_RECORD_BYTES
    dead.to_json()


texts = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
kv_lines = st.lists(
    st.tuples(
        st.sampled_from(["src", "dst", "sport", "action", "time", "用户", "msg", "x y", "a=b"]),
        st.one_of(texts, st.sampled_from(["192.0.2.1", "2001:db8::1", "65536", "deny", '"q"', "Nov 2"])),
    ),
    max_size=8,
).map(lambda pairs: " ".join(f"{k}={v}" for k, v in pairs))
inputs = st.one_of(
    st.binary(max_size=400),
    texts.map(lambda s: s.encode("utf-8")),
    texts.map(lambda s: s.encode("gb18030")),
    kv_lines.map(lambda s: s.encode("utf-8")),
    kv_lines.map(lambda s: ("<134>Nov 27 16:00:00 host app: " + s).encode("gbk", "replace")),
    st.builds(lambda a, b: a + b"\x00" + b, st.binary(max_size=40), st.binary(max_size=40)),
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts),
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(
                st.sampled_from(
                    ["@timestamp", "event", "source", "src_ip", "time", "source.port", "message", "k"]
                ),
                children,
                max_size=5,
            ),
        ),
        max_leaves=20,
    ).map(lambda v: __import__("json").dumps(v, ensure_ascii=False).encode()),
)


@settings(max_examples=600)
@given(
    data=inputs,
    fmt=st.sampled_from(["auto", "syslog.kv", "json.log", "no.such"]),
    hint=st.sampled_from([None, "json.log", "huawei.usg"]),
)
@example(data=b"", fmt="auto", hint=None)
@example(data=b"\x00" * 10, fmt="auto", hint=None)
@example(data="拒绝".encode("gbk"), fmt="auto", hint=None)
@example(data=b"[" * 5000 + b"]" * 5000, fmt="json.log", hint=None)
@example(data=b'{"a":' * 100 + b"1" + b"}" * 100, fmt="auto", hint=None)
@example(data=b'{"@timestamp": 1e400}', fmt="auto", hint=None)
@example(data=b'{"@timestamp": 99999999999999999999999999999999999999999999}', fmt="auto", hint=None)
@example(data=b'{"event": {"kind": ["x"]}, "source": {"port": "x"}}', fmt="auto", hint=None)
def test_parse_record_never_raises_and_never_loses(data: bytes, fmt: str, hint: str | None) -> None:
    outcome = parse_record(rec(data, hint=hint), fmt=fmt)
    check_outcome(data, outcome)


def test_megabyte_lines() -> None:
    big = b"a=" + b"x" * MAX_RECORD_BYTES
    outcome = parse_record(rec(big))
    check_outcome(big, outcome)
    assert outcome.dead_letter is not None and outcome.dead_letter.error is not None
    assert outcome.dead_letter.error.type == DeadLetterReason.TOO_LONG
    # just under the limit parses, and in linear time (no regex backtracking blow-up)
    for almost in (
        b"a=1 " + b" " * (MAX_RECORD_BYTES - 20) + b"x",
        b"k=" + b"v " * (MAX_RECORD_BYTES // 2 - 4),
        b"<1>" + b"=" * (MAX_RECORD_BYTES - 10),
    ):
        check_outcome(almost, parse_record(rec(almost)))


def test_bad_received_at_and_timezone_do_not_raise() -> None:
    check_outcome(b"a=1 b=2", parse_record(rec(b"a=1 b=2", received_at=float("nan"))))
    check_outcome(
        b"<1>Nov 27 10:00:00 h a=1 b=2", parse_record(rec(b"<1>Nov 27 10:00:00 h a=1 b=2", received_at=1e300))
    )
    outcome = parse_record(rec(b"a=1 b=2", timezone="Mars/Olympus"))
    assert outcome.dead_letter is not None and outcome.dead_letter.error is not None
    assert "Mars/Olympus" in (outcome.dead_letter.error.message or "")


def test_json_records_leave_the_binary_share_to_parse_record() -> None:
    """A record starting with "{" is not counted here (``parse_record`` does it when needed);
    NUL bytes are refused whatever the record."""
    blob = b"{" + bytes(range(1, 8)) * 4 + b"}"
    envelope = decode_record(rec(blob))
    assert envelope.text == blob.decode() and envelope.binary_checked is False
    assert decode_record(rec(b"<14>Nov 27 16:00:00 host a=1")).binary_checked is True
    with pytest.raises(ParseError) as info:
        refuse_binary(blob, rec(blob))
    assert info.value.reason == DeadLetterReason.BINARY
    assert "binary content: 28 of 30 bytes" in str(info.value)
    refuse_binary(b'{"a": "tab\there"}', rec(b""))  # TAB, LF, CR are text
    assert reason_of(b"{\x00}") == DeadLetterReason.BINARY
    assert reason_of(b"\xef\xbb\xbf" + bytes(range(1, 8)) * 4) == DeadLetterReason.BINARY
