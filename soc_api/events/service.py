"""Event search helpers (field sidebar, histogram intervals) and saved queries."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from soc_api.audit.service import record
from soc_api.auth.deps import Principal
from soc_api.errors import ApiError
from soc_core.state.models import SavedQuery, utc

TOP_VALUES = 5
_SKIP_FIELDS = frozenset({"event.original", "message"})  # long free text: no useful top values
_INTERVALS = (
    ("1s", 1),
    ("10s", 10),
    ("30s", 30),
    ("1m", 60),
    ("5m", 300),
    ("10m", 600),
    ("30m", 1800),
    ("1h", 3600),
    ("3h", 10800),
    ("12h", 43200),
    ("1d", 86400),
)


class SavedQueryError(ApiError):
    """A saved query that cannot be stored or removed."""


def _leaves(doc: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in doc.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _leaves(value, name + ".")
        elif isinstance(value, list):
            for item in value:
                if not isinstance(item, dict | list):
                    yield name, item
        elif value is not None:
            yield name, value


def field_summary(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every field in ``events`` with how many carry it and its most common values."""
    present: Counter[str] = Counter()
    values: dict[str, Counter[Any]] = {}
    for doc in events:
        seen: set[str] = set()
        for name, value in _leaves(doc):
            if name not in seen:
                present[name] += 1
                seen.add(name)
            if name not in _SKIP_FIELDS:
                values.setdefault(name, Counter())[
                    value if not isinstance(value, float) else round(value, 6)
                ] += 1
    return [
        {
            "name": name,
            "count": count,
            "top": [{"value": v, "count": c} for v, c in values.get(name, Counter()).most_common(TOP_VALUES)],
        }
        for name, count in sorted(present.items(), key=lambda item: (-item[1], item[0]))
    ]


def histogram_interval(start: dt.datetime, end: dt.datetime, *, buckets: int = 60) -> str:
    """The smallest interval giving at most about ``buckets`` bars between ``start`` and ``end``."""
    span = max(1.0, (end - start).total_seconds())
    for name, seconds in _INTERVALS:
        if span / seconds <= buckets:
            return name
    return "1d"


def list_saved(session: Session, *, principal: Principal) -> list[SavedQuery]:
    """The caller's own saved queries and everyone's shared ones."""
    query = select(SavedQuery).where(or_(SavedQuery.owner == principal.username, SavedQuery.shared.is_(True)))
    return list(session.scalars(query.order_by(SavedQuery.name, SavedQuery.id)))


def save_query(
    session: Session, *, name: str, query: str, shared: bool, principal: Principal, now: dt.datetime
) -> SavedQuery:
    """Save a query under a name unique to its owner."""
    taken = session.scalar(
        select(SavedQuery.id).where(SavedQuery.owner == principal.username, SavedQuery.name == name)
    )
    if taken is not None:
        raise SavedQueryError(f"you already have a saved query named {name!r}", status=409)
    row = SavedQuery(owner=principal.username, name=name, query=query, shared=shared, created_at=utc(now))
    session.add(row)
    session.flush()
    record(
        session,
        principal=principal,
        action="query.save",
        target=str(row.id),
        after={"name": name, "query": query, "shared": shared},
        now=now,
    )
    return row


def delete_query(session: Session, *, query_id: int, principal: Principal, now: dt.datetime) -> None:
    """Delete one of the caller's own saved queries."""
    row = session.get(SavedQuery, query_id)
    if row is None or (row.owner != principal.username and not row.shared):
        raise SavedQueryError(f"no saved query {query_id}", status=404)
    if row.owner != principal.username:
        raise SavedQueryError(f"saved query {query_id} belongs to {row.owner}", status=403)
    before = {"name": row.name, "query": row.query, "shared": row.shared}
    session.delete(row)
    session.flush()
    record(session, principal=principal, action="query.delete", target=str(query_id), before=before, now=now)
