"""Response bodies of the event routes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class EventPage(BaseModel):
    """Matching events, newest first."""

    query: str
    count: int
    events: list[dict[str, Any]]
