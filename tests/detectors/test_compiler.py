"""Sigma value semantics of the compiler: one rule, one event, the answer the Sigma spec gives."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sigma.rule import SigmaRule

from detectors.sigma.compiler import Compiled, CompileError, Needle, compile_rule
from detectors.sigma.view import EventView

UTC_0800 = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)  # 16:00 in Asia/Shanghai
SHANGHAI = ZoneInfo("Asia/Shanghai")


def compiled(detection: dict[str, Any]) -> Compiled:
    rule = SigmaRule.from_dict({"title": "t", "logsource": {"product": "test"}, "detection": {**detection}})
    return compile_rule(rule)


def matches(
    detection: dict[str, Any],
    event: dict[str, Any],
    *,
    timestamp: dt.datetime = UTC_0800,
    timezone: dt.tzinfo = dt.UTC,
) -> bool:
    """Whether ``event`` (flat fields) matches the rule with this detection."""
    view = EventView(event, timestamp=timestamp, timezone=timezone)
    return compiled(detection).matcher(view)


def field(key: str, value: Any) -> dict[str, Any]:
    """A detection with one selection ``{key: value}``."""
    return {"sel": {key: value}, "condition": "sel"}


# -- plain strings, case, wildcards ------------------------------------------------------------


@pytest.mark.parametrize("value", ["cmd.exe", "CMD.EXE", "Cmd.Exe"])
def test_strings_match_case_insensitively(value: str) -> None:
    assert matches(field("Image", "cmd.exe"), {"Image": value})


def test_non_ascii_case_is_folded_too() -> None:
    assert matches(field("Title", "ÄPFEL"), {"Title": "äpfel"})
    assert matches(field("Title", "Σ*"), {"Title": "σίσυφος"})


def test_plain_string_is_the_whole_value() -> None:
    assert not matches(field("Image", "cmd.exe"), {"Image": "C:\\cmd.exe"})
    assert not matches(field("Image", "cmd.exe"), {"Image": "cmd.exe "})


def test_cased_keeps_case() -> None:
    assert matches(field("Image|cased", "Cmd.exe"), {"Image": "Cmd.exe"})
    assert not matches(field("Image|cased", "Cmd.exe"), {"Image": "cmd.exe"})
    assert matches(field("Image|cased|contains", "MiMi"), {"Image": "xMiMiy"})
    assert not matches(field("Image|cased|contains", "MiMi"), {"Image": "xmimiy"})


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("*\\cmd.exe", "C:\\Windows\\cmd.exe", True),
        ("*\\cmd.exe", "C:\\Windows\\xcmd.exe", False),
        ("C:\\\\*", "c:\\x", True),  # \\ then a wildcard
        ("C:\\*", "C:*", True),  # \* alone is a literal star
        ("*mimi*", "XMIMIX", True),
        ("a*b*c", "aXXbYYc", True),
        ("a*b*c", "aXXcYYb", False),
        ("a?c", "abc", True),
        ("a?c", "ac", False),
        ("a?c", "abbc", False),
        ("*", "", True),
        ("a*", "a\nb", True),  # * crosses line breaks
        ("a\\*b", "a*b", True),  # escaped star is literal
        ("a\\*b", "axxb", False),
        ("a\\?b", "a?b", True),
        ("a\\?b", "axb", False),
        ("a\\\\b", "a\\b", True),  # escaped backslash
        ("100%_x", "100%_x", True),  # SQL wildcards mean nothing here
        ("100%_x", "100abx", False),
    ],
)
def test_wildcards(pattern: str, value: str, expected: bool) -> None:
    assert matches(field("F", pattern), {"F": value}) is expected


def test_several_values_are_alternatives() -> None:
    detection = field("Image|endswith", ["\\a.exe", "\\b.exe", "c*d"])
    assert matches(detection, {"Image": "x\\B.EXE"})
    assert matches(detection, {"Image": "cXd"})
    assert not matches(detection, {"Image": "x\\c.exe"})


# -- modifiers ---------------------------------------------------------------------------------


def test_contains_startswith_endswith() -> None:
    assert matches(field("F|contains", "bad"), {"F": "xxBADxx"})
    assert not matches(field("F|contains", "bad"), {"F": "xxbaxdxx"})
    assert matches(field("F|startswith", "bad"), {"F": "BADxx"})
    assert not matches(field("F|startswith", "bad"), {"F": "xbad"})
    assert matches(field("F|endswith", "bad"), {"F": "xxBad"})
    assert not matches(field("F|endswith", "bad"), {"F": "badx"})


def test_contains_keeps_inner_wildcards() -> None:
    assert matches(field("F|contains", "a*b"), {"F": "xxaYYbxx"})
    assert matches(field("F|contains", "a?b"), {"F": "xxaYbxx"})
    assert not matches(field("F|contains", "a?b"), {"F": "xxabxx"})


def test_contains_all() -> None:
    detection = field("F|contains|all", ["-enc", "hidden"])
    assert matches(detection, {"F": "powershell -ENC x -w HIDDEN"})
    assert not matches(detection, {"F": "powershell -enc x"})


@pytest.mark.parametrize(
    ("regex", "value", "expected"),
    [
        ("ab+c", "xxabbbcxx", True),  # search, not anchored
        ("^ab+c$", "xxabbbcxx", False),
        ("ab+c", "ABBC", False),  # regular expressions are case-sensitive
        ("(?i)ab+c", "ABBC", True),
    ],
)
def test_re(regex: str, value: str, expected: bool) -> None:
    assert matches(field("F|re", regex), {"F": value}) is expected


def test_re_flags() -> None:
    assert matches(field("F|re|i", "ab+c"), {"F": "ABBC"})
    assert not matches(field("F|re", "^b$"), {"F": "a\nb"})
    assert matches(field("F|re|m", "^b$"), {"F": "a\nb"})
    assert not matches(field("F|re", "a.b"), {"F": "a\nb"})
    assert matches(field("F|re|s", "a.b"), {"F": "a\nb"})


def test_cidr_v4_and_v6() -> None:
    v4 = field("ip|cidr", "198.51.100.0/24")
    assert matches(v4, {"ip": "198.51.100.7"})
    assert not matches(v4, {"ip": "198.51.101.7"})
    assert not matches(v4, {"ip": "198.51.100.7x"})
    assert not matches(v4, {"ip": "not an address"})
    v6 = field("ip|cidr", ["2001:db8::/32"])
    assert matches(v6, {"ip": "2001:DB8:0:0::1"})
    assert matches(v6, {"ip": "2001:db8::1"})
    assert not matches(v6, {"ip": "2001:db9::1"})
    assert not matches(v6, {"ip": "198.51.100.7"})


def test_base64() -> None:
    assert matches(field("F|base64", "evil"), {"F": base64.b64encode(b"evil").decode()})
    assert not matches(field("F|base64", "evil"), {"F": "evil"})


def test_base64offset_finds_the_text_at_any_offset() -> None:
    detection = field("F|base64offset|contains", "http://")
    for prefix in (b"", b"a", b"ab"):
        encoded = base64.b64encode(prefix + b"http://203.0.113.5/x").decode()
        assert matches(detection, {"F": f"powershell -e {encoded}"}), prefix


def test_windash() -> None:
    detection = field("CommandLine|windash|contains", " -exec ")
    for dash in ("-", "/", "–", "—", "―"):
        assert matches(detection, {"CommandLine": f"x {dash}exec bypass"}), dash
    assert not matches(detection, {"CommandLine": "x +exec bypass"})


def test_wide() -> None:
    detection = field("F|wide|base64offset|contains", "ping")
    assert matches(detection, {"F": _b64_wide("ping")})  # UTF-16LE, as PowerShell -enc carries it
    assert not matches(detection, {"F": base64.b64encode(b"ping").decode()})


def _b64_wide(text: str) -> str:
    return base64.b64encode(text.encode("utf-16-le")).decode()


def test_exists() -> None:
    assert matches(field("F|exists", True), {"F": "x"})
    assert matches(field("F|exists", True), {"F": ""})  # an empty string is present
    assert not matches(field("F|exists", True), {"F": None})
    assert not matches(field("F|exists", True), {})
    assert matches(field("F|exists", False), {})
    assert matches(field("F|exists", False), {"F": None})
    assert not matches(field("F|exists", False), {"F": "x"})


def test_fieldref() -> None:
    assert matches(field("a|fieldref", "b"), {"a": "Same", "b": "same"})
    assert not matches(field("a|fieldref", "b"), {"a": "one", "b": "two"})
    assert not matches(field("a|fieldref", "b"), {"a": "one"})
    assert matches(field("a|fieldref|startswith", "b"), {"a": "prefix-rest", "b": "prefix"})
    assert matches(field("a|fieldref|endswith", "b"), {"a": "rest-suffix", "b": "suffix"})


@pytest.mark.parametrize(
    ("modifier", "value", "expected"),
    [
        ("lt", 10, True),
        ("lt", 11, False),
        ("lte", 11, True),
        ("gt", 12, True),
        ("gt", 11, False),
        ("gte", 11, True),
        ("neq", 11, False),
        ("neq", 3, True),
    ],
)
def test_comparisons(modifier: str, value: int, expected: bool) -> None:
    # the bound is the rule's value: F|lt: 10 means F < 10
    event_value = 11
    detection = field(f"F|{modifier}", value)
    assert matches(detection, {"F": event_value}) is _flip(modifier, value, event_value, expected)
    assert matches(detection, {"F": str(event_value)}) is _flip(modifier, value, event_value, expected)


def _flip(modifier: str, bound: int, found: int, _expected: bool) -> bool:
    ops = {
        "lt": found < bound,
        "lte": found <= bound,
        "gt": found > bound,
        "gte": found >= bound,
        "neq": found != bound,
    }
    return ops[modifier]


def test_comparison_ignores_non_numbers() -> None:
    assert not matches(field("F|gt", 1), {"F": "many"})
    assert not matches(field("F|gt", 1), {})


# -- keywords -----------------------------------------------------------------------------------


def test_keywords_search_the_original_and_the_message() -> None:
    detection = {"keywords": ["union select", "drop table"], "condition": "keywords"}
    assert matches(detection, {"event.original": "GET /?q=1 UNION SELECT 2"})
    assert matches(detection, {"message": "x DROP TABLE y"})
    assert not matches(detection, {"url.original": "union select"})
    assert not matches(detection, {"event.original": "union  select"})


@pytest.mark.parametrize("keyword", ["drop*table", "drop*", "*table", "dr?p"])
def test_keywords_with_wildcards_are_searched_inside_the_text(keyword: str) -> None:
    detection = {"keywords": [keyword], "condition": "keywords"}
    assert matches(detection, {"event.original": "x; DROP big TABLE y"})


def test_keyword_all() -> None:
    detection = {"keywords": {"|all": ["alpha", "beta"]}, "condition": "keywords"}
    assert matches(detection, {"event.original": "beta then alpha"})
    assert not matches(detection, {"event.original": "alpha only"})


# -- null, missing, empty -----------------------------------------------------------------------


def test_null_is_missing_or_null_not_empty() -> None:
    assert matches(field("F", None), {})
    assert matches(field("F", None), {"F": None})
    assert not matches(field("F", None), {"F": ""})
    assert not matches(field("F", None), {"F": "x"})


def test_empty_string_is_only_the_empty_value() -> None:
    assert matches(field("F", ""), {"F": ""})
    assert not matches(field("F", ""), {})
    assert not matches(field("F", ""), {"F": None})
    assert not matches(field("F", ""), {"F": "x"})


def test_not_on_a_missing_field_is_true() -> None:
    detection = {"sel": {"A": "x"}, "filter": {"B": "y"}, "condition": "sel and not filter"}
    assert matches(detection, {"A": "x"})
    assert not matches(detection, {"A": "x", "B": "Y"})


# -- lists, numbers, booleans --------------------------------------------------------------------


def test_list_valued_field_matches_when_any_element_does() -> None:
    assert matches(field("event.type", "denied"), {"event.type": ["connection", "denied"]})
    assert not matches(field("event.type", "denied"), {"event.type": ["connection", "allowed"]})
    assert matches(field("related.ip|cidr", "192.0.2.0/24"), {"related.ip": ["198.51.100.1", "192.0.2.9"]})
    assert not matches(field("event.type", "denied"), {"event.type": []})
    assert matches(field("event.type", None), {"event.type": []})


def test_nested_objects_in_lists_are_reached_by_dotted_name() -> None:
    event = {"dns.answers": [{"data": "198.51.100.1"}, {"data": "192.0.2.53"}]}
    assert matches(field("dns.answers.data", "192.0.2.53"), event)
    assert not matches(field("dns.answers.data", "192.0.2.54"), event)


@pytest.mark.parametrize("value", [4624, "4624"])
def test_numbers_match_numbers_and_numeric_strings(value: Any) -> None:
    assert matches(field("EventID", 4624), {"EventID": value})
    assert matches(field("EventID", "4624"), {"EventID": value})
    assert not matches(field("EventID", 4624), {"EventID": "46240"})
    assert not matches(field("EventID", 4624), {"EventID": 4625})


def test_numeric_wildcards_read_the_number_as_text() -> None:
    assert matches(field("port", "44*"), {"port": 443})
    assert matches(field("port|endswith", "43"), {"port": 443})


def test_booleans() -> None:
    assert matches(field("flag", True), {"flag": True})
    assert matches(field("flag", True), {"flag": "true"})
    assert matches(field("flag", True), {"flag": "TRUE"})
    assert not matches(field("flag", True), {"flag": False})
    assert not matches(field("flag", True), {"flag": 1})
    assert matches(field("flag", "true"), {"flag": True})


# -- timestamp parts ---------------------------------------------------------------------------


def test_hour_reads_timestamp_in_the_views_timezone() -> None:
    detection = field("@timestamp|hour", 16)
    assert matches(detection, {}, timestamp=UTC_0800, timezone=SHANGHAI)
    assert not matches(detection, {}, timestamp=UTC_0800, timezone=dt.UTC)
    assert matches(field("@timestamp|hour", 8), {}, timestamp=UTC_0800, timezone=dt.UTC)


def test_other_timestamp_parts() -> None:
    late = dt.datetime(2026, 12, 31, 20, 30, tzinfo=dt.UTC)  # 2027-01-01 04:30 in Shanghai
    assert matches(field("@timestamp|year", 2027), {}, timestamp=late, timezone=SHANGHAI)
    assert matches(field("@timestamp|month", 1), {}, timestamp=late, timezone=SHANGHAI)
    assert matches(field("@timestamp|day", 1), {}, timestamp=late, timezone=SHANGHAI)
    assert matches(field("@timestamp|minute", 30), {}, timestamp=late, timezone=SHANGHAI)


# -- placeholders, conditions, requirements ------------------------------------------------------


def test_placeholder_without_values_matches_nothing_and_is_named() -> None:
    result = compiled(field("user|expand", "%admins%"))
    assert result.unresolved == frozenset({"admins"})
    assert not result.matcher(EventView({"user": "%admins%"}, timestamp=UTC_0800, timezone=dt.UTC))
    negated = compiled({"sel": {"A": "x"}, "f": {"user|expand": "%admins%"}, "condition": "sel and not f"})
    assert negated.matcher(EventView({"A": "x", "user": "root"}, timestamp=UTC_0800, timezone=dt.UTC))


def test_condition_operators() -> None:
    detection = {
        "sel_a": {"A": "1"},
        "sel_b": {"B": "2"},
        "filter": {"C": "3"},
        "condition": "1 of sel_* and not filter",
    }
    assert matches(detection, {"B": "2"})
    assert not matches(detection, {"B": "2", "C": "3"})
    assert not matches(detection, {"C": "3"})
    every = {**detection, "condition": "all of sel_*"}
    assert matches(every, {"A": "1", "B": "2"})
    assert not matches(every, {"A": "1"})


def test_requirement_names_literals_for_the_prefilter() -> None:
    needs = compiled(field("Image|endswith", "\\mimikatz.exe")).requirement
    assert needs == frozenset({Needle("Image", "\\mimikatz.exe", False)})
    exact = compiled(field("Image", "Cmd.exe")).requirement
    assert exact == frozenset({Needle("Image", "cmd.exe", True)})
    assert compiled(field("F|exists", True)).requirement is None


def test_unsupported_value_is_a_compile_error() -> None:
    with pytest.raises(CompileError):
        compiled({"keywords": [None], "condition": "keywords"})
