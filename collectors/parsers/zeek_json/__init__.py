"""``zeek.log``: Zeek JSON logs."""

from collectors.parsers.zeek_json.parser import ZeekParser

__all__ = ["ZeekParser"]
