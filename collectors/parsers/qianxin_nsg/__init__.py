"""``qianxin.nsg``: Qi-anxin / 网神 NSG firewalls (quoted ``key="value"``)."""

from collectors.parsers.qianxin_nsg.parser import QianxinNsgParser

__all__ = ["QianxinNsgParser"]
