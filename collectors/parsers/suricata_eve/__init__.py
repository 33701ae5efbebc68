"""``suricata.eve``: Suricata EVE JSON."""

from collectors.parsers.suricata_eve.parser import SuricataEveParser

__all__ = ["SuricataEveParser"]
