"""HTTP/1.x message heads → request line, status line and the header fields a sensor records.

``parse_request_head`` / ``parse_response_head`` take the bytes at the start of a message and
return the decoded head, ``None`` while the head is still arriving (the bytes so far could
begin one), or a string saying why the bytes are not an HTTP/1.x head.

Lines may end in CRLF or a bare LF; header names are matched case-insensitively and the first
occurrence of a field wins; values are decoded as latin-1 (which maps every byte) and stripped
of spaces and tabs. Obsolete line folding joins a continuation line to its field with one
space. Any RFC 9110 token is accepted as a request method (extension methods exist), while
``looks_like_request`` only recognises the well-known ones, to stay cheap and specific.
Heads longer than ``MAX_HEAD_BYTES`` are refused. Bodies are never read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "MAX_HEAD_BYTES",
    "HttpRequest",
    "HttpResponse",
    "looks_like_request",
    "looks_like_response",
    "may_begin_request",
    "may_begin_response",
    "parse_request_head",
    "parse_response_head",
]

MAX_HEAD_BYTES = 65536

_METHODS = frozenset(
    {
        b"GET",
        b"POST",
        b"HEAD",
        b"PUT",
        b"DELETE",
        b"OPTIONS",
        b"PATCH",
        b"CONNECT",
        b"TRACE",
        b"PROPFIND",
        b"PROPPATCH",
        b"MKCOL",
        b"COPY",
        b"MOVE",
        b"LOCK",
        b"UNLOCK",
        b"SEARCH",
        b"REPORT",
        b"MKCALENDAR",
        b"MKACTIVITY",
        b"CHECKOUT",
        b"MERGE",
        b"ACL",
        b"BIND",
        b"UNBIND",
        b"REBIND",
        b"NOTIFY",
        b"SUBSCRIBE",
        b"UNSUBSCRIBE",
        b"PURGE",
        b"M-SEARCH",  # SSDP discovery (HTTP over UDP)
    }
)
_METHOD_PROBE = max(len(method) for method in _METHODS) + 1
# An unfinished request line whose first word is longer than this is not worth buffering.
_MAX_METHOD_LENGTH = 32

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TOKEN_BYTES = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]*")
_VERSION = re.compile(r"HTTP/1\.([0-9])")
_STATUS = re.compile(r"[1-9][0-9][0-9]")
_RESPONSE_PREFIX = b"HTTP/1."
_FIELD_SPACE = " \t"
_SHOWN_BYTES = 32

_REQUEST_FIELDS = frozenset(
    {"host", "user-agent", "referer", "content-type", "content-length", "transfer-encoding"}
)
_RESPONSE_FIELDS = frozenset({"content-type", "content-length", "location", "server", "transfer-encoding"})


@dataclass(slots=True)
class HttpRequest:
    """A request head: request line plus the recorded header fields."""

    method: str
    uri: str
    version: str  # "1.1"; "" when the request line names no protocol
    host: str | None
    user_agent: str | None
    referrer: str | None
    content_type: str | None
    content_length: int | None
    head_bytes: int  # the head including the empty line that ends it
    chunked: bool = False  # the body comes in chunks (Transfer-Encoding ends in "chunked")


@dataclass(slots=True)
class HttpResponse:
    """A response head: status line plus the recorded header fields."""

    status: int
    reason: str
    version: str
    content_type: str | None
    content_length: int | None
    location: str | None
    server: str | None
    head_bytes: int
    chunked: bool = False


def looks_like_request(data: bytes | memoryview) -> bool:
    """Whether ``data`` starts with a well-known HTTP method followed by a space."""
    probe = bytes(data[:_METHOD_PROBE])
    space = probe.find(b" ")
    return space > 0 and probe[:space] in _METHODS


def looks_like_response(data: bytes | memoryview) -> bool:
    """Whether ``data`` starts with ``HTTP/1.``."""
    return bytes(data[:7]) == _RESPONSE_PREFIX


def may_begin_request(data: bytes | memoryview) -> bool:
    """Whether ``data`` is too short to tell but may be the start of a well-known method."""
    probe = bytes(data[:_METHOD_PROBE])
    return b" " not in probe and any(method.startswith(probe) for method in _METHODS)


def may_begin_response(data: bytes | memoryview) -> bool:
    """Whether ``data`` is too short to tell but may be the start of ``HTTP/1.``."""
    probe = bytes(data[:7])
    return len(probe) < 7 and _RESPONSE_PREFIX.startswith(probe)


def parse_request_head(data: bytes | memoryview) -> HttpRequest | str | None:
    """The request head at the start of ``data``; ``None`` while incomplete; else why not."""
    buf = bytes(data[:MAX_HEAD_BYTES])
    line_end = buf.find(b"\n")
    if line_end < 0:
        if _could_start_request(buf):
            return None if len(data) < MAX_HEAD_BYTES else _too_long(len(data))
        return f"not an HTTP request line: {_show(buf)}"
    line = _first_line(buf, line_end)
    method, space, rest = line.partition(" ")
    if not space or _TOKEN.fullmatch(method) is None:
        return f"not an HTTP request line: {_show(buf)}"
    # Spaces inside the target are invalid but common in attacks: keep them rather than refuse.
    uri, space, version_token = rest.rpartition(" ")
    uri = uri.strip(" ")
    version = _VERSION.fullmatch(version_token)
    if not version_token.startswith("HTTP/") and rest.strip(" "):
        # no protocol word (HTTP/0.9 style, or a malformed client): the rest is the target
        uri, version_number = rest.strip(" "), ""
    elif not space or not uri or version is None:
        return f"not an HTTP/1.x request line: {line[:_SHOWN_BYTES]!r}"
    else:
        version_number = "1." + version.group(1)
    head = _head(buf, len(data))
    if head is None or isinstance(head, str):
        return head
    text, head_bytes = head
    fields = _fields(text, _REQUEST_FIELDS)
    if isinstance(fields, str):
        return fields
    get = fields.get
    return HttpRequest(
        method=method,
        uri=uri,
        version=version_number,
        host=get("host"),
        user_agent=get("user-agent"),
        referrer=get("referer"),
        content_type=get("content-type"),
        content_length=_content_length(get("content-length")),
        head_bytes=head_bytes,
        chunked=_chunked(get("transfer-encoding")),
    )


def parse_response_head(data: bytes | memoryview) -> HttpResponse | str | None:
    """The response head at the start of ``data``; ``None`` while incomplete; else why not."""
    buf = bytes(data[:MAX_HEAD_BYTES])
    if buf[:7] != _RESPONSE_PREFIX[: len(buf)]:
        return f"not an HTTP/1.x status line: {_show(buf)}"
    line_end = buf.find(b"\n")
    if line_end < 0:
        return None if len(data) < MAX_HEAD_BYTES else _too_long(len(data))
    line = _first_line(buf, line_end)
    version_token, _, rest = line.partition(" ")
    status_token, _, reason = rest.partition(" ")
    version = _VERSION.fullmatch(version_token)
    if version is None or _STATUS.fullmatch(status_token) is None:
        return f"not an HTTP/1.x status line: {line[:_SHOWN_BYTES]!r}"
    head = _head(buf, len(data))
    if head is None or isinstance(head, str):
        return head
    text, head_bytes = head
    fields = _fields(text, _RESPONSE_FIELDS)
    if isinstance(fields, str):
        return fields
    get = fields.get
    return HttpResponse(
        status=int(status_token),
        reason=reason.strip(_FIELD_SPACE),
        version="1." + version.group(1),
        content_type=get("content-type"),
        content_length=_content_length(get("content-length")),
        location=get("location"),
        server=get("server"),
        head_bytes=head_bytes,
        chunked=_chunked(get("transfer-encoding")),
    )


def _could_start_request(buf: bytes) -> bool:
    """Whether an unfinished first line may still become a request line."""
    space = buf.find(b" ")
    word = buf if space < 0 else buf[:space]
    return space != 0 and len(word) <= _MAX_METHOD_LENGTH and _TOKEN_BYTES.fullmatch(word) is not None


def _first_line(buf: bytes, line_end: int) -> str:
    end = line_end - 1 if line_end > 0 and buf[line_end - 1] == 0x0D else line_end
    return buf[:end].decode("latin-1")


def _head(buf: bytes, available: int) -> tuple[str, int] | str | None:
    """The head's text without its final empty line, and its size including that line."""
    crlf = buf.find(b"\n\r\n")
    # Only an earlier bare-LF end can win, so the second search stops where the first matched.
    lf = buf.find(b"\n\n", 0, crlf + 2 if crlf >= 0 else len(buf))
    if lf >= 0:
        return buf[:lf].decode("latin-1"), lf + 2
    if crlf >= 0:
        return buf[:crlf].decode("latin-1"), crlf + 3
    return None if available < MAX_HEAD_BYTES else _too_long(available)


def _too_long(available: int) -> str:
    return f"HTTP head not ended within {MAX_HEAD_BYTES} bytes ({available} bytes seen)"


def _fields(text: str, wanted: frozenset[str]) -> dict[str, str] | str:
    """The first value of each ``wanted`` field (lower-case names) in the head's header lines."""
    found: dict[str, str] = {}
    folding_into: str | None = None
    lines = text.split("\n")
    for number in range(1, len(lines)):
        line = lines[number]
        if line.endswith("\r"):
            line = line[:-1]
        if not line:
            continue
        if line[0] in _FIELD_SPACE:
            if number == 1:
                return "HTTP header continuation line before any header field"
            if folding_into is not None:
                more = line.strip(_FIELD_SPACE)
                if more:
                    value = found[folding_into]
                    found[folding_into] = f"{value} {more}" if value else more
            continue
        colon = line.find(":")
        if colon < 0:
            return f"HTTP header line {number + 1} has no colon: {line[:_SHOWN_BYTES]!r}"
        name = line[:colon].strip(_FIELD_SPACE).lower()
        if not name:
            return f"HTTP header line {number + 1} has no field name"
        if name in wanted and name not in found:
            found[name] = line[colon + 1 :].strip(_FIELD_SPACE)
            folding_into = name
        else:
            folding_into = None
    return found


def _content_length(value: str | None) -> int | None:
    # Bounded digit count: int() refuses very long digit strings anyway, and no body is that big.
    if value is None or not value or len(value) > 19 or not value.isascii() or not value.isdigit():
        return None
    return int(value)


def _chunked(value: str | None) -> bool:
    # RFC 9112 §6.3: chunked framing applies when it is the final transfer coding
    return value is not None and value.rsplit(",", 1)[-1].strip(_FIELD_SPACE).lower() == "chunked"


def _show(buf: bytes) -> str:
    return repr(buf[:_SHOWN_BYTES])
