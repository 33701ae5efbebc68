"""Raw record bytes → ``Envelope``: size and content checks, text decoding, syslog header.

Pure (no I/O, no clock). Every rejection is a ``ParseError`` whose ``reason`` is a
``DeadLetterReason`` value, so the caller can dead-letter the record with a clear cause.

Decoding: UTF-8 (a leading BOM is dropped); a record cut inside its last UTF-8 character (UDP
syslog truncated by the device) keeps its text with U+FFFD at the end; otherwise GB18030, the
superset of the GBK that Chinese devices send; otherwise the record is undecodable.

Binary content: a NUL byte, or more than a tenth of control bytes, is refused. For a record that
starts with ``{`` (JSON) the share is not counted here (``Envelope.binary_checked`` is False):
``parse_record`` counts it only when
the parser it chose is not a strict JSON reader (``Parser.strict_json``), or when the record is
dead-lettered, so a binary blob that starts with ``{`` is still reported as binary.

Syslog headers: RFC 5424 (``<PRI>1 TS HOST APP PROCID MSGID SD MSG``) and RFC 3164 as
devices really write it: optional PRI (``<255>`` from NSFOCUS boxes is accepted), optional
space after it, BSD time with an optional year before or after the clock, ISO time, optional
hostname, optional ``TAG[pid]:``. What cannot be recognised stays in ``message``.
"""

from __future__ import annotations

import re
from typing import Final

from collectors.parsers.base import Envelope, SyslogHeader
from collectors.parsers.timeparse import MONTHS, resolve_timestamp
from soc_core.errors import ParseError
from soc_core.records import RawRecord
from soc_core.regex import compile_pattern
from soc_core.vocabulary import MAX_RECORD_BYTES, DeadLetterReason

__all__ = ["MAX_RECORD_BYTES", "decode_record", "refuse_binary", "resolve_timestamp", "split_syslog"]

_UTF8_BOM: Final = b"\xef\xbb\xbf"
# C0 controls except TAB, LF, CR, plus DEL: text logs almost never contain them.
_CONTROL_BYTES: Final = bytes(range(0x00, 0x09)) + b"\x0b\x0c" + bytes(range(0x0E, 0x20)) + b"\x7f"
# Every control byte made a space, every other byte kept: equal to the record when it has none.
_CONTROLS_TO_SPACE: Final = bytes(0x20 if byte in _CONTROL_BYTES else byte for byte in range(256))
# More than this share of control bytes means the record is not text (a 10% share survives
# an ANSI-coloured line; a binary blob has far more).
BINARY_CONTROL_SHARE: Final = 0.10

_PRI: Final = re.compile(r"<(\d{1,3})>")
_RFC3339: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})", re.ASCII | re.IGNORECASE
)
# One or more SD-ELEMENTs; quoted PARAM-VALUEs may contain ] and escaped quotes.
_SD: Final = compile_pattern(r'(?:\[(?:[^\]"]++|"(?:[^"\\]++|\\.)*+")*+\])++', re.DOTALL)
_TS_3164: Final = (
    r"(?P<ts>(?P<mon>[A-Za-z]{3})[ ]+\d{1,2}[ ]+(?:\d{4}[ ]+)?\d{1,2}:\d{2}:\d{2}(?:\.\d{1,9})?"
    r"(?:[ ]+(?:19|20)\d{2}(?=\s|$))?"
    r"|\d{4}[-/]\d{1,2}[-/]\d{1,2}[T ]\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?)"
    r"(?=\s|:\s|$):?"  # "Jun 18 2020 10:20:30: %ASA-..." has a colon after the time
)
# RFC 3164 TAG (letters, digits and the punctuation programs use) with an optional [pid].
_TAG_3164: Final = r"(?:\s+(?P<app>[\w.\-/@]{1,64})(?:\[(?P<pid>[^\]\s]{0,32})\])?:(?=\s|$))?"
# After the time comes the hostname: a word without characters that only messages contain
# and not ending in ":" (that is a tag: "su: ..." from a host that omits its name).
_HOST_3164: Final = r"(?:\s+(?P<host>[^\s=\"'{}%|,;<>\[\]]+)(?<!:)(?=\s|$))?"
_H3164: Final = re.compile(rf"[ ]*{_TS_3164}{_HOST_3164}{_TAG_3164}\s*")
_H3164_NO_TIME: Final = re.compile(
    r"[ ]*(?:(?P<app>[\w.\-/@]{1,64})(?:\[(?P<pid>[^\]\s]{0,32})\])?:(?=\s|$))?\s*"
)


def decode_record(record: RawRecord, *, max_bytes: int = MAX_RECORD_BYTES) -> Envelope:
    """The record's text and syslog header; raises ``ParseError`` with a dead-letter reason."""
    data = record.data
    if len(data) > max_bytes:
        raise ParseError(
            f"record of {len(data)} bytes exceeds the {max_bytes}-byte limit",
            where=record.where,
            reason=DeadLetterReason.TOO_LONG.value,
        )
    if data.startswith(_UTF8_BOM):
        data = data[3:]
    if not data or data.isspace():
        raise ParseError("empty record", where=record.where, reason=DeadLetterReason.EMPTY.value)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ParseError(
            f"binary content: NUL byte at offset {nul}",
            where=record.where,
            reason=DeadLetterReason.BINARY.value,
        )
    binary_checked = data[0] != 0x7B  # "{": JSON, see the module docstring
    if binary_checked:
        refuse_binary(data, record)
    try:  # the common case inline (a call and a tuple less per record); the rest in _decode_text
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = _decode_text(data, record)
    text = text.rstrip("\r\n")
    header, message = split_syslog(text)
    return Envelope(
        text=text, message=message, encoding=encoding, syslog=header, binary_checked=binary_checked
    )


def refuse_binary(data: bytes, record: RawRecord) -> None:
    """Raise a ``binary content`` ``ParseError`` when control bytes are over their share of ``data``."""
    if data.startswith(_UTF8_BOM):
        data = data[3:]
    if data.translate(_CONTROLS_TO_SPACE) == data:  # none: the common case, and the cheap pass
        return
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if controls > len(data) * BINARY_CONTROL_SHARE:
        raise ParseError(
            f"binary content: {controls} of {len(data)} bytes are control characters",
            where=record.where,
            reason=DeadLetterReason.BINARY.value,
        )


def _decode_text(data: bytes, record: RawRecord) -> tuple[str, str]:
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.end == len(data):
            # Cut inside the last character: keep the text, mark the cut.
            try:
                return data[: exc.start].decode("utf-8") + "\ufffd", "utf-8"
            except UnicodeDecodeError:
                pass
        utf8_error = exc
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise ParseError(
            f"undecodable: not UTF-8 (byte 0x{data[utf8_error.start]:02x} at offset {utf8_error.start}) "
            f"nor GB18030 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            where=record.where,
            reason=DeadLetterReason.ENCODING.value,
        ) from None


def split_syslog(text: str) -> tuple[SyslogHeader | None, str]:
    """The syslog header of ``text`` (None if it has none) and the message after it."""
    if text.startswith("{"):  # a bare JSON record (EVE, Zeek, …): no header to look for
        return None, text
    pri: int | None = None
    pos = 0
    if text.startswith("<"):
        m = _PRI.match(text)
        if m is not None:
            value = int(m.group(1))
            if value <= 255:
                pri, pos = value, m.end()
    if pri is not None and text.startswith("1 ", pos):
        parsed = _split_5424(text, pos + 2, pri)
        if parsed is not None:
            return parsed
    return _split_3164(text, pos, pri)


def _nil(field: str) -> str | None:
    return None if field == "-" else field


def _split_5424(text: str, pos: int, pri: int) -> tuple[SyslogHeader, str] | None:
    parts = text[pos:].split(" ", 5)
    if len(parts) < 5 or not all(parts[:5]):
        return None
    stamp, host, app, procid, msgid = parts[:5]
    if stamp != "-" and _RFC3339.fullmatch(stamp) is None:
        return None
    rest = parts[5] if len(parts) == 6 else ""
    sd: str | None = None
    if rest == "" or rest == "-":
        message = ""
    elif rest.startswith("- "):
        message = rest[2:]
    elif rest.startswith("["):
        m = _SD.match(rest)
        if m is None:
            return None
        sd = m.group()
        message = rest[m.end() :]
        if message and not message.startswith(" "):
            return None
        message = message[1:]
    else:
        return None
    if message.startswith("\ufeff"):  # RFC 5424 §6.4: BOM marks a UTF-8 MSG
        message = message[1:]
    header = SyslogHeader(
        rfc=5424,
        priority=pri,
        facility=pri >> 3,
        severity=pri & 7,
        timestamp_text=_nil(stamp),
        hostname=_nil(host),
        appname=_nil(app),
        procid=_nil(procid),
        msgid=_nil(msgid),
        structured_data=sd,
        version=1,
    )
    return header, message


def _split_3164(text: str, pos: int, pri: int | None) -> tuple[SyslogHeader | None, str]:
    # One groups() call instead of a group() call per field: this runs for every syslog line.
    m = _H3164.match(text, pos)
    if m is not None:
        stamp, mon, host, app, pid = m.groups()  # the named groups, in pattern order
        if mon is not None and mon.lower() not in MONTHS:
            m = None
    if m is None:
        if pri is None:
            return None, text
        stamp = host = None
        m = _H3164_NO_TIME.match(text, pos)
        if m is None:  # cannot happen: every part of the pattern is optional
            return None, text
        app, pid = m.groups()
    if pri is None:
        header = SyslogHeader(rfc=3164, timestamp_text=stamp, hostname=host, appname=app, procid=pid or None)
    else:
        header = SyslogHeader(
            rfc=3164,
            priority=pri,
            facility=pri >> 3,
            severity=pri & 7,
            timestamp_text=stamp,
            hostname=host,
            appname=app,
            procid=pid or None,
        )
    return header, text[m.end() :]
