"""Registries map stable dotted ids (``syslog.kv``, ``block_ip``) to classes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from soc_core.errors import UnknownIdError

T = TypeVar("T")


class Registry(Generic[T]):
    """An explicit id → class table. Populated in one readable module per kind."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        # Bumped on every change, so whoever caches what the table holds knows when to drop it.
        self.version = 0

    def register(self, item_id: str) -> Callable[[T], T]:
        """Decorator registering ``item`` under ``item_id``."""

        def decorate(item: T) -> T:
            self.add(item_id, item)
            return item

        return decorate

    def add(self, item_id: str, item: T) -> None:
        """Register ``item``; an id can be taken once."""
        if item_id in self._items:
            raise ValueError(f"{self.kind} id {item_id!r} is already registered")
        self._items[item_id] = item
        self.version += 1

    def replace(self, item_id: str, item: T) -> None:
        """Register ``item`` under ``item_id`` whether or not the id is taken (reloads, overrides)."""
        self._items[item_id] = item
        self.version += 1

    def remove(self, item_id: str) -> None:
        """Forget ``item_id`` (nothing happens if it is not registered)."""
        if self._items.pop(item_id, None) is not None:
            self.version += 1

    def snapshot(self) -> dict[str, T]:
        """A copy of the table, for ``restore``."""
        return dict(self._items)

    def restore(self, snapshot: dict[str, T]) -> None:
        """Put the table back as ``snapshot`` had it."""
        self._items = dict(snapshot)
        self.version += 1

    def get(self, item_id: str) -> T:
        """The item registered as ``item_id``."""
        try:
            return self._items[item_id]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise UnknownIdError(f"unknown {self.kind} {item_id!r} (known: {known})") from None

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))

    def items(self) -> list[tuple[str, T]]:
        """(id, item) pairs sorted by id."""
        return sorted(self._items.items())
