"""``syslog.kv``: the generic key=value parser (fallback for devices without their own)."""

from collectors.parsers.syslog_kv.parser import KvParser

__all__ = ["KvParser"]
