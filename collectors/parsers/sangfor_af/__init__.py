"""``sangfor.af``: Sangfor AF next-generation firewall (``fwlog: 日志类型:`` with Chinese keys)."""

from collectors.parsers.sangfor_af.parser import SangforAfParser

__all__ = ["SangforAfParser"]
