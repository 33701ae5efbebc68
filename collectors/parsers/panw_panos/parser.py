"""``panw.panos``: Palo Alto Networks PAN-OS (CSV).

Placeholder until the parser lands: it claims nothing and refuses every record.
"""

from __future__ import annotations

from typing import ClassVar

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.vendor import not_ours
from soc_core.events import Event
from soc_core.records import RawRecord


class PanosParser(Parser):
    """``panw.panos``."""

    dataset: ClassVar[str] = "panw.panos"

    def sniff(self, envelope: Envelope) -> bool:
        """Not yet."""
        return False

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """Not yet."""
        raise not_ours(record, "panw.panos")
