"""Extractors: the message (after framing) → ``(key, value)`` pairs.

Four shapes cover the devices we meet:

* ``kv`` / ``cn_kv``: ``key=value`` or ``键:值`` pairs with configurable separators. A bare
  value runs until the separator in front of the next ``key<sep>`` (so ``描述:a, b`` keeps
  ``a, b`` when ``b`` is not followed by a separator character), quoted values may contain
  anything, ``tail`` keys take the rest of the message. Every quantifier that could
  backtrack is possessive or bounded, so a 1 MiB line costs linear time.
* ``regex``: named groups of the first pattern that matches.
* ``json``: an object; nested keys are dotted (``a.b``).
* ``csv``: one delimited row; columns named in order.

An extractor returns None when the message is not in its shape at all.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from soc_core.regex import compile_pattern

__all__ = ["Extractor", "Pairs", "csv_extractor", "json_extractor", "kv_extractor", "regex_extractor"]

Pairs = list[tuple[str, Any]]
Extractor = Callable[[str], Pairs | None]

_ESCAPES = re.compile(r"\\(.)", re.DOTALL)


def _char_class(chars: Sequence[str]) -> str:
    """The body of a character class matching any of ``chars`` (a space means any whitespace)."""
    return "".join(r"\s" if c == " " else re.escape(c) for c in chars)


def kv_regexes(
    pair_separators: Sequence[str],
    kv_separators: Sequence[str],
    quotes: Sequence[str],
    key_pattern: str | None,
) -> tuple[re.Pattern[str], int]:
    """The pair regex (groups: key, one per quote, bare value) and the number of quote groups."""
    sep = _char_class(pair_separators)
    kvs = _char_class(kv_separators)
    junk = "".join(re.escape(q) for q in quotes)
    key = f"(?:{key_pattern})" if key_pattern else rf"[^{sep}{kvs}{junk}\r\n]{{1,64}}"
    # Blanks before a key are skipped, unless blanks are themselves separators: then every
    # blank already satisfies the look-behind, and skipping a long run from each of its
    # positions would make the scan quadratic.
    lead = "" if any(c in (" ", "\t") for c in pair_separators) else r"[ \t]*+"
    key_at = rf"(?<![^{sep}]){lead}(?P<k>{key})[ \t]*+[{kvs}][ \t]*+"
    quoted = [
        # closing quote, then the pair separator (backtracking: with " " as separator, the
        # space after the quote *is* the separator) or the end
        rf"{re.escape(q)}(?P<q{i}>(?:[^{re.escape(q)}\\]++|\\.)*+){re.escape(q)}(?=[ \t]*(?:[{sep}]|$))"
        for i, q in enumerate(quotes)
    ]
    bare = rf"(?P<v>[^{sep}]*+(?:[{sep}]++(?![ \t]*+(?:{key})[ \t]*+[{kvs}])[^{sep}]*+)*+)"
    return compile_pattern(key_at + "(?:" + "|".join([*quoted, bare]) + ")", re.DOTALL), len(quotes)


def tail_regex(
    pair_separators: Sequence[str], kv_separators: Sequence[str], keys: Sequence[str]
) -> re.Pattern[str]:
    """Finds the first ``<tail key><kv separator>``; its value is the rest of the message."""
    sep = _char_class(pair_separators)
    kvs = _char_class(kv_separators)
    names = "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))
    return compile_pattern(rf"(?<![^{sep}])[ \t]*+(?P<k>{names})[ \t]*+[{kvs}]")


def kv_extractor(
    pair_separators: Sequence[str],
    kv_separators: Sequence[str],
    quotes: Sequence[str],
    key_pattern: str | None,
    tail: Sequence[str],
) -> Extractor:
    """``key<kv>value<pair>...`` pairs, values unquoted; empty values dropped."""
    pair_re, n_quotes = kv_regexes(pair_separators, kv_separators, quotes, key_pattern)
    findall = pair_re.findall
    tail_re = tail_regex(pair_separators, kv_separators, tail) if tail else None
    strip_chars = "".join(" \t\r\n" if c == " " else c for c in pair_separators) + " \t\r\n"
    # Keys can only end in a space when a space is not a separator and no key_pattern says otherwise.
    strip_keys = key_pattern is not None or " " not in pair_separators

    def unquote(quoted: str) -> str:
        return _ESCAPES.sub(r"\1", quoted) if "\\" in quoted else quoted

    # One loop per number of quote characters: this loop runs for every pair of every line.
    def values_0(text: str) -> Pairs:
        out: Pairs = []
        for key, bare in findall(text):
            value = bare.strip()
            if value:
                out.append((key.strip() if strip_keys else key, value))
        return out

    def values_1(text: str) -> Pairs:
        out: Pairs = []
        for key, quoted, bare in findall(text):
            value = unquote(quoted) if quoted else bare.strip()
            if value:
                out.append((key.strip() if strip_keys else key, value))
        return out

    def values_n(text: str) -> Pairs:
        out: Pairs = []
        for found in findall(text):
            value = next((unquote(q) for q in found[1 : 1 + n_quotes] if q), None) or found[-1].strip()
            if value:
                out.append((found[0].strip() if strip_keys else found[0], value))
        return out

    values = values_0 if n_quotes == 0 else values_1 if n_quotes == 1 else values_n

    def extract(text: str) -> Pairs | None:
        rest: tuple[str, str] | None = None
        if tail_re is not None:
            m = tail_re.search(text)
            if m is not None:
                rest = (m.group("k"), text[m.end() :].strip())
                text = text[: m.start()]
        out = values(text.rstrip(strip_chars))
        if rest is not None and rest[1]:
            out.append(rest)
        return out or None

    return extract


def regex_extractor(patterns: Sequence[re.Pattern[str]]) -> Extractor:
    """Named groups of the first pattern that matches (``search``); unmatched groups dropped."""

    def extract(text: str) -> Pairs | None:
        for pattern in patterns:
            m = pattern.search(text)
            if m is not None:
                return [(k, v) for k, v in m.groupdict().items() if v]
        return None

    return extract


def _flatten(obj: dict[str, Any], prefix: str, out: Pairs) -> None:
    for key, value in obj.items():
        if isinstance(value, dict) and value:
            _flatten(value, f"{prefix}{key}.", out)
        elif value is not None and value != "":
            out.append((prefix + key, value))


_json_decode = msgspec.json.Decoder().decode


def json_extractor() -> Extractor:
    """A JSON object → dotted keys (``{"a": {"b": 1}}`` → ``a.b``); lists kept as values."""

    def extract(text: str) -> Pairs | None:
        text = text.strip()
        if not text.startswith("{"):
            return None
        try:
            obj = _json_decode(text)
        except (msgspec.DecodeError, RecursionError):
            return None
        if not isinstance(obj, dict):
            return None
        out: Pairs = []
        _flatten(obj, "", out)
        return out

    return extract


def csv_extractor(delimiter: str, columns: Sequence[str | None], quote: str | None) -> Extractor:
    """One row split on ``delimiter``; column ``n`` (1-based) beyond the named ones is ``column_n``.

    Quoting (``"a,b"``) is honoured for one-character delimiters when the row contains the
    quote character; otherwise the row is split as it is.
    """
    names = list(columns)
    quote_char = quote if quote is not None and len(delimiter) == 1 else None

    def extract(text: str) -> Pairs | None:
        if quote_char is not None and quote_char in text:
            try:
                cells = next(csv.reader([text], delimiter=delimiter, quotechar=quote_char, strict=False))
            except (csv.Error, StopIteration):
                cells = text.split(delimiter)
        else:
            cells = text.split(delimiter)
        if len(cells) < 2:
            return None
        out: Pairs = []
        for index, cell in enumerate(cells):
            value = cell.strip()
            if not value:
                continue
            name = names[index] if index < len(names) else f"column_{index + 1}"
            if name:
                out.append((name, value))
        return out

    return extract
