"""The JSON nesting guard shared by the JSON parsers: a cheap bracket bound, then a walk."""

from __future__ import annotations

import json

import pytest

from collectors.parsers.json_depth import MAX_JSON_DEPTH, brackets_over, depth, too_deep


def nested(levels: int, opener: str = "{") -> str:
    """``levels`` objects (or lists) inside each other."""
    if opener == "{":
        return '{"a":' * (levels - 1) + "{}" + "}" * (levels - 1)
    return "[" * levels + "]" * levels


@pytest.mark.parametrize("limit", [0, 1, 5, MAX_JSON_DEPTH])
def test_brackets_over_counts_both_kinds_up_to_the_bound(limit: int) -> None:
    for braces in range(limit + 3):
        for lists in (0, 1, 2):
            text = '{"x":"' + "{" * braces + "[" * lists + '"}'
            total = text.count("{") + text.count("[")
            assert brackets_over(text, limit) is (total > limit), (braces, lists)


def test_brackets_over_ignores_closing_brackets_and_other_text() -> None:
    assert not brackets_over("}" * 500 + "]" * 500 + "x" * 10_000, 3)
    assert not brackets_over("", 0)
    assert brackets_over("{", 0)
    assert brackets_over("中文{[{", 2) and not brackets_over("中文{[{", 3)  # non-ASCII text


def test_depth_and_too_deep() -> None:
    assert depth(json.loads(nested(3))) == 3
    assert depth(json.loads(nested(4, "["))) == 4
    at_limit, past = nested(MAX_JSON_DEPTH), nested(MAX_JSON_DEPTH + 1, "[")
    assert not too_deep(at_limit, lambda: json.loads(at_limit))
    assert too_deep(past, lambda: json.loads(past))
    wide = "[" + ",".join(["{}"] * 500) + "]"  # many brackets, shallow: walked, not refused
    assert brackets_over(wide) and not too_deep(wide, lambda: json.loads(wide))
    never = "[1]"
    assert not too_deep(never, lambda: pytest.fail("a document under the bound is never loaded"))
