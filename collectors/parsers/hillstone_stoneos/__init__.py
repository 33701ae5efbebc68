"""``hillstone.stoneos``: Hillstone StoneOS (``Traffic@FLOW: SESSION:`` …)."""

from collectors.parsers.hillstone_stoneos.parser import HillstoneParser

__all__ = ["HillstoneParser"]
