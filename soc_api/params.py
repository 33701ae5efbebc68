"""Path and query parameter types shared by the API packages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Path

from soc_api.errors import ApiError
from soc_core.events import utc

MAX_ROW_ID = 2**31 - 1  # integer keys of the StateStore (SQLite and PostgreSQL INTEGER)

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="a row id")]


def optional_utc(value: dt.datetime | None) -> dt.datetime | None:
    """A query-string time as aware UTC (a time without offset is taken as UTC)."""
    return None if value is None else utc(value)


def time_window(
    start: dt.datetime | None, end: dt.datetime | None, *, default: dt.timedelta = dt.timedelta(days=1)
) -> tuple[dt.datetime, dt.datetime]:
    """``[from, to)`` of a chart: ``to`` defaults to now, ``from`` to ``default`` before it."""
    stop = optional_utc(end) or dt.datetime.now(dt.UTC)
    begin = optional_utc(start) or stop - default
    if begin >= stop:
        raise ApiError("'from' must be before 'to'")
    return begin, stop
