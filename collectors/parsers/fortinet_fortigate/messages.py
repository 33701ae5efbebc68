"""FortiOS event log names: ``logid`` → ``FortiGate-event-<message name>``.

A FortiOS ``logid`` is ten digits: log type (``01`` event), subtype, and a message id that
Fortinet's *FortiOS Log Message Reference* names with a macro (``44547`` is
``LOGID_EVENT_CONFIG_OBJATTR``, ``37120`` ``MESGID_NEG_GENERIC_P1_NOTIF``). The table of those
names is data, ``logids.tsv`` beside this module; a name becomes an ``event.action`` the way
FortiSIEM and Elastic's FortiGate integration spell it: prefix dropped, lower case, ``_`` → ``-``,
behind ``FortiGate-event-`` (``FortiGate-event-config-objattr``). Queries and dashboards written
for those tools keep working on our events.
"""

from __future__ import annotations

import re
from importlib import resources

TABLE = "logids.tsv"
_PREFIX = re.compile(r"^(?:LOG_?ID|MESGID)_(?:EVENT_)?")
_NAME = re.compile(r"^(?:LOG_ID|LOGID|MESGID)_[A-Z0-9_]+$")


class TableError(ValueError):
    """A malformed line in the message-name table (the message says file and line)."""


def action_name(macro: str) -> str:
    """``LOGID_EVENT_CONFIG_OBJATTR`` → ``FortiGate-event-config-objattr``."""
    return "FortiGate-event-" + _PREFIX.sub("", macro).lower().replace("_", "-")


def parse_table(text: str, *, source: str = TABLE) -> dict[int, str]:
    """Message id → event.action from the table's text: ``<id><TAB><MACRO NAME>[<TAB>note]`` lines,
    ``#`` comments and blank lines ignored."""
    names: dict[int, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) < 2 or not cells[0].isdigit() or not _NAME.match(cells[1]):
            raise TableError(f"{source}:{number}: expected '<message id><TAB><LOG_ID_… name>', got {line!r}")
        message_id = int(cells[0])
        if message_id in names:
            raise TableError(f"{source}:{number}: message id {message_id} is listed twice")
        names[message_id] = action_name(cells[1])
    return names


def _load() -> dict[int, str]:
    text = resources.files(__package__).joinpath(TABLE).read_text("utf-8")
    return parse_table(text, source=f"collectors/parsers/fortinet_fortigate/{TABLE}")


EVENT_ACTIONS: dict[int, str] = _load()
"""Message id (``int(logid[-6:])``) → ``FortiGate-event-…`` for FortiOS event logs."""


def event_action(logid: str) -> str | None:
    """The event.action name of an event log's ``logid`` (``0100044547``), None when not listed."""
    if len(logid) != 10 or not logid.isdigit():
        return None
    return EVENT_ACTIONS.get(int(logid[4:]))
