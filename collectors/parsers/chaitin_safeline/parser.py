"""``chaitin.safeline``: Chaitin 长亭 SafeLine 雷池 WAF (JSON).

Placeholder until the parser lands: it claims nothing and refuses every record.
"""

from __future__ import annotations

from typing import ClassVar

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.vendor import not_ours
from soc_core.events import Event
from soc_core.records import RawRecord


class SafelineParser(Parser):
    """``chaitin.safeline``."""

    dataset: ClassVar[str] = "chaitin.safeline"

    def sniff(self, envelope: Envelope) -> bool:
        """Not yet."""
        return False

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """Not yet."""
        raise not_ours(record, "chaitin.safeline")
