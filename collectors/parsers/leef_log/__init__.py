"""``leef.log``: IBM QRadar Log Event Extended Format (LEEF 1.0 / 2.0)."""

from collectors.parsers.leef_log.parser import LeefParser

__all__ = ["LeefParser"]
