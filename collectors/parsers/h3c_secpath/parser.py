"""``h3c.secpath``: H3C SecPath firewalls and other Comware boxes (``%%10MOD/sev/MNEMONIC:``).

Placeholder until the parser lands: it claims nothing and refuses every record.
"""

from __future__ import annotations

from typing import ClassVar

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.vendor import not_ours
from soc_core.events import Event
from soc_core.records import RawRecord


class H3cSecpathParser(Parser):
    """``h3c.secpath``."""

    dataset: ClassVar[str] = "h3c.secpath"

    def sniff(self, envelope: Envelope) -> bool:
        """Not yet."""
        return False

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """Not yet."""
        raise not_ours(record, "h3c.secpath")
