"""What a collector hands to the parsers: the bytes as received and where they came from."""

from __future__ import annotations

import msgspec


class RawRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One received log record, before parsing.

    ``data`` is the record exactly as received (syslog header included, framing removed).
    ``received_at`` is POSIX seconds. ``origin`` names the collector (``syslog/tcp``,
    ``file:/var/log/x.log``); ``peer`` the sender (``ip:port``) or host; ``offset`` the byte
    offset or line number within the origin, so errors can say where.
    """

    data: bytes
    received_at: float
    origin: str = "stdin"
    peer: str | None = None
    offset: int | None = None
    hint: str | None = None  # dataset id chosen by per-source settings, if any
    timezone: str | None = None  # per-source timezone override

    @property
    def where(self) -> str:
        """``origin[peer]@offset`` for error messages."""
        place = self.origin
        if self.peer:
            place += f"[{self.peer}]"
        if self.offset is not None:
            place += f"@{self.offset}"
        return place
