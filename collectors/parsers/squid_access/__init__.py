"""``squid.access``: Squid native access log."""

from collectors.parsers.squid_access.parser import SquidAccessParser

__all__ = ["SquidAccessParser"]
