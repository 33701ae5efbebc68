"""``cisco.asa``: Cisco ASA / FTD (``%ASA-sev-NNNNNN:``)."""

from collectors.parsers.cisco_asa.parser import CiscoAsaParser

__all__ = ["CiscoAsaParser"]
