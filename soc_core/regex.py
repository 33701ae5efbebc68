"""Regular expressions that mean the same on every Python 3.11.

Python 3.11.0 to 3.11.4 (Debian 12 ships 3.11.2) mis-match a possessive quantifier applied to
a group: ``(?:x(?!b))*+`` ignores the lookahead and takes ``xxb`` whole (CPython gh-100061), and
``(?:ab?c)*+`` can match where ``(?:ab?c)*`` cannot (gh-106052). CPython 3.11.5 fixed both by
running ``X*+`` as ``(?>X*)``, which the documentation says it is. ``atomic_possessive`` makes
that rewrite in the pattern text, so a pattern behaves the same on every 3.11: our own patterns
and the ones a site writes (declarative parsers, Sigma ``|re`` values) go through
``compile_pattern``. A possessive quantifier on one character or class (``[^,]*+``, ``\\s++``)
was never affected and is left as written.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["atomic_possessive", "compile_pattern", "has_group_possessive"]

_BOUNDS: Final = re.compile(r"\{\d*(?:,\d*)?\}")
# Global inline flags stand at the start of a pattern (Python 3.11 refuses them elsewhere).
_VERBOSE_FLAG: Final = re.compile(r"\(\?[aiLmsu]*x")


def _class_end(pattern: str, at: int) -> int:
    """The index just after the character class that opens at ``pattern[at] == "["``."""
    i = at + 1
    if pattern.startswith("^", i):
        i += 1
    if pattern.startswith("]", i):  # "[]...]" and "[^]...]": a literal "]" first
        i += 1
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "]":
            return i + 1
        i += 1
    return len(pattern)  # unterminated: re.compile reports it


def _quantifier(pattern: str, at: int) -> str:
    """The greedy quantifier at ``at`` when a possessive ``+`` follows it, else ""."""
    if at >= len(pattern):
        return ""
    if pattern[at] in "*+?":
        quantifier = pattern[at]
    else:
        bounds = _BOUNDS.match(pattern, at)
        if bounds is None:
            return ""
        quantifier = bounds.group()
    return quantifier if pattern.startswith("+", at + len(quantifier)) else ""


def _rewrite(pattern: str, verbose: bool) -> str:
    """``pattern`` with its group possessives made atomic."""
    out: list[str] = []
    starts: list[int] = []  # where each open group begins in ``out``
    i = 0
    verbose = verbose or _VERBOSE_FLAG.match(pattern) is not None
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i : i + 2])
            i += 2
        elif char == "[":
            end = _class_end(pattern, i)
            out.append(pattern[i:end])
            i = end
        elif verbose and char == "#":
            end = pattern.find("\n", i)
            end = len(pattern) if end < 0 else end
            out.append(pattern[i:end])
            i = end
        elif pattern.startswith("(?#", i):  # a comment may hold any parenthesis
            end = pattern.find(")", i)
            end = len(pattern) if end < 0 else end + 1
            out.append(pattern[i:end])
            i = end
        elif char == "(":
            starts.append(len(out))
            out.append(char)
            i += 1
        elif char == ")" and starts:
            start = starts.pop()
            out.append(char)
            i += 1
            quantifier = _quantifier(pattern, i)
            if quantifier:
                group = "".join(out[start:])
                del out[start:]
                out.append(f"(?>{group}{quantifier})")
                i += len(quantifier) + 1  # the quantifier and its possessive "+"
        else:
            out.append(char)
            i += 1
    return "".join(out)


def atomic_possessive(pattern: str, flags: int = 0) -> str:
    """``pattern`` with every possessive quantifier on a group written as an atomic group.

    ``(?:a|b)*+`` → ``(?>(?:a|b)*)``, ``(x)++`` → ``(?>(x)+)``, ``(?:y){2,5}+`` →
    ``(?>(?:y){2,5})``; the same language on a correct ``re``, the right one on 3.11.0–3.11.4.
    """
    return _rewrite(pattern, bool(flags & re.VERBOSE))


def has_group_possessive(pattern: str, flags: int = 0) -> bool:
    """Whether ``pattern`` applies a possessive quantifier to a group (see the module text)."""
    return atomic_possessive(pattern, flags) != pattern


def compile_pattern(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile`` of ``atomic_possessive(pattern)``: the same match on every Python 3.11."""
    return re.compile(atomic_possessive(pattern, flags), flags)
