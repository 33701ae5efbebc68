"""Syslog stream framing (RFC 6587 / RFC 5425), as a pure, socket-free splitter.

Two framings are auto-detected *per message*, because real senders mix them:

* octet counting — ``MSG-LEN SP MSG`` (``123 <34>1 …``): a message starting with 1–10 ASCII
  digits followed by a space. RFC 6587 §3.4.1 and RFC 5425 §4.3.
* non-transparent framing — the message ends at LF. A CR before the LF is stripped (CRLF
  senders) and NUL is accepted as a trailer/separator too (RFC 6587 §3.4.2 notes both).
  An empty line is still a record: it is passed on (and dead-lettered as ``empty_record``)
  so that nothing received goes uncounted.

Like every RFC 6587 receiver, a non-transparent line that happens to start with
``digits SP`` is read as an octet-counted frame; syslog lines start with ``<PRI>`` so real
traffic does not hit this.

Records longer than ``max_record_bytes``: the first ``max_record_bytes + 1`` bytes are
emitted as ONE record (so the pipeline dead-letters it as too long, with the bytes it has)
and the rest of that record — up to the next LF, or the declared octet count — is
discarded; ``errors`` is incremented. Memory stays bounded by about
``max_record_bytes + chunk``. A record of exactly ``max_record_bytes`` passes untouched.

The hot path (LF framing) does all splitting with ``bytes.split``/``find``/``re`` in C;
Python-level per-record loops run only when a chunk actually contains CR, NUL, empty
lines, digit-led messages or oversized lines.
"""

from __future__ import annotations

import re

from soc_core.vocabulary import MAX_RECORD_BYTES

__all__ = ["Framer"]

# Where a message following a trailer starts with a digit: it may be octet-counted, so the
# fast LF path must stop there and let the per-message detector look at it.
_DIGIT_LED = re.compile(rb"\n[0-9]")  # literal prefix: re scans this at memchr speed
_DIGIT_LED_NUL = re.compile(rb"[\n\x00][0-9]")  # ~15x slower; only for buffers holding NUL
_OCTET_HEADER = re.compile(rb"([0-9]{1,10}) ")
_MAX_HEADER = 11  # 10 digits + SP: longer digit runs cannot be a header (and would overflow)

# Parsing states between feeds.
_START = 0  # at a message boundary; ``_head`` may hold an undecided digit prefix
_LINE = 1  # inside a non-transparent line; ``_parts`` holds what we have of it
_OCTET = 2  # inside an octet-counted frame; ``_need`` bytes still to collect
_SKIP_LINE = 3  # discarding the rest of an oversized line up to the next LF/NUL
_SKIP_OCTETS = 4  # discarding ``_need`` bytes of an oversized octet-counted frame


class Framer:
    """Split a syslog byte stream into records; ``feed`` chunks, then ``close``.

    ``errors`` counts oversized records and frames cut short by ``close``.
    """

    __slots__ = ("_eat_lf", "_head", "_max", "_need", "_over", "_parts", "_plen", "_state", "errors")

    def __init__(self, max_record_bytes: int = MAX_RECORD_BYTES) -> None:
        self._max = max_record_bytes
        self._state = _START
        self._head = b""
        self._parts: list[bytes] = []
        self._plen = 0
        self._need = 0
        self._over = 0  # octet frame: bytes beyond the kept max+1 still to discard
        self._eat_lf = False  # an octet frame just ended: a LF right after it is its trailer
        self.errors = 0

    # -- public ---------------------------------------------------------------------------

    def feed(self, data: bytes) -> list[bytes]:
        """Records completed by ``data``, in order (framing removed)."""
        out: list[bytes] = []
        if not data:
            return out
        if self._eat_lf:
            self._eat_lf = False
            data = _strip_octet_trailer(data)
            if not data:
                return out
        state = self._state
        if state == _LINE:
            data = self._continue_line(data, out)
        elif state == _OCTET:
            data = self._continue_octets(data, out)
        elif state == _SKIP_LINE:
            data = self._skip_line(data)
        elif state == _SKIP_OCTETS:
            data = self._skip_octets(data)
        if data and self._state == _START:
            if self._head:
                data = self._head + data
                self._head = b""
            self._scan(data, out)
        return out

    def close(self) -> list[bytes]:
        """Flush what was received of an unterminated last record (the stream ended)."""
        out: list[bytes] = []
        if self._state == _LINE:
            line = b"".join(self._parts)
            if line.endswith(b"\r"):
                line = line[:-1]
            self._emit_line(line, out)
        elif self._state == _OCTET:
            # The sender promised more bytes than it sent: keep what arrived, flag it.
            self.errors += 1
            if self._plen:
                out.append(b"".join(self._parts))
        elif self._head:
            out.append(self._head)  # a bare "123" with no trailer: a (short) partial line
        self._reset()
        return out

    # -- internals ------------------------------------------------------------------------

    def _reset(self) -> None:
        self._state = _START
        self._head = b""
        self._parts = []
        self._plen = 0
        self._need = 0
        self._over = 0

    def _emit_line(self, line: bytes, out: list[bytes]) -> None:
        if len(line) > self._max:
            self.errors += 1
            line = line[: self._max + 1]
        out.append(line)

    def _scan(self, buf: bytes, out: list[bytes]) -> None:
        """Parse ``buf`` from a message boundary; leaves state set for any incomplete tail."""
        n = len(buf)
        pos = 0
        limit = self._max + 1
        digit_led = _DIGIT_LED_NUL if b"\x00" in buf else _DIGIT_LED
        while pos < n:
            if 48 <= buf[pos] <= 57:  # digit: maybe an octet-counting header
                m = _OCTET_HEADER.match(buf, pos)
                if m is not None:
                    length = int(m.group(1))
                    start = m.end()
                    keep = length
                    if length > self._max:  # oversized: keep max+1 bytes, drop the rest
                        self.errors += 1
                        keep = limit
                    if n - start >= keep:
                        if keep:
                            out.append(buf[start : start + keep])
                        pos = start + keep
                        if length == keep:
                            # Some senders end octet-counted frames with LF too: not a record.
                            if pos == n:
                                self._eat_lf = True
                            elif buf[pos] == 10:
                                pos += 1
                            elif buf[pos : pos + 2] == b"\r\n":
                                pos += 2
                        if length > keep:
                            pos = start + length
                            if pos > n:
                                self._need = pos - n
                                self._state = _SKIP_OCTETS
                                return
                        continue
                    # Frame incomplete: collect it across feeds.
                    self._parts = [buf[start:]]
                    self._plen = n - start
                    self._need = keep - self._plen
                    self._over = length - keep
                    self._state = _OCTET
                    return
                if n - pos < _MAX_HEADER and buf[pos:].isdigit():
                    self._head = buf[pos:]  # cannot decide yet: header may continue
                    return
                # Digits without a header: an ordinary line (falls through to the LF path).
            m2 = digit_led.search(buf, pos)
            seg_end = m2.start() + 1 if m2 is not None else n
            seg = buf[pos:seg_end] if (pos or seg_end != n) else buf
            pos = seg_end
            if b"\x00" in seg:
                # NUL is a trailer (``msg\0\n`` is one record) or a separator.
                if seg.endswith(b"\x00") and pos == n:
                    self._eat_lf = True  # the LF may come in the next chunk
                seg = seg.replace(b"\x00\n", b"\n").replace(b"\x00", b"\n")
            lines = seg.split(b"\n")
            tail = lines.pop()  # b"" when seg ends with a trailer
            if b"\r" in seg:
                lines = [x[:-1] if x[-1:] == b"\r" else x for x in lines]
            if len(seg) > limit:
                for i, x in enumerate(lines):
                    if len(x) > self._max:
                        self.errors += 1
                        lines[i] = x[:limit]
            out.extend(lines)
            if tail:
                # Unterminated line: only possible at the end of buf (no m2 match).
                self._parts = [tail]
                self._plen = len(tail)
                self._state = _LINE
                self._check_line_overflow(out)
                return

    def _check_line_overflow(self, out: list[bytes]) -> None:
        # Keep max+1 bytes (+1 more so a CR before the LF cannot make a legal line look long).
        if self._plen > self._max + 1:
            line = b"".join(self._parts)
            self.errors += 1
            out.append(line[: self._max + 1])
            self._parts = []
            self._plen = 0
            self._state = _SKIP_LINE

    def _continue_line(self, data: bytes, out: list[bytes]) -> bytes:
        i = _find_trailer(data)
        if i < 0:
            self._parts.append(data)
            self._plen += len(data)
            self._check_line_overflow(out)
            return b""
        self._parts.append(data[:i])
        line = b"".join(self._parts)
        if line.endswith(b"\r"):
            line = line[:-1]
        self._parts = []
        self._plen = 0
        self._state = _START
        self._emit_line(line, out)
        rest = data[i + 1 :]
        if data[i] == 0:  # NUL trailer: a LF right after it belongs to it
            if not rest:
                self._eat_lf = True
            elif rest[:1] == b"\n":
                rest = rest[1:]
        return rest

    def _continue_octets(self, data: bytes, out: list[bytes]) -> bytes:
        if len(data) < self._need:
            self._parts.append(data)
            self._plen += len(data)
            self._need -= len(data)
            return b""
        self._parts.append(data[: self._need])
        rest = data[self._need :]
        out.append(b"".join(self._parts))
        over = self._over
        self._parts = []
        self._plen = 0
        self._need = 0
        self._over = 0
        self._state = _START
        if over:
            self._need = over
            self._state = _SKIP_OCTETS
            return self._skip_octets(rest)
        if not rest:
            self._eat_lf = True
        return _strip_octet_trailer(rest)

    def _skip_line(self, data: bytes) -> bytes:
        i = _find_trailer(data)
        if i < 0:
            return b""
        self._state = _START
        return data[i + 1 :]

    def _skip_octets(self, data: bytes) -> bytes:
        if len(data) < self._need:
            self._need -= len(data)
            return b""
        rest = data[self._need :]
        self._need = 0
        self._state = _START
        return rest


def _strip_octet_trailer(data: bytes) -> bytes:
    """``data`` without the LF (or CRLF) that may follow an octet-counted frame."""
    if data[:1] == b"\n":
        return data[1:]
    if data[:2] == b"\r\n":
        return data[2:]
    return data


def _find_trailer(data: bytes) -> int:
    """Index of the first LF or NUL, or -1."""
    i = data.find(b"\n")
    if b"\x00" in data:
        j = data.find(b"\x00")
        if i < 0 or j < i:
            return j
    return i
