"""One sliding window: the matches of one correlation rule for one group key, sorted by event time."""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Hashable

# (event time in µs since the epoch, arrival sequence, referenced-rule index, event id, marks).
# Marks are what the window counts distinct: field values (value_count), the rule index
# (temporal*), nothing (event_count). The sequence orders events of the same instant by arrival.
Entry = tuple[int, int, int, str, tuple[Hashable, ...]]


class Window:
    """Entries sorted by (time, arrival) plus a tally of their marks for O(1) distinct counts."""

    __slots__ = ("entries", "last_event", "last_indices", "opened", "tally")

    def __init__(self) -> None:
        self.entries: deque[Entry] = deque()
        self.tally: dict[Hashable, int] = {}
        self.opened = 0  # start of a closing window (rules evaluated when their window ends)
        # the event added last and the referenced rules it came through: the engine reports one
        # event's matches one after another, so this is where a repeated event shows up
        self.last_event: str | None = None
        self.last_indices: set[int] = set()

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def newest(self) -> int:
        return self.entries[-1][0]

    @property
    def oldest(self) -> int:
        return self.entries[0][0]

    def repeats(self, event_id: str, index: int | None) -> bool:
        """Whether this event (through this referenced rule, when given) was the last one added."""
        return event_id == self.last_event and (index is None or index in self.last_indices)

    def add(self, entry: Entry) -> None:
        if entry[3] != self.last_event:
            self.last_event = entry[3]
            self.last_indices = set()
        self.last_indices.add(entry[2])
        entries = self.entries
        if not entries or entry[0] >= entries[-1][0]:
            entries.append(entry)
        else:
            bisect.insort(entries, entry)  # arrived late: keep time order
        tally = self.tally
        for mark in entry[4]:
            tally[mark] = tally.get(mark, 0) + 1

    def _forget(self, entry: Entry) -> None:
        tally = self.tally
        for mark in entry[4]:
            left = tally[mark] - 1
            if left:
                tally[mark] = left
            else:
                del tally[mark]

    def drop_through(self, limit: int) -> None:
        """Drop entries at or before ``limit`` (µs)."""
        entries = self.entries
        while entries and entries[0][0] <= limit:
            self._forget(entries.popleft())

    def trim(self, cap: int) -> None:
        """Keep at most ``cap`` entries, the newest."""
        entries = self.entries
        while len(entries) > cap:
            self._forget(entries.popleft())

    def limit_mark(self, mark: Hashable, limit: int) -> None:
        """Keep at most ``limit`` entries carrying ``mark``, dropping the oldest of them.

        For temporal rules the newest matches of each referenced rule are the ones a later event
        can still complete, so older repeats are dropped instead of growing the window.
        """
        if self.tally.get(mark, 0) <= limit:
            return
        for position, entry in enumerate(self.entries):
            if mark in entry[4]:
                del self.entries[position]
                self._forget(entry)
                return

    def clear(self) -> None:
        self.entries.clear()
        self.tally.clear()
        self.opened = 0

    def distinct(self) -> int:
        return len(self.tally)

    def ordered_prefix(self, length: int) -> int:
        """How many of rule indices 0, 1, … length-1 occur one after another in time order.

        Greedy earliest match is optimal for "is it a subsequence", so one pass suffices.
        """
        wanted = 0
        for entry in self.entries:
            if entry[2] == wanted:
                wanted += 1
                if wanted == length:
                    break
        return wanted
