"""``topsec.tos``: Topsec 天融信 TOS (``id=tos time=… fw=…``)."""

from collectors.parsers.topsec_tos.parser import TopsecParser

__all__ = ["TopsecParser"]
