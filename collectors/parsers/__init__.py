"""The parser registry: dataset id → parser class, and the order ``--format auto`` tries them.

One readable table. A new parser is a folder ``collectors/parsers/<name>/`` (``parser.py``,
``samples/*.log`` and their ``*-expected.ndjson``) plus one line here and, if it can
recognise its own lines, one entry in ``AUTO_ORDER``.
"""

from __future__ import annotations

from collectors.parsers.base import Envelope, Parser, SyslogHeader
from collectors.parsers.json_log import JsonParser
from collectors.parsers.syslog_kv import KvParser
from soc_core.registry import Registry

__all__ = ["AUTO_ORDER", "PARSERS", "Envelope", "Parser", "SyslogHeader"]

# dataset id → parser class (keep sorted by id)
_TABLE: dict[str, type[Parser]] = {
    "json.log": JsonParser,
    "syslog.kv": KvParser,
}

PARSERS: Registry[type[Parser]] = Registry("parser")
for _dataset, _parser in _TABLE.items():
    PARSERS.add(_dataset, _parser)

# Most specific first: vendor formats before generic ones, JSON before key=value (a JSON
# object with "a=b c=d" in a string would otherwise sniff as key=value).
AUTO_ORDER: tuple[str, ...] = (
    "json.log",
    "syslog.kv",
)
