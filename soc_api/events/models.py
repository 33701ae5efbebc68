"""Response bodies of the event routes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from soc_core.state.models import SavedQuery


class EventPage(BaseModel):
    """Matching events, newest first."""

    query: str
    count: int
    events: list[dict[str, Any]]


class FieldValue(BaseModel):
    """One value of a field and how often it occurs."""

    value: Any
    count: int


class FieldInfo(BaseModel):
    """A field of the matching events: how many carry it, its top values."""

    name: str
    count: int
    top: list[FieldValue]


class FieldSummary(BaseModel):
    """The field sidebar, computed over a sample of the newest matching events."""

    sampled: int
    fields: list[FieldInfo]


class Bucket(BaseModel):
    """Events in one time bucket."""

    t: dt.datetime
    count: int


class Histogram(BaseModel):
    """Matching events over time."""

    interval: str
    buckets: list[Bucket]


class SavedQueryIn(BaseModel):
    """A query to save."""

    name: str = Field(min_length=1, max_length=128)
    query: str = Field(min_length=1, max_length=10_000)
    shared: bool = False


class SavedQueryOut(BaseModel):
    """A saved query."""

    id: int
    name: str
    query: str
    owner: str
    shared: bool
    created_at: dt.datetime

    @classmethod
    def of(cls, row: SavedQuery) -> SavedQueryOut:
        """The saved query as the API shows it."""
        return cls(
            id=row.id,
            name=row.name,
            query=row.query,
            owner=row.owner,
            shared=row.shared,
            created_at=row.created_at,
        )


class SavedQueryList(BaseModel):
    """The caller's saved queries and the shared ones."""

    items: list[SavedQueryOut]
