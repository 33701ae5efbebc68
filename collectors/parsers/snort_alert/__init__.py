"""``snort.alert``: Snort alert fast and full formats."""

from collectors.parsers.snort_alert.parser import SnortParser

__all__ = ["SnortParser"]
