"""``pfsense.log``: pfSense / OPNsense ``filterlog`` CSV."""

from collectors.parsers.pfsense_log.parser import PfsenseParser

__all__ = ["PfsenseParser"]
