"""``chaitin.safeline``: Chaitin 长亭 SafeLine 雷池 WAF (JSON)."""

from collectors.parsers.chaitin_safeline.parser import SafelineParser

__all__ = ["SafelineParser"]
