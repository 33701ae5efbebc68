"""``modsecurity.auditlog``: ModSecurity audit log (JSON and native serial)."""

from collectors.parsers.modsecurity_auditlog.parser import ModsecurityParser

__all__ = ["ModsecurityParser"]
