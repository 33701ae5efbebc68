"""``nsfocus.waf``: NSFOCUS 绿盟 WAF (``waf: tag:waf_log_websec key:value``).

Placeholder until the parser lands: it claims nothing and refuses every record.
"""

from __future__ import annotations

from typing import ClassVar

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.vendor import not_ours
from soc_core.events import Event
from soc_core.records import RawRecord


class NsfocusWafParser(Parser):
    """``nsfocus.waf``."""

    dataset: ClassVar[str] = "nsfocus.waf"

    def sniff(self, envelope: Envelope) -> bool:
        """Not yet."""
        return False

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """Not yet."""
        raise not_ours(record, "nsfocus.waf")
