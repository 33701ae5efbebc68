"""LEEF ``devTimeFormat``: formats strptime cannot read are not used (the common shapes still are)."""

from __future__ import annotations


def test_a_format_naming_a_field_twice_is_not_used() -> None:
    # found by the mutation property test: strptime refused the repeated year with re.error
    from collectors.parsers.leef_log.parser import _java_time, _strptime_pattern

    assert _strptime_pattern('dd.MM.y"yyy HH:mm:ss') is None
    assert _java_time("27.11.2026 16:04:05", 'dd.MM.y"yyy HH:mm:ss', "Asia/Shanghai") is None
    assert _strptime_pattern("dd.MM.yyyy HH:mm:ss") == "%d.%m.%Y %H:%M:%S"
