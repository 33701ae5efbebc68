"""``h3c.ips``: H3C SecPath intrusion prevention (``IPS_IPV4_INTERZONE`` …).

Placeholder until the parser lands: it claims nothing and refuses every record.
"""

from __future__ import annotations

from typing import ClassVar

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.vendor import not_ours
from soc_core.events import Event
from soc_core.records import RawRecord


class H3cIpsParser(Parser):
    """``h3c.ips``."""

    dataset: ClassVar[str] = "h3c.ips"

    def sniff(self, envelope: Envelope) -> bool:
        """Not yet."""
        return False

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """Not yet."""
        raise not_ours(record, "h3c.ips")
