"""``cef.log``: ArcSight Common Event Format (CEF)."""

from collectors.parsers.cef_log.parser import CefParser

__all__ = ["CefParser"]
