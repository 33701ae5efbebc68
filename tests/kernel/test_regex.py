"""Patterns mean the same on every Python 3.11 (Debian 12's 3.11.2 mis-matches group possessives)."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from types import ModuleType

import pytest

from soc_core.regex import atomic_possessive, compile_pattern, has_group_possessive

PACKAGES = ("soc_core", "collectors", "detectors", "soc_api", "playbooks")


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        # CPython gh-100061: the lookahead inside a possessive group repeat was ignored (3.11.0-3.11.4)
        (r"(?:x(?!b))*+", "xxb", "x"),
        (r"((?!C).)++", "ABC", "AB"),
        (r"a*+(?:,++(?!b)a*+)*+", "a,a,b", "a,a"),
        # the shape of our key=value value pattern: a value runs on across "," not followed by "key="
        (r"[^,]*+(?:,++(?![ ]*+[A-Za-z]\w*[ ]*+=)[^,]*+)*+", "10.20.1.15, DstIp=1", "10.20.1.15"),
        (r"[^,]*+(?:,++(?![ ]*+[A-Za-z]\w*[ ]*+=)[^,]*+)*+", "a,b,c=1", "a,b"),
        (r"[^,]*+(?:,++(?![ ]*+[A-Za-z]\w*[ ]*+=)[^,]*+)*+", "a,,1,2, x", "a,,1,2, x"),
    ],
)
def test_group_possessive_matches_as_documented(pattern: str, text: str, expected: str) -> None:
    found = compile_pattern(pattern).match(text)
    assert found is not None
    assert found.group() == expected


def test_gh_106052_possessive_is_no_looser_than_greedy() -> None:
    assert compile_pattern(r"(?:ab?c)*+").fullmatch("a") is None
    assert compile_pattern(r"(?:ab?c)*+").fullmatch("acabc") is not None


@pytest.mark.parametrize(
    ("pattern", "rewritten"),
    [
        (r"(?:a|b)*+", r"(?>(?:a|b)*)"),
        (r"(x)++y", r"(?>(x)+)y"),
        (r"(?:y){2,5}+", r"(?>(?:y){2,5})"),
        (r"(?:y){3}+z", r"(?>(?:y){3})z"),
        (r"(?:a(?:b)++)*+", r"(?>(?:a(?>(?:b)+))*)"),
        # left alone: one-character possessives, lazy and greedy repeats, escaped and classed parens
        (r"[^,]*+\s++x?+", r"[^,]*+\s++x?+"),
        (r"(?:ab)*?(?:c)+", r"(?:ab)*?(?:c)+"),
        (r"\(a\)*+[)(]++", r"\(a\)*+[)(]++"),
        (r"[]()]*+(?#a ( comment *+)", r"[]()]*+(?#a ( comment *+)"),
        (r"(?:a){x}+", r"(?:a){x}+"),  # "{x}" is a literal, not bounds
    ],
)
def test_rewrite(pattern: str, rewritten: str) -> None:
    assert atomic_possessive(pattern) == rewritten
    re.compile(rewritten)
    assert has_group_possessive(pattern) is (pattern != rewritten)


def test_verbose_comments_are_not_read_as_pattern() -> None:
    pattern = "(?:a)*+  # one ( unbalanced\n(?:b)++"
    assert atomic_possessive(pattern, re.VERBOSE) == "(?>(?:a)*)  # one ( unbalanced\n(?>(?:b)+)"
    inline = "(?ix)(?:a)*+  # one ( unbalanced\n(?:b)++"
    assert atomic_possessive(inline) == "(?ix)(?>(?:a)*)  # one ( unbalanced\n(?>(?:b)+)"
    assert compile_pattern(inline).fullmatch("AAb") is not None


def _modules() -> Iterator[ModuleType]:
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        yield package
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            if info.name.endswith("__main__") or ".migrations." in info.name:  # alembic scripts
                continue
            yield importlib.import_module(info.name)


def _patterns(value: object, depth: int = 0) -> Iterator[re.Pattern[str]]:
    if isinstance(value, re.Pattern):
        if isinstance(value.pattern, str):
            yield value
    elif depth < 2 and isinstance(value, (tuple, list, frozenset, set)):
        for item in value:
            yield from _patterns(item, depth + 1)
    elif depth < 2 and isinstance(value, dict):
        for item in value.values():
            yield from _patterns(item, depth + 1)


def _attributes(module: ModuleType) -> Iterator[tuple[str, object]]:
    """A module's globals and the attributes of the classes it defines."""
    for name, value in vars(module).items():
        yield name, value
        if isinstance(value, type) and value.__module__ == module.__name__:
            for attribute, member in vars(value).items():
                yield f"{name}.{attribute}", member


def test_no_module_pattern_uses_a_group_possessive() -> None:
    """Every compiled pattern of ours went through ``compile_pattern`` (or needs no rewrite)."""
    offenders = []
    scanned = 0
    for module in _modules():
        for name, value in _attributes(module):
            for pattern in _patterns(value):
                scanned += 1
                if has_group_possessive(pattern.pattern, pattern.flags):
                    offenders.append(f"{module.__name__}.{name}: {pattern.pattern[:80]}")
    assert scanned > 100, f"only {scanned} patterns found: the walk missed the parser modules"
    assert not offenders, (
        "group possessives mis-match on Python 3.11.0-3.11.4 (Debian 12 has 3.11.2); "
        "compile with soc_core.regex.compile_pattern:\n" + "\n".join(offenders)
    )
