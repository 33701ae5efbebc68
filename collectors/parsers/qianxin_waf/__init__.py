"""``qianxin.waf``: Qi-anxin / 网神 SecOS WAF."""

from collectors.parsers.qianxin_waf.parser import QianxinWafParser

__all__ = ["QianxinWafParser"]
