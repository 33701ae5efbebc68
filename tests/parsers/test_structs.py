"""FieldCopier: the set fields of a msgspec Struct, copied into a dict by name."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from collectors.parsers.structs import FieldCopier
from collectors.parsers.suricata_eve.shapes import PASSTHROUGH, PASSTHROUGH_FIELDS, Eve


class Sample(msgspec.Struct, kw_only=True):
    a: Any = None
    b: int | None = None
    c: str | None = None
    d: Any = None


def test_copies_the_named_fields_that_are_set_in_the_order_named() -> None:
    out: dict[str, Any] = {"keep": 1}
    FieldCopier(Sample, ("d", "b", "a")).copy(Sample(a=0, b=None, c="x", d={"k": [1]}), out)
    assert out == {"keep": 1, "d": {"k": [1]}, "a": 0}
    assert list(out) == ["keep", "d", "a"]  # falsy values are kept, only None is left out


def test_nothing_set_changes_nothing() -> None:
    out: dict[str, Any] = {}
    FieldCopier(Sample, ("a", "b", "c", "d")).copy(Sample(), out)
    assert out == {}


def test_names_are_checked_against_the_struct() -> None:
    with pytest.raises(ValueError, match=r"Sample has no fields \['e'\]"):
        FieldCopier(Sample, ("a", "e"))
    with pytest.raises(ValueError, match="none named"):
        FieldCopier(Sample, ())


def test_the_eve_passthrough_copier_matches_reading_attributes() -> None:
    line = b'{"timestamp":"2026-11-27T16:00:00.000000+0800","event_type":"flow","flow_id":7,"tx_id":2}'
    eve = msgspec.json.decode(line, type=Eve)
    out: dict[str, Any] = {}
    PASSTHROUGH_FIELDS.copy(eve, out)
    assert out == {name: getattr(eve, name) for name in PASSTHROUGH if getattr(eve, name) is not None}
    assert out == {"flow_id": 7, "tx_id": 2}
