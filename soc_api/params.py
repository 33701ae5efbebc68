"""Path and query parameter types shared by the API packages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

MAX_ROW_ID = 2**31 - 1  # integer keys of the StateStore (SQLite and PostgreSQL INTEGER)

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="a row id")]
