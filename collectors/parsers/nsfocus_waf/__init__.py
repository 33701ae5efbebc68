"""``nsfocus.waf``: NSFOCUS 绿盟 WAF (``waf: tag:waf_log_websec key:value``)."""

from collectors.parsers.nsfocus_waf.parser import NsfocusWafParser

__all__ = ["NsfocusWafParser"]
