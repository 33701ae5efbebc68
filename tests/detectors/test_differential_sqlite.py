"""Our Sigma compiler against pySigma's SQLite backend, rule by rule, over generated events.

Every SigmaHQ rule (``rules/``, ``rules-emerging-threats/``, ``rules-threat-hunting/``) that
both sides can express is compared on its own field names (no ECS pipeline: the semantics
are compared, not the mapping). From the rule's own detection values the test generates,
with a fixed seed, events that should match (wildcards filled with random text, numbers as
numbers and as strings, regular expressions expanded into a matching string, addresses inside
the CIDR), whole selections combined along random OR branches, case variants (upper, lower,
mixed) and near misses (one character changed, field missing, null, empty). The events go as
rows into an in-memory SQLite table (one column per field, TEXT affinity as in Zircolite's
table, so a number and its decimal string are stored alike and no string is rewritten; SigmaHQ
has no ``|lt``/``|gt`` rules, which a text column would compare as text) and as flat dicts into
``EventView``; the sets of matching events must be equal.

A disagreement is explained only by re-running the SQLite query on the same rows in a table
that folds case, and only when that table then agrees with us:

============================  =================================================================
documented kind               why the SQLite answer differs and we keep ours
============================  =================================================================
``=`` is case-sensitive       The backend emits ``field='Value'`` for an exact string; SQLite
                              compares with the BINARY collation, Sigma says strings match
                              case-insensitively unless ``|cased``. Confirmed when the same
                              query on a table whose columns are ``COLLATE NOCASE`` agrees
                              with us.
LIKE folds ASCII only         ``LIKE`` (and ``NOCASE``) ignore case for ASCII letters only;
                              ``Ä``/``ä``, ``Σ``/``σ``… differ. Sigma's case-insensitivity is not
                              limited to ASCII. Confirmed when the query agrees with us on a
                              table whose collation and ``LIKE`` fold Unicode (``str.lower``).
============================  =================================================================

Anything else is a failure, reported with the rule file, the event and both answers. Rules
only one side can express are counted with the reason (SQLite cannot search keywords; it
refuses placeholders without values; a field named twice with different case is one SQLite
column). The summary is printed at the end of the run (``pytest -s`` not needed).
"""

from __future__ import annotations

import datetime as dt
import importlib
import ipaddress
import random
import re
import sqlite3
import string
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from sigma.backends.sqlite import sqlite as sqlite_backend_module
from sigma.collection import SigmaCollection
from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
)
from sigma.rule import SigmaRule
from sigma.types import (
    Placeholder,
    SigmaBool,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    SigmaTimestampPart,
    SpecialChars,
)

from detectors.sigma.compiler import CompileError, Matcher, compile_rule
from detectors.sigma.view import EventView

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
SIGMAHQ_DIRS = ("rules", "rules-emerging-threats", "rules-threat-hunting")
SEED = 20261127
MAX_ASSIGNMENTS = 6  # whole-selection events per rule (random OR branches)
MAX_LEAVES = 30  # single-field events per rule (sampled when a rule lists more values)
MAX_EVENTS = 240
EQ_CASE = "`=` is case-sensitive"
UNICODE_CASE = "LIKE folds ASCII only"
TIMESTAMP = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)
_MISSING = object()
_parser: Any = importlib.import_module("re._parser")  # the stdlib regex parser (untyped)

Event = dict[str, Any]
_backend_class: Any = sqlite_backend_module.sqliteBackend  # untyped upstream


def new_backend() -> Any:
    """pySigma's SQLite backend, no processing pipeline (the rules' own field names)."""
    return _backend_class()


# -- values that match a Sigma value -------------------------------------------------------

_FILL = string.ascii_letters + string.digits + " ._-/\\:"
_FILL_RARE = "äÖßéΣσжЖ中"


def _fill(rng: random.Random, lo: int, hi: int) -> str:
    chars = [rng.choice(_FILL) for _ in range(rng.randint(lo, hi))]
    if chars and rng.random() < 0.15:  # now and then a non-ASCII letter
        chars[rng.randrange(len(chars))] = rng.choice(_FILL_RARE)
    return "".join(chars)


def _string_value(value: SigmaString, rng: random.Random) -> str | None:
    out: list[str] = []
    for part in value.s:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Placeholder):
            return None
        elif part is SpecialChars.WILDCARD_MULTI:
            out.append(_fill(rng, 0, 6))
        else:
            out.append(_fill(rng, 1, 1))
    return "".join(out)


def _regex_sample(source: str, rng: random.Random) -> str | None:
    """A string the regular expression finds (None when the generator cannot build one)."""
    try:
        text = _generate(_parser.parse(source), rng, {})
    except (re.error, ValueError, KeyError, IndexError, RecursionError):
        return None
    try:
        found = re.search(source, text) is not None
    except re.error:
        return None
    return text if found else None


def _in_choice(items: list[tuple[Any, Any]], rng: random.Random) -> str:
    negate = any(str(op) == "NEGATE" for op, _ in items)
    pool: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            pool.append(chr(arg))
        elif name == "RANGE":
            pool.extend(chr(c) for c in range(arg[0], min(arg[1], arg[0] + 60) + 1))
        elif name == "CATEGORY":
            category = str(arg)
            if "NOT" in category:
                pool.append("#")
            elif "DIGIT" in category:
                pool.extend("0123456789")
            elif "SPACE" in category:
                pool.append(" ")
            else:
                pool.extend("abcXYZ_09")
    if negate:
        return next(c for c in "qQ#~!@7z" if c not in pool)
    return rng.choice(pool)


def _generate(tokens: Any, rng: random.Random, groups: dict[int, str]) -> str:
    out: list[str] = []
    for op, arg in tokens:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("#" if chr(arg) != "#" else "~")
        elif name == "ANY":
            out.append(rng.choice(string.ascii_letters))
        elif name == "IN":
            out.append(_in_choice(arg, rng))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = arg
            count = rng.randint(low, min(high, low + 2))
            out.extend(_generate(sub, rng, groups) for _ in range(count))
        elif name == "SUBPATTERN":
            number, _add, _del, sub = arg
            text = _generate(sub, rng, groups)
            if number is not None:
                groups[number] = text
            out.append(text)
        elif name == "ATOMIC_GROUP":
            out.append(_generate(arg, rng, groups))
        elif name == "BRANCH":
            out.append(_generate(rng.choice(arg[1]), rng, groups))
        elif name == "GROUPREF":
            out.append(groups[arg])
        elif name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue
        else:
            raise ValueError(name)
    return "".join(out)


def _address(network: ipaddress.IPv4Network | ipaddress.IPv6Network, rng: random.Random) -> str:
    offset = rng.randrange(min(network.num_addresses, 1 << 16))
    return str(network.network_address + offset)


def matching_value(value: Any, rng: random.Random, event: Event) -> Any:
    """A value that meets ``value`` (``_MISSING``: leave the field out; None: cannot generate)."""
    if isinstance(value, SigmaExpansion):
        return matching_value(rng.choice(value.values), rng, event)
    if isinstance(value, SigmaString):
        return _string_value(value, rng)
    if isinstance(value, SigmaBool):
        return rng.choice((value.boolean, "true" if value.boolean else "false"))
    if isinstance(value, SigmaNumber):
        number = value.number
        return rng.choice((number, str(number)))
    if isinstance(value, SigmaNull):
        return _MISSING
    if isinstance(value, SigmaExists):
        return _fill(rng, 1, 8) if value.exists else _MISSING
    if isinstance(value, SigmaRegularExpression):
        return _regex_sample(str(value.regexp), rng)
    if isinstance(value, SigmaCIDRExpression):
        return _address(value.network, rng)
    if isinstance(value, SigmaCompareExpression):
        return value.number.number + rng.choice((-1, 0, 1))
    if isinstance(value, SigmaFieldReference):
        found = event.get(value.field)
        if found is None:
            found = event[value.field] = _fill(rng, 1, 8)
        return found
    return None


# -- events from a rule --------------------------------------------------------------------


def leaves(node: Any) -> Iterator[ConditionFieldEqualsValueExpression]:
    if isinstance(node, ConditionFieldEqualsValueExpression):
        yield node
    for arg in getattr(node, "args", ()):
        yield from leaves(arg)


def _assign(node: Any, rng: random.Random, event: Event, want: bool) -> None:
    """Fill ``event`` so that ``node`` is (likely) ``want``, choosing OR branches at random."""
    if isinstance(node, ConditionNOT):
        _assign(node.args[0], rng, event, not want)
    elif isinstance(node, ConditionAND | ConditionOR):
        every = isinstance(node, ConditionAND) == want
        for arg in node.args if every else [rng.choice(node.args)]:
            _assign(arg, rng, event, want)
    elif isinstance(node, ConditionFieldEqualsValueExpression):
        value = node.value
        if not want:  # only the tests for absence need a value to be false
            absent = isinstance(value, SigmaNull) or (isinstance(value, SigmaExists) and not value.exists)
            if absent and node.field not in event:
                event[node.field] = _fill(rng, 1, 8)
            return
        found = matching_value(value, rng, event)
        if found is _MISSING:
            event.pop(node.field, None)
        elif found is not None:
            previous = event.get(node.field)
            both_text = isinstance(previous, str) and isinstance(found, str)
            # contains|all and friends: several literals of one field in one value
            event[node.field] = previous + found if both_text else found


def _recase(event: Event, how: str, rng: random.Random) -> Event:
    def change(text: str) -> str:
        if how == "upper":
            return text.upper()
        if how == "lower":
            return text.lower()
        return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in text)

    return {k: change(v) if isinstance(v, str) else v for k, v in event.items()}


def _one_char_changed(value: Any, rng: random.Random) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    text = str(value)
    if not text:
        return "x"
    try:  # an address stays an address (a CIDR is about networks, not text)
        address = ipaddress.ip_address(text)
        return str(address + 1 if int(address) < (1 << address.max_prefixlen) - 1 else address - 1)
    except ValueError:
        pass
    at = rng.randrange(len(text))
    replacement = rng.choice([c for c in "xQ7_%é" if c != text[at]])
    return text[:at] + replacement + text[at + 1 :]


def generate_events(trees: list[Any], rng: random.Random) -> list[Event]:
    """Matching events, case variants and near misses built from the rule's own values."""
    events: list[Event] = []
    for number in range(MAX_ASSIGNMENTS):
        event: Event = {}
        _assign(trees[number % len(trees)], rng, event, True)
        events.append(event)
        events.extend(_recase(event, how, rng) for how in ("upper", "lower", "mixed"))
        for name, value in event.items():
            events.append({**event, name: _one_char_changed(value, rng)})
            events.append({k: v for k, v in event.items() if k != name})
            events.append({**event, name: None})
            if isinstance(value, str):
                events.append({**event, name: ""})
            elif isinstance(value, int | float) and not isinstance(value, bool):
                events.append({**event, name: str(value)})
    nodes = [node for tree in trees for node in leaves(tree)]
    if len(nodes) > MAX_LEAVES:
        nodes = rng.sample(nodes, MAX_LEAVES)
    for node in nodes:
        single: Event = {}
        found = matching_value(node.value, rng, single)
        if found is None or found is _MISSING:
            continue
        single[node.field] = found
        events.append(single)
        events.append(_recase(single, rng.choice(("upper", "lower", "mixed")), rng))
    unique: dict[str, Event] = {}
    for event in events:
        unique.setdefault(repr(sorted(event.items(), key=lambda kv: kv[0])), event)
    out = list(unique.values())
    return out if len(out) <= MAX_EVENTS else rng.sample(out, MAX_EVENTS)


# -- SQLite: a strict table and two that fold case -------------------------------------------


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _regexp(pattern: str | None, value: Any) -> int | None:
    if pattern is None or value is None:
        return None
    return int(_compiled(pattern).search(_text(value)) is not None)


@lru_cache(maxsize=8192)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@lru_cache(maxsize=8192)
def _like_regex(pattern: str, escape: str | None) -> re.Pattern[str]:
    out: list[str] = []
    chars = iter(pattern.lower())
    for char in chars:
        if escape is not None and char == escape:
            out.append(re.escape(next(chars, "")))
        elif char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        else:
            out.append(re.escape(char))
    return re.compile("".join(out), re.DOTALL)


def _unicode_like(pattern: Any, value: Any, escape: Any = None) -> int | None:
    if pattern is None or value is None:
        return None
    return int(_like_regex(_text(pattern), escape).fullmatch(_text(value).lower()) is not None)


def _unicode_fold(a: str, b: str) -> int:
    a, b = a.lower(), b.lower()
    return (a > b) - (a < b)


TABLES = ("strict", "ascii", "unicode")


def _connection(kind: str) -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    connection.create_function("regexp", 2, _regexp, deterministic=True)
    if kind == "unicode":
        connection.create_collation("ufold", _unicode_fold)
        connection.create_function("like", 2, _unicode_like, deterministic=True)
        connection.create_function("like", 3, _unicode_like, deterministic=True)
    return connection


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class SqliteRun:
    """The backend's queries over the events, in the strict and the two case-folding tables."""

    def __init__(self) -> None:
        self.connections = {kind: _connection(kind) for kind in TABLES}

    def matches(self, queries: list[str], columns: list[str], events: list[Event]) -> dict[str, set[int]]:
        collation = {"strict": "", "ascii": " COLLATE NOCASE", "unicode": " COLLATE ufold"}
        rows = [
            (number, *(_stored(event.get(column)) for column in columns))
            for number, event in enumerate(events)
        ]
        out: dict[str, set[int]] = {}
        for kind, connection in self.connections.items():
            connection.execute("DROP TABLE IF EXISTS logs")
            spec = ", ".join(f"{_quote(c)} TEXT{collation[kind]}" for c in columns)
            connection.execute(f"CREATE TABLE logs (_n INTEGER, {spec})")
            marks = ", ".join("?" * (len(columns) + 1))
            connection.executemany(f"INSERT INTO logs VALUES ({marks})", rows)
            found: set[int] = set()
            for query in queries:
                head = "SELECT * FROM logs WHERE "
                assert query.startswith(head), query
                found.update(
                    n for (n,) in connection.execute("SELECT _n FROM logs WHERE " + query[len(head) :])
                )
            out[kind] = found
        return out


def _stored(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


# -- comparing --------------------------------------------------------------------------------


@dataclass
class Report:
    rules_seen: int = 0
    compared: int = 0
    events: int = 0
    matching: int = 0  # events our matcher accepted
    agreements: int = 0
    only_ours: Counter[str] = field(default_factory=Counter)
    only_sqlite: Counter[str] = field(default_factory=Counter)
    neither: Counter[str] = field(default_factory=Counter)
    documented: Counter[str] = field(default_factory=Counter)
    documented_rules: dict[str, set[str]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"rules read {self.rules_seen}, compared {self.compared}; events {self.events} "
            f"({self.matching} matching by Sigma semantics); agreements {self.agreements}",
            f"documented exceptions: {sum(self.documented.values())} events",
        ]
        for kind, count in self.documented.most_common():
            out.append(f"  {kind}: {count} events in {len(self.documented_rules[kind])} rules")
        for title, counter in (
            ("only we express", self.only_ours),
            ("only the SQLite backend expresses", self.only_sqlite),
            ("neither expresses", self.neither),
        ):
            out.append(f"{title}: {sum(counter.values())}")
            out.extend(f"  {count:5d}  {reason}" for reason, count in counter.most_common())
        out.append(f"failures: {len(self.failures)}")
        return out


def _reason(error: Exception) -> str:
    text = " ".join(str(error).split())
    text = re.sub(r"'[^']*'", "'…'", text)  # group reasons that differ only by the name quoted
    return f"{type(error).__name__}: {text[:110]}"


def _ours(rule: SigmaRule) -> Matcher:
    return compile_rule(rule).matcher


def compare_rule(
    rule: SigmaRule,
    where: str,
    backend: Any,
    run: SqliteRun,
    rng: random.Random,
    report: Report,
    matcher_of: Callable[[SigmaRule], Matcher] = _ours,
) -> None:
    """Compile and convert ``rule``, then compare both answers over its generated events."""
    report.rules_seen += 1
    ours: Matcher | None = None
    ours_error = sqlite_error = None
    trees: list[Any] = []
    try:
        trees = [condition.parsed for condition in rule.detection.parsed_condition]
        if any(isinstance(node.value, SigmaTimestampPart) for tree in trees for node in leaves(tree)):
            raise CompileError("timestamp parts: we read @timestamp, the backend a field")
        ours = matcher_of(rule)
    except Exception as exc:
        ours_error = _reason(exc)
    queries: list[str] = []
    try:
        queries = list(backend.convert_rule(rule))
    except Exception as exc:
        sqlite_error = _reason(exc)
    fields = sorted({n.field for t in trees for n in leaves(t)} | _refs(trees)) if ours is not None else []
    if ours is not None and sqlite_error is None and len({f.lower() for f in fields}) < len(fields):
        sqlite_error = "field names differing only in case are one SQLite column"
    if ours_error and sqlite_error:
        report.neither[f"{ours_error} / {sqlite_error}"] += 1
        return
    if ours_error:
        report.only_sqlite[ours_error] += 1
        return
    if sqlite_error:
        report.only_ours[sqlite_error] += 1
        return
    assert ours is not None
    events = generate_events(trees, rng)
    sql = run.matches(queries, fields, events)
    report.compared += 1
    report.events += len(events)
    for number, event in enumerate(events):
        view = EventView(dict(event), timestamp=TIMESTAMP, timezone=dt.UTC)
        mine = ours(view)
        report.matching += mine
        if mine == (number in sql["strict"]):
            report.agreements += 1
        elif mine == (number in sql["ascii"]):
            report.documented[EQ_CASE] += 1
            report.documented_rules.setdefault(EQ_CASE, set()).add(where)
        elif mine == (number in sql["unicode"]):
            report.documented[UNICODE_CASE] += 1
            report.documented_rules.setdefault(UNICODE_CASE, set()).add(where)
        else:
            report.failures.append(
                f"{where}\n    event {event!r}\n    ours {mine}, sqlite {not mine}\n    query {queries}"
            )


def _refs(trees: list[Any]) -> set[str]:
    return {n.value.field for t in trees for n in leaves(t) if isinstance(n.value, SigmaFieldReference)}


def compare_files(files: list[Path], report: Report) -> None:
    backend, run, rng = new_backend(), SqliteRun(), random.Random(SEED)
    for path in files:
        collection = SigmaCollection.from_yaml(path.read_text("utf-8"), collect_errors=True)
        for rule in collection.rules:
            if isinstance(rule, SigmaRule) and not rule.errors:
                compare_rule(rule, str(path), backend, run, rng, report)


# -- tests ------------------------------------------------------------------------------------


def _rule(detection: str) -> SigmaRule:
    text = f"title: t\nlogsource: {{product: test}}\ndetection:\n{detection}"
    rule = SigmaCollection.from_yaml(text).rules[0]
    assert isinstance(rule, SigmaRule)
    return rule


def _compare_one(detection: str) -> Report:
    report = Report()
    compare_rule(_rule(detection), "inline", new_backend(), SqliteRun(), random.Random(SEED), report)
    return report


def test_case_variants_of_an_exact_value_are_the_documented_exception() -> None:
    report = _compare_one("  sel:\n    Image: 'CMD.exe'\n  condition: sel\n")
    assert report.compared == 1 and not report.failures
    assert report.documented[EQ_CASE] > 0  # the upper/lower/mixed variants


def test_non_ascii_case_is_the_documented_exception() -> None:
    report = _compare_one("  sel:\n    Title|contains: 'Äpfel'\n  condition: sel\n")
    assert not report.failures
    assert report.documented[UNICODE_CASE] > 0


def test_a_wrong_matcher_is_reported_as_a_failure() -> None:
    report = Report()
    rule = _rule("  sel:\n    Image|endswith: '.exe'\n  condition: sel\n")
    always: Matcher = lambda view: True  # noqa: E731
    compare_rule(rule, "inline", new_backend(), SqliteRun(), random.Random(SEED), report, lambda r: always)
    assert report.failures  # the near misses catch it; case folding does not excuse it
    assert "ours True, sqlite False" in report.failures[0]


def test_keywords_are_counted_as_only_ours() -> None:
    report = _compare_one("  keywords:\n    - 'evil'\n  condition: keywords\n")
    assert report.compared == 0 and sum(report.only_ours.values()) == 1


def test_sigmahq_rules_agree_with_the_sqlite_backend(capsys: pytest.CaptureFixture[str]) -> None:
    root = CORPUS / "sigmahq"
    present = [root / name for name in SIGMAHQ_DIRS if (root / name).is_dir()]
    if not present:
        pytest.skip(f"SigmaHQ corpus not available under {root} (checked out next to the repository)")
    files = sorted(p for folder in present for p in folder.rglob("*") if p.suffix in (".yml", ".yaml"))
    report = Report()
    compare_files(files, report)
    with capsys.disabled():
        print("\n== Sigma compiler vs pySigma SQLite backend (SigmaHQ, rules' own field names) ==")
        print("\n".join(report.lines()))
        for failure in report.failures[:20]:
            print("FAIL", failure)
    assert report.compared > 3000
    assert report.matching > report.events // 10  # the generator does produce matches
    assert not report.failures, f"{len(report.failures)} disagreements, first: {report.failures[0]}"
