"""How deep a JSON document nests: deeper documents are refused before anything recurses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Deeper documents are refused: serialising them later would hit recursion limits.
MAX_JSON_DEPTH = 64


def depth(node: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """Nesting depth of ``node`` (1 for a flat object), counting stops once past ``limit``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(node, 1)]
    while stack:
        item, level = stack.pop()
        if level > deepest:
            deepest = level
            if deepest > limit:
                break
        if isinstance(item, dict):
            stack.extend((child, level + 1) for child in item.values() if isinstance(child, dict | list))
        elif isinstance(item, list):
            stack.extend((child, level + 1) for child in item if isinstance(child, dict | list))
    return deepest


def brackets_over(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``text`` holds more than ``limit`` opening brackets (``{`` and ``[``).

    Nesting cannot exceed that number, so this bounds the depth without parsing. Counted by
    ``find`` (memchr) and stopped at the bound: a record holds a few dozen brackets, and
    ``str.count`` would compare every character.
    """
    seen = 0
    for bracket in "{[":
        at = text.find(bracket)
        while at >= 0:
            seen += 1
            if seen > limit:
                return True
            at = text.find(bracket, at + 1)
    return False


def too_deep(text: str, load: Callable[[], Any], limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON ``text`` nests deeper than ``limit``; ``load`` gives its document.

    Cheap bound first: nesting cannot exceed the number of opening brackets, so most records
    are never walked.
    """
    return brackets_over(text, limit) and depth(load(), limit) > limit
