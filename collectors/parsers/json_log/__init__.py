"""``json.log``: one JSON object per record, ECS-shaped or not."""

from collectors.parsers.json_log.parser import JsonParser

__all__ = ["JsonParser"]
