"""Lucene query string (what Kibana users type) to a DuckDB ``WHERE`` clause.

The embedded store keeps flattened ECS documents, one column per dotted field (``"source.ip"``).
``compile_query`` parses with luqum and emits a boolean SQL expression plus positional ``?``
parameters: user values never reach the SQL text, and only identifiers present in ``columns`` are
inlined. Semantics follow Elasticsearch's ``query_string`` (default operator OR, keyword fields
exact, text fields case-insensitive) so a saved query means the same on both backends. Known
differences: explicit AND/OR/NOT follow luqum's precedence and plain boolean logic (ES applies
Lucene's per-clause MUST/SHOULD, so ``a OR b AND c`` differs there unless parenthesised); text
fields match by substring, not by token; fuzzy and proximity searches are rejected; regexes are RE2.
"""

from __future__ import annotations

import calendar
import datetime as dt
import ipaddress
import math
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import duckdb
import msgspec
from luqum import parser as _lq
from luqum import tree as lt
from luqum.exceptions import IllegalCharacterError, ParseError
from luqum.thread import parse as _lq_parse

from soc_core.errors import QuerySyntaxError

__all__ = [
    "DEFAULT_FIELDS",
    "IP6_FUNCTION",
    "TEXT_FIELDS",
    "SqlFilter",
    "compile_query",
    "register_functions",
]

TEXT_FIELDS = frozenset({"event.original", "message", "error.message"})
"""Analysed (full-text) fields: matched case-insensitively by containment."""
DEFAULT_FIELDS = ("event.original", "message")
"""Fields searched by bare terms and phrases."""
IP6_FUNCTION = "shaowang_ip6_full"
"""The macro ``register_functions`` defines; only IPv6 CIDR/range clauses call it."""

_MAX_DEPTH = 100  # deeper trees are abuse, and DuckDB's own parser would give up first
_UTC = dt.UTC


class SqlFilter(msgspec.Struct, frozen=True):
    """A boolean SQL expression for ``WHERE`` and its positional ``?`` parameters, in order."""

    sql: str
    params: list[Any]


class _Frag(NamedTuple):
    sql: str
    params: tuple[Any, ...] = ()


_TRUE = _Frag("TRUE")
_FALSE = _Frag("FALSE")


def _join(frags: Sequence[_Frag], op: str) -> _Frag:
    if len(frags) == 1:
        return frags[0]
    return _Frag("(" + f" {op} ".join(f.sql for f in frags) + ")", sum((f.params for f in frags), ()))


def _not(frag: _Frag) -> _Frag:
    # SQL NOT of NULL is NULL, but ES ``NOT field:x`` matches documents without the field. AND/OR
    # trees are monotone, so NULL -> FALSE at each negation gives exactly the two-valued result
    # while positive leaves stay bare (and push down into Parquet scans).
    return _Frag(f"(NOT COALESCE({frag.sql}, FALSE))", frag.params)


class _Pred(NamedTuple):
    """A predicate over one value; ``{e}`` stands for the column or the list element."""

    template: str
    params: tuple[Any, ...]
    eq: bool = False  # plain ``{e} = ?``: lists can use list_contains


def _eq(value: Any) -> _Pred:
    return _Pred("{e} = ?", (value,), eq=True)


class _Col(NamedTuple):
    sql: str
    kind: str  # keyword | text | ip | number | time | bool | other
    is_list: bool
    tz: bool


_LIST_RE = re.compile(r"\[\d*\]$")
_NUMERIC = {
    "TINYINT", "SMALLINT", "INTEGER", "INT", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
    "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "REAL", "DOUBLE",
}  # fmt: skip


def _column(name: str, duck_type: str) -> _Col:
    base = duck_type.strip().upper()
    is_list = bool(_LIST_RE.search(base))
    base = _LIST_RE.sub("", base) if is_list else base
    ident = '"' + name.replace('"', '""') + '"'
    if base in ("VARCHAR", "TEXT", "STRING") or base.startswith("VARCHAR"):
        if name.endswith(".ip") or name == "related.ip":
            kind = "ip"
        else:
            kind = "text" if name in TEXT_FIELDS else "keyword"
    elif base in _NUMERIC or base.startswith(("DECIMAL", "NUMERIC")):
        kind = "number"
    elif base.startswith("TIMESTAMP") or base == "DATE":
        kind = "time"
    elif base in ("BOOLEAN", "BOOL"):
        kind = "bool"
    else:
        kind = "other"
    return _Col(ident, kind, is_list, "WITH TIME ZONE" in base or base == "TIMESTAMPTZ")


def _apply(col: _Col, pred: _Pred) -> _Frag:
    if not col.is_list:
        return _Frag(pred.template.replace("{e}", col.sql), pred.params)
    if pred.eq:
        return _Frag(f"list_contains({col.sql}, ?)", pred.params)
    body = pred.template.replace("{e}", "_x")
    return _Frag(f"(len(list_filter({col.sql}, lambda _x: {body})) > 0)", pred.params)


def _exists(col: _Col) -> _Frag:
    # ES indexes no value for an empty array, so an empty list does not "exist" either.
    return _Frag(f"(len({col.sql}) > 0)" if col.is_list else f"({col.sql} IS NOT NULL)")


# --- Lucene escapes and wildcards -------------------------------------------------------------


_ESCAPED_RE = re.compile(r"\\(.)|(.)", re.DOTALL)


def _chars(raw: str) -> list[tuple[str, bool]]:
    """Split a term into (character, was_escaped) pairs; a trailing lone backslash is literal."""
    return [(esc, True) if esc else (ch, False) for esc, ch in _ESCAPED_RE.findall(raw)]


def _plain(chars: list[tuple[str, bool]]) -> str:
    return "".join(c for c, _ in chars)


def _has_wildcard(chars: list[tuple[str, bool]]) -> bool:
    return any(c in "*?" and not esc for c, esc in chars)


def _like(chars: list[tuple[str, bool]], wildcards: bool) -> str:
    """LIKE pattern (escape character ``\\``) for a term; literal ``%``/``_`` are escaped."""
    table = {"*": "%", "?": "_"} if wildcards else {}
    return "".join(table[c] if c in table and not esc else "\\" * (c in "%_\\") + c for c, esc in chars)


# --- value parsing ----------------------------------------------------------------------------

_NUMBER_RE = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


def _number(text: str) -> int | float | None:
    if not _NUMBER_RE.match(text):
        return None
    if re.fullmatch(r"[+-]?\d+", text) and -(2**63) <= (n := int(text)) < 2**63:
        return n
    f = float(text)  # too big for BIGINT: DuckDB still compares a DOUBLE against integer columns
    return f if math.isfinite(f) else None


_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_MATH_RE = re.compile(r"([+-])(\d{1,9})([yMwdhHms])|/([yMwdhHms])")
_Span = tuple[dt.datetime, dt.datetime | None]  # [start, end) or a point when end is None


def _shift(t: dt.datetime, unit: str, n: int) -> dt.datetime:
    if unit in "yM":
        y, m = divmod(t.month - 1 + (n * 12 if unit == "y" else n), 12)
        year = t.year + y
        return t.replace(year=year, month=m + 1, day=min(t.day, calendar.monthrange(year, m + 1)[1]))
    seconds = {"w": 604800, "d": 86400, "h": 3600, "H": 3600, "m": 60, "s": 1}[unit]
    return t + dt.timedelta(seconds=seconds * n)


def _floor(t: dt.datetime, unit: str) -> dt.datetime:
    if unit == "w":
        return _floor(t, "d") - dt.timedelta(days=t.weekday())
    t = t.replace(microsecond=0)
    if unit in "yMdhHm":
        t = t.replace(second=0)
    if unit in "yMdhH":
        t = t.replace(minute=0)
    if unit in "yMd":
        t = t.replace(hour=0)
    if unit in "yM":
        t = t.replace(day=1)
    return t.replace(month=1) if unit == "y" else t


def _absolute(text: str) -> _Span:
    if text.isdigit() and len(text) > 4:  # ES default format accepts epoch milliseconds
        return dt.datetime.fromtimestamp(int(text) / 1000, _UTC), None
    if m := _DATE_RE.match(text):  # a partial date means the whole year, month or day
        year, month, day = int(m[1]), int(m[2] or 1), int(m[3] or 1)
        start = dt.datetime(year, month, day, tzinfo=_UTC)
        unit = "d" if m[3] else "M" if m[2] else "y"
        return start, _shift(start, unit, 1)
    t = dt.datetime.fromisoformat(text)
    return (t.replace(tzinfo=_UTC) if t.tzinfo is None else t.astimezone(_UTC)), None


def _parse_time(text: str, now: dt.datetime) -> _Span:
    """ISO-8601 or ES date math (``now-15m``, ``now/d``, ``2026-11-27||+1d``) as a span."""
    if text.startswith("now"):
        span: _Span = (now, None)
        rest = text[3:]
    elif "||" in text:
        anchor, rest = text.split("||", 1)
        span = _absolute(anchor)
    else:
        return _absolute(text)
    start, end = span
    pos = 0
    while pos < len(rest):
        m = _MATH_RE.match(rest, pos)
        if not m:
            raise ValueError(text)
        if m[4]:  # rounding turns the instant into the whole unit, like ES's round-up for lte/gt
            start = _floor(start, m[4])
            end = _shift(start, m[4], 1)
        else:
            n = int(m[2]) * (-1 if m[1] == "-" else 1)
            start, end = _shift(start, m[3], n), (None if end is None else _shift(end, m[3], n))
        pos = m.end()
    return start, end


# --- IP addresses -----------------------------------------------------------------------------


def _ip4_pieces(lo: int, hi: int) -> list[tuple[tuple[int, ...], int, int]]:
    """[lo, hi] as a few (leading octets, next octet from, to) pieces, other octets free.

    A CIDR is one piece; an arbitrary range at most seven.
    """
    pieces: list[tuple[tuple[int, ...], int, int]] = []
    for net in ipaddress.summarize_address_range(ipaddress.IPv4Address(lo), ipaddress.IPv4Address(hi)):
        k, rem = divmod(min(net.prefixlen, 31), 8)  # a /32 is a one-value range of the last octet
        octets = net.network_address.packed
        piece = (tuple(octets[:k]), octets[k], octets[k] + 2 ** (8 - rem) - 1 - (net.prefixlen == 32))
        if pieces and pieces[-1][0] == piece[0] and pieces[-1][2] + 1 == piece[1]:
            piece = (piece[0], pieces.pop()[1], piece[2])
        pieces.append(piece)
    return pieces


def _ip_interval(version: int, lo: int, hi: int) -> _Pred:
    """Predicate for addresses in [lo, hi], in pure SQL over canonical address strings."""
    if lo > hi:
        return _Pred("FALSE", ())
    if lo == hi:
        return _eq(str(ipaddress.ip_address(lo) if version == 4 else ipaddress.IPv6Address(lo)))
    if version == 6:
        if (lo, hi) == (0, 2**128 - 1):
            return _Pred("contains({e}, ':')", ())
        lo_h = ipaddress.IPv6Address(lo).exploded.split(":")
        hi_h = ipaddress.IPv6Address(hi).exploded.split(":")
        common = next(i for i in range(8) if lo_h[i] != hi_h[i])
        exact = _Pred(f"({IP6_FUNCTION}({{e}}) BETWEEN ? AND ?)", (":".join(lo_h), ":".join(hi_h)))
        if common == 0 or "0000" in lo_h[:common]:  # a leading zero hextet may be compressed away
            return _Pred(f"(contains({{e}}, ':') AND {exact.template})", exact.params)
        # Leading non-zero hextets are never compressed, so they are a literal string prefix.
        head = ":".join(format(int(h, 16), "x") for h in lo_h[:common]) + ":"
        if all(lo_h[i] == "0000" and hi_h[i] == "ffff" for i in range(common, 8)):
            return _Pred("starts_with({e}, ?)", (head,))
        return _Pred(f"(starts_with({{e}}, ?) AND {exact.template})", (head, *exact.params))
    templates: list[str] = []
    params: list[Any] = []
    for octets, first, last in _ip4_pieces(lo, hi):
        prefix = "".join(f"{o}." for o in octets)
        if (first, last) == (0, 255):  # canonical dotted quads sharing octets share a prefix
            templates.append(
                "starts_with({e}, ?)" if octets else "(contains({e}, '.') AND NOT contains({e}, ':'))"
            )
            params += [prefix] if octets else []
            continue
        # Octets have no leading zeros, so among octets of the same digit count string order is
        # numeric order: compare whole strings per digit count instead of parsing (much faster).
        # The inlined integers are lengths computed here, never user text.
        for digits in (1, 2, 3):
            a, b = max(first, 10 ** (digits - 1) if digits > 1 else 0), min(last, 10**digits - 1)
            if a > b:
                continue
            if len(octets) == 3:
                templates.append(f"(length({{e}}) = {len(prefix) + digits} AND {{e}} BETWEEN ? AND ?)")
                params += [f"{prefix}{a}", f"{prefix}{b}"]
            else:  # the octet ends at the next '.'; '/' sorts just after '.'
                where = f"position('.' IN substr({{e}}, {len(prefix) + 1})) = {digits + 1}"
                templates.append(f"({{e}} >= ? AND {{e}} < ? AND {where})")
                params += [f"{prefix}{a}.", f"{prefix}{b}/"]
    return _Pred("(" + " OR ".join(templates) + ")", tuple(params))


# A canonical IPv6 string (as Python's ipaddress writes it) expanded to the fixed-width exploded
# form, so CIDR and range checks are string BETWEENs. Pure SQL: no numpy/UDF dependency, and it
# only runs on rows that contain ':'. Anything not shaped like a canonical address gives NULL.
_H = "[0-9a-f]{1,4}"
_IP6_SHAPE = f"(?:{_H}:){{7}}{_H}|(?:(?:{_H}:){{0,6}}{_H})?::(?:(?:{_H}:){{0,6}}{_H})?"
_IP6_MACRO = f"""CREATE OR REPLACE TEMP MACRO {IP6_FUNCTION}(s) AS
CASE WHEN regexp_full_match(s, '{_IP6_SHAPE}')
  AND length(s) - length(replace(s, ':', '')) <= 7
THEN array_to_string(list_transform(string_split(
  CASE WHEN contains(s, '::') THEN trim(replace(s, '::', ':' || repeat('0:', 8 - (length(s)
    - length(replace(s, ':', '')) - starts_with(s, ':')::INT - ends_with(s, ':')::INT))), ':') ELSE s END,
  ':'), lambda h: lpad(h, 4, '0')), ':')
END"""


def register_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Define the SQL macro IPv6 CIDR/range filters call, on ``con`` (temporary, idempotent)."""
    con.execute(_IP6_MACRO).fetchall()  # DuckDB 2 blocks some calls while a result is unfinished


_regex_lock = threading.Lock()
_regex_con: duckdb.DuckDBPyConnection | None = None


def _check_regex(pattern: str) -> str | None:
    """RE2's complaint about ``pattern`` or None; checked now so bad input is a syntax error."""
    global _regex_con
    with _regex_lock:
        if _regex_con is None:
            _regex_con = duckdb.connect()
        try:
            _regex_con.execute("SELECT regexp_matches('', ?)", [pattern]).fetchall()
        except duckdb.Error as e:
            return str(e).split("Error: ", 1)[-1]
    return None


# --- operators the luqum grammar lacks --------------------------------------------------------

_TERM_RE = re.compile(_lq.TERM_RE, re.VERBOSE)
_PHRASE_RE = re.compile(_lq.PHRASE_RE, re.VERBOSE)
_REGEX_RE = re.compile(_lq.REGEX_RE, re.VERBOSE)


def _rewrite_operators(query: str) -> tuple[str, list[int]]:
    """Turn Lucene's ``&&`` ``||`` ``!`` into AND/OR/NOT, which is all luqum understands.

    Tokenises like luqum so phrases, regexes and terms such as ``a&&b`` are left alone (Lucene
    also reads ``a&&b`` as one term). Returns the new text and each character's original offset.
    """
    out: list[str] = []
    origin: list[int] = []

    def emit(text: str, at: int, same: bool = True) -> None:
        out.append(text)
        origin.extend(range(at, at + len(text)) if same else [at] * len(text))

    i = 0
    while i < len(query):
        m = _PHRASE_RE.match(query, i) or _REGEX_RE.match(query, i) or _TERM_RE.match(query, i)
        if m is None or not m.group(0):
            emit(query[i], i)
            i += 1
            continue
        token = m.group(0)
        if token.startswith("!"):
            emit("NOT ", i, same=False)  # then lex what follows the ``!`` afresh
            i += 1
            continue
        replacement = {"&&": "AND", "||": "OR"}.get(token)
        emit(replacement or token, i, same=replacement is None)
        i = m.end()
    origin.append(len(query))
    return "".join(out), origin


# --- compiler ---------------------------------------------------------------------------------


class _Compiler:
    def __init__(self, columns: Mapping[str, str], now: dt.datetime, origin: list[int]) -> None:
        self.columns = columns
        self.now = now
        self.origin = origin

    def where(self, item: lt.Item) -> str | None:
        pos = getattr(item, "pos", None)
        return None if pos is None else f"column {self.origin[min(pos, len(self.origin) - 1)] + 1}"

    def fail(self, message: str, item: lt.Item) -> QuerySyntaxError:
        return QuerySyntaxError(message, where=self.where(item))

    def node(self, n: lt.Item, field: str | None, depth: int = 0) -> _Frag:
        if depth > _MAX_DEPTH:
            raise self.fail("query is nested too deeply", n)
        d = depth + 1
        if isinstance(n, lt.SearchField):
            return self.node(n.expr, _plain(_chars(n.name)), d)
        if isinstance(n, lt.BaseGroup):
            return self.node(n.expr, field, d)
        if isinstance(n, lt.AndOperation):
            return _join([self.node(op, field, d) for op in n.operands], "AND")
        if isinstance(n, lt.OrOperation):
            return _join([self.node(op, field, d) for op in n.operands], "OR")
        if isinstance(n, lt.UnknownOperation):
            return self.juxtaposed(n.operands, field, d)
        if isinstance(n, lt.Not | lt.Prohibit):
            return _not(self.node(n.a, field, d))
        if isinstance(n, lt.Plus):
            return self.node(n.a, field, d)
        if isinstance(n, lt.Boost):  # boosts only change ES scoring, never which documents match
            return self.node(n.expr, field, d)
        if isinstance(n, lt.Fuzzy):
            raise self.fail("fuzzy search (term~N) is not supported; use a wildcard such as term*", n)
        if isinstance(n, lt.Proximity):
            raise self.fail('proximity search ("…"~N) is not supported; drop the ~N', n)
        if isinstance(n, lt.Term | lt.Range | lt.OpenRange):
            return self.leaf(n, field)
        raise self.fail(f"unsupported query syntax: {n}", n)

    def juxtaposed(self, operands: Sequence[lt.Item], field: str | None, depth: int) -> _Frag:
        """Terms without AND/OR between them: ES bool semantics with default operator OR.

        ``+x`` must match, ``-x``/``NOT x`` must not, the rest are "should" and at least one must
        match unless a ``+`` clause is present (then they only affect ES scoring).
        """
        must: list[_Frag] = []
        must_not: list[_Frag] = []
        should: list[_Frag] = []
        for op in operands:
            if isinstance(op, lt.Not | lt.Prohibit):
                must_not.append(self.node(op.a, field, depth))
            elif isinstance(op, lt.Plus):
                must.append(self.node(op.a, field, depth))
            else:
                should.append(self.node(op, field, depth))
        parts = list(must)
        if should and not must:
            parts.append(_join(should, "OR"))
        if must_not:
            parts.append(_not(_join(must_not, "OR")))
        return _join(parts, "AND")

    def fields(self, field: str) -> tuple[list[str], bool]:
        """Columns a field name refers to, and whether type errors are tolerated (wildcards)."""
        if "*" not in field:
            return ([field] if field in self.columns else []), False
        rx = re.compile(".*".join(re.escape(p) for p in field.split("*")))
        return [c for c in self.columns if rx.fullmatch(c)], True

    def leaf(self, n: lt.Item, field: str | None) -> _Frag:
        star = isinstance(n, lt.Word) and n.value == "*"
        if field is None:
            if star:
                return _TRUE
            names, lenient = [f for f in DEFAULT_FIELDS if f in self.columns], False
        elif field == "_exists_":
            if not isinstance(n, lt.Word | lt.Phrase):
                raise self.fail("_exists_ needs a field name, e.g. _exists_:source.ip", n)
            name = _plain(_chars(n.value.strip('"')))
            return _join([_exists(self.col(c)) for c in self.fields(name)[0]] or [_FALSE], "OR")
        else:
            if star and field == "*":
                return _TRUE
            names, lenient = self.fields(field)
        frags = []
        for name in names:
            try:
                frags.append(self.leaf_col(n, name, self.col(name)))
            except QuerySyntaxError:
                if not lenient:  # ES also ignores format errors when a field pattern expands
                    raise
        return _join(frags, "OR") if frags else _FALSE

    def col(self, name: str) -> _Col:
        return _column(name, self.columns[name])

    def leaf_col(self, n: lt.Item, name: str, col: _Col) -> _Frag:
        if isinstance(n, lt.Range):
            return self.range(n, name, col, n.low, n.high, n.include_low, n.include_high)
        if isinstance(n, lt.From):
            return self.range(n, name, col, n.a, None, n.include, True)
        if isinstance(n, lt.To):
            return self.range(n, name, col, None, n.a, True, n.include)
        if isinstance(n, lt.Regex):
            return _apply(col, self.regex(n, name, col))
        assert isinstance(n, lt.Word | lt.Phrase)
        if isinstance(n, lt.Word) and n.value == "*":
            return _exists(col)
        phrase = isinstance(n, lt.Phrase)
        chars = _chars(n.value[1:-1] if phrase else n.value)
        wildcard = not phrase and _has_wildcard(chars)
        text = _plain(chars)
        if col.kind == "text":  # analysed field: containment, case-insensitive
            return _apply(col, _Pred("{e} ILIKE ? ESCAPE '\\'", (f"%{_like(chars, wildcard)}%",)))
        if col.kind in ("keyword", "other", "ip") and wildcard:
            expr = "CAST({e} AS VARCHAR)" if col.kind == "other" else "{e}"
            return _apply(col, _Pred(expr + " LIKE ? ESCAPE '\\'", (_like(chars, True),)))
        if wildcard:
            raise self.fail(f"wildcards do not apply to {col.kind} field {name}", n)
        return _apply(col, self.value(n, name, col, text))

    def value(self, n: lt.Item, name: str, col: _Col, text: str) -> _Pred:
        if col.kind == "keyword":
            return _eq(text)
        if col.kind == "other":
            return _Pred("CAST({e} AS VARCHAR) = ?", (text,))
        if col.kind == "number":
            return _eq(self.number(n, name, text))
        if col.kind == "bool":
            if text.lower() not in ("true", "false"):
                raise self.fail(f"{name} is true or false, not {text!r}", n)
            return _eq(text.lower() == "true")
        if col.kind == "time":
            start, end = self.time(n, name, text)
            if end is None:
                return _eq(self.tparam(col, start))
            return _Pred("({e} >= ? AND {e} < ?)", (self.tparam(col, start), self.tparam(col, end)))
        try:  # ip
            net = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise self.fail(f"{text!r} is not an IP address or CIDR range (field {name})", n) from None
        return _ip_interval(net.version, int(net.network_address), int(net.broadcast_address))

    def range(
        self, n: lt.Item, name: str, col: _Col, low: Any, high: Any, incl_low: bool, incl_high: bool
    ) -> _Frag:
        def bound(b: Any) -> str | None:
            if b is None or (isinstance(b, lt.Word) and b.value == "*"):
                return None
            if not isinstance(b, lt.Word | lt.Phrase):
                raise self.fail("range bounds must be values", n)
            return _plain(_chars(b.value[1:-1] if isinstance(b, lt.Phrase) else b.value))

        lo, hi = bound(low), bound(high)
        if lo is None and hi is None:
            return _exists(col)
        if col.kind == "bool":
            raise self.fail(f"ranges do not apply to boolean field {name}", n)
        if col.kind == "ip":
            return _apply(col, self.ip_range(n, name, lo, hi, incl_low, incl_high))
        conds: list[str] = []
        params: list[Any] = []
        if col.kind == "time":
            # A span bound (a date, now/d) covers a whole unit: >= its start or, exclusive, its end;
            # <= its end (exclusive) or < its start. Points compare directly.
            for text, lower, incl in ((lo, True, incl_low), (hi, False, incl_high)):
                if text is None:
                    continue
                start, end = self.time(n, name, text)
                if end is None:
                    conds.append(
                        "{e} " + ((">=" if incl else ">") if lower else ("<=" if incl else "<")) + " ?"
                    )
                    params.append(self.tparam(col, start))
                else:
                    conds.append("{e} " + (">= ?" if lower else "< ?"))
                    params.append(self.tparam(col, start if lower == incl else end))
        else:
            expr = "CAST({e} AS VARCHAR)" if col.kind == "other" else "{e}"
            for text, op in ((lo, ">=" if incl_low else ">"), (hi, "<=" if incl_high else "<")):
                if text is not None:
                    conds.append(f"{expr} {op} ?")
                    params.append(self.number(n, name, text) if col.kind == "number" else text)
        return _apply(col, _Pred("(" + " AND ".join(conds) + ")", tuple(params)))

    def ip_range(
        self, n: lt.Item, name: str, lo: str | None, hi: str | None, incl_low: bool, incl_high: bool
    ) -> _Pred:
        try:
            a = None if lo is None else ipaddress.ip_address(lo)
            b = None if hi is None else ipaddress.ip_address(hi)
        except ValueError as e:
            raise self.fail(f"{e} (field {name})", n) from None
        version = (a or b).version  # type: ignore[union-attr]  # one bound is set
        if a is not None and b is not None and a.version != b.version:
            raise self.fail(f"range on {name} mixes IPv4 and IPv6", n)
        top = 2**32 - 1 if version == 4 else 2**128 - 1
        lo_i = 0 if a is None else int(a) + (0 if incl_low else 1)
        hi_i = top if b is None else int(b) - (0 if incl_high else 1)
        return _ip_interval(version, lo_i, hi_i)

    def regex(self, n: lt.Regex, name: str, col: _Col) -> _Pred:
        if col.kind in ("number", "time", "bool"):
            raise self.fail(f"regular expressions do not apply to {col.kind} field {name}", n)
        pattern = n.value[1:-1].replace("\\/", "/")
        if (problem := _check_regex(pattern)) is not None:
            raise self.fail(f"invalid regular expression: {problem}", n)
        if col.kind == "text":  # no tokens here: search within the text, case-insensitively
            return _Pred("regexp_matches({e}, ?, 'i')", (pattern,))
        expr = "CAST({e} AS VARCHAR)" if col.kind == "other" else "{e}"
        return _Pred(f"regexp_full_match({expr}, ?)", (pattern,))  # ES anchors regexes

    def number(self, n: lt.Item, name: str, text: str) -> int | float:
        value = _number(text)
        if value is None:
            raise self.fail(f"{name} is numeric; {text!r} is not a number", n)
        return value

    def time(self, n: lt.Item, name: str, text: str) -> _Span:
        try:
            return _parse_time(text, self.now)
        except (ValueError, OverflowError, OSError):
            raise self.fail(
                f"{name} is a date; {text!r} is neither ISO-8601 (2026-11-27T08:00:00Z) "
                "nor date math (now-15m, now/d)", n) from None  # fmt: skip

    @staticmethod
    def tparam(col: _Col, t: dt.datetime) -> dt.datetime:
        return t if col.tz else t.replace(tzinfo=None)


def _parse(query: str) -> tuple[lt.Item, list[int]]:
    text, origin = _rewrite_operators(query)

    def column(pos: int) -> str:
        return f"column {origin[min(pos, len(origin) - 1)] + 1}"

    try:
        return _lq_parse(text), origin
    except IllegalCharacterError as e:
        m = re.search(r"at position (\d+)", str(e))
        pos = int(m[1]) if m else 0
        ch = text[pos] if pos < len(text) else ""
        message = {
            '"': 'unclosed quote "',
            "'": "single quotes are not query syntax; put the value in double quotes",
            "/": "unclosed regular expression /",
            "\\": "a backslash must be followed by the character it escapes",
        }.get(ch, f"unexpected character {ch!r}")
        raise QuerySyntaxError(message, where=column(pos)) from None
    except ParseError as e:
        if m := re.search(r"unexpected\s+'(.*)' at position (\d+)", str(e), re.DOTALL):
            token, pos = m[1], int(m[2])
            if not query.startswith(token, origin[min(pos, len(origin) - 1)]):  # we rewrote && || !
                token = {"AND": "&&", "OR": "||", "NOT": "!"}.get(token, token)
            raise QuerySyntaxError(f"unexpected {token!r}", where=column(pos)) from None
        raise QuerySyntaxError(
            "query ends unexpectedly: check for an unclosed parenthesis or bracket, or a trailing AND/OR/NOT",
            where=f"column {len(query) + 1}",
        ) from None
    except Exception as e:  # luqum's own conversions (e.g. Decimal for ^boost) fail on garbage
        raise QuerySyntaxError(f"could not parse query: {e}") from None


def compile_query(query: str, columns: Mapping[str, str], *, now: dt.datetime | None = None) -> SqlFilter:
    """Compile a Lucene query string into a DuckDB filter over ``columns`` (name -> DuckDB type).

    ``now`` anchors date math (default: the current UTC time). Raises ``QuerySyntaxError`` with
    ``where="column N"`` for anything that is not valid query syntax.
    """
    if not query.strip():
        return SqlFilter(sql="TRUE", params=[])
    tree, origin = _parse(query)
    when = now or dt.datetime.now(_UTC)
    when = when.replace(tzinfo=_UTC) if when.tzinfo is None else when.astimezone(_UTC)  # naive = UTC
    try:
        frag = _Compiler(columns, when, origin).node(tree, None)
    except RecursionError:
        raise QuerySyntaxError("query is nested too deeply") from None
    return SqlFilter(sql=frag.sql, params=list(frag.params))
