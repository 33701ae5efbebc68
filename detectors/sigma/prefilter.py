"""Which rules an event can match, before any rule is evaluated.

Each compiled rule states the literals one of which a matching event must hold
(:func:`detectors.sigma.compiler.requirement`). Per route the index keeps a hash table per
field for whole-value literals, one for numbers (keyed by value, so ``80``, ``80.0`` and
``"80"`` meet), and one Aho-Corasick automaton per field for substrings; an event's candidates
are the rules with a hit plus the rules that require nothing. Text is looked up in lower case,
as Sigma matches case-insensitively.
"""

from __future__ import annotations

from collections.abc import Sequence

import ahocorasick

from detectors.sigma.compiler import KEYWORDS, Requirement
from detectors.sigma.values import number_of
from detectors.sigma.view import KEYWORD_FIELDS, EventView
from soc_core.events import flat_getter


class RuleIndex:
    """Candidate lookup over the rules of one route (rules are numbered by position)."""

    def __init__(self, requirements: Sequence[Requirement]) -> None:
        self.size = len(requirements)
        always: list[int] = []
        exact: dict[str, dict[str, list[int]]] = {}
        numbers: dict[str, dict[float, list[int]]] = {}
        substrings: dict[str, dict[str, list[int]]] = {}
        for position, requirement in enumerate(requirements):
            if not requirement:
                always.append(position)
                continue
            for needle in requirement:
                if needle.number is not None:
                    numbers.setdefault(needle.field, {}).setdefault(needle.number, []).append(position)
                    continue
                table = exact if needle.exact else substrings
                table.setdefault(needle.field, {}).setdefault(needle.text, []).append(position)
        self.always: tuple[int, ...] = tuple(always)
        self.exact: dict[str, dict[str, tuple[int, ...]]] = {
            f: {text: tuple(sorted(set(rules))) for text, rules in table.items()}
            for f, table in exact.items()
        }
        self.numbers: dict[str, dict[float, tuple[int, ...]]] = {
            f: {value: tuple(sorted(set(rules))) for value, rules in table.items()}
            for f, table in numbers.items()
        }
        self.automata: dict[str, ahocorasick.Automaton] = {}
        for field, needles in substrings.items():
            automaton = ahocorasick.Automaton()
            for text, rules in needles.items():
                automaton.add_word(text, tuple(sorted(set(rules))))
            automaton.make_automaton()
            self.automata[field] = automaton

        # (field, its attribute getter or None, table): the lookups of every event, prepared
        self._exact_plan = [(f, flat_getter(f), table) for f, table in self.exact.items()]
        self._substring_plan = [
            (name, flat_getter(name), automaton)
            for f, automaton in self.automata.items()
            for name in (KEYWORD_FIELDS if f == KEYWORDS else (f,))
        ]

    def candidates(self, view: EventView) -> list[int]:
        """Rule numbers worth evaluating for this event, in rule order."""
        found: set[int] = set(self.always)
        event = view.event
        for field, getter, table in self._exact_plan:
            if getter is not None and event is not None:
                # most indexed fields are absent or hold one string: no need to go through the view
                value = getter(event)
                if value is None:
                    continue
                if value.__class__ is str:
                    if hit := table.get(value.lower()):
                        found.update(hit)
                    continue
            for text in view.lowered(field):
                if hit := table.get(text):
                    found.update(hit)
        for field, by_number in self.numbers.items():
            for value in view.values(field):
                number = number_of(value)
                if number is not None and (hit := by_number.get(number)):
                    found.update(hit)
        for field, getter, automaton in self._substring_plan:
            if getter is not None and event is not None:
                value = getter(event)
                if value is None:
                    continue
                if value.__class__ is str:
                    for _end, rules in automaton.iter(value.lower()):
                        found.update(rules)
                    continue
            for text in view.lowered(field):
                for _end, rules in automaton.iter(text):
                    found.update(rules)
        return sorted(found)
