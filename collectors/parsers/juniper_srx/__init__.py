"""``juniper.srx``: Juniper SRX (``RT_FLOW``, ``RT_IDP`` …)."""

from collectors.parsers.juniper_srx.parser import JuniperSrxParser

__all__ = ["JuniperSrxParser"]
