"""``fortinet.fortigate``: Fortinet FortiGate (key=value)."""

from collectors.parsers.fortinet_fortigate.parser import FortigateParser

__all__ = ["FortigateParser"]
