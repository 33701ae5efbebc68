"""Copying the set fields of a msgspec Struct into a dict (compiled with the parse path).

EVE objects carry dozens of rarely used fields that ECS has no place for; each line copies
those that are set under ``suricata.eve.*``. Generated Python reading them one attribute at a
time ran interpreted on every line; one ``astuple`` call and a compiled indexed loop cost less.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import msgspec

__all__ = ["FieldCopier"]

_astuple: Final = msgspec.structs.astuple


class FieldCopier:
    """Copies the fields ``names`` of one Struct type that are not None into a dict, in order.

    The values are read in one C call (``astuple``) and picked by index in a compiled loop.
    """

    __slots__ = ("_indexes", "_names")

    def __init__(self, cls: type[msgspec.Struct], names: Sequence[str]) -> None:
        fields = cls.__struct_fields__
        unknown = [name for name in names if name not in fields]
        if unknown or not names:
            raise ValueError(f"{cls.__name__} has no fields {unknown or '(none named)'}")
        self._indexes: tuple[int, ...] = tuple(fields.index(name) for name in names)
        self._names: tuple[str, ...] = tuple(names)

    def copy(self, obj: msgspec.Struct, out: dict[str, Any]) -> None:
        """Set ``out[name]`` for every field of ``obj`` named here that is not None."""
        values: tuple[Any, ...] = _astuple(obj)
        indexes, names = self._indexes, self._names
        for at in range(len(indexes)):  # compiled: a C loop over tuples, no boxed ints
            value = values[indexes[at]]
            if value is not None:
                out[names[at]] = value
