"""What every parser is: pure, bytes in (already decoded into an ``Envelope``), events out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import msgspec

from soc_core.events import Event
from soc_core.records import RawRecord


class SyslogHeader(msgspec.Struct, kw_only=True, omit_defaults=True):
    """RFC 3164 / RFC 5424 header fields, when the record had one."""

    rfc: int  # 3164 or 5424
    priority: int | None = None
    facility: int | None = None
    severity: int | None = None
    timestamp_text: str | None = None
    hostname: str | None = None
    appname: str | None = None
    procid: str | None = None
    msgid: str | None = None
    structured_data: str | None = None
    version: int | None = None


class Envelope(msgspec.Struct, kw_only=True):
    """A record decoded for parsing: text, encoding used and the syslog header if any.

    ``text`` is the whole decoded record (kept as ``event.original``); ``message`` is what
    follows the syslog header (equal to ``text`` when there is no header).
    """

    text: str
    message: str
    encoding: str  # "utf-8" or "gb18030"
    syslog: SyslogHeader | None = None
    # False for a JSON record: the decoder left its binary check to ``parse_record``.
    binary_checked: bool = True


class Parser(ABC):
    """A parser for one dataset. Pure: no I/O, no clock (time comes from the record)."""

    dataset: ClassVar[str]
    # Other datasets this parser may stamp: a box that logs several kinds names the dataset by
    # the kind of log (a USG parser handed an IPS line yields ``huawei.ips``).
    emits: ClassVar[tuple[str, ...]] = ()
    # True when a record starting with "{" is read with a strict JSON decoder only, which
    # refuses raw control characters (RFC 8259 §7): the decoder's binary check, a pass over
    # every byte, is then left out for such records (a tenth of an EVE line's cost).
    strict_json: ClassVar[bool] = False

    @abstractmethod
    def sniff(self, envelope: Envelope) -> bool:
        """Cheap check used by ``--format auto``: does this record look like ours?"""

    @abstractmethod
    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """Events from one record; raise ``ParseError`` when it is not ours or is broken."""
