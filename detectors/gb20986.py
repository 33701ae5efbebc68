"""GB/T 20986 incident categories for alerts: the table in ``data/gb20986.yml`` and its lookup.

An alert's category is, in this order: the one its rule names (tag ``gb20986.<code>`` or
custom attribute ``gb20986``), the one its ATT&CK technique tags map to, the one its ATT&CK
tactic tags map to, or the table's default (其他信息安全事件). The table, not this code, says
which edition's codes are used.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DATA_FILE = Path(__file__).resolve().parent / "data" / "gb20986.yml"
TAG_NAMESPACE = "gb20986"


class UnknownCategoryError(ValueError):
    """A code that the category table does not have."""


@dataclass(frozen=True, slots=True)
class Category:
    """One category of the table: its code, Chinese name and parent category (if any)."""

    code: str
    name: str
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class CategoryTable:
    """The loaded table: categories by code, technique and tactic maps, the default."""

    edition: str
    categories: Mapping[str, Category]
    techniques: tuple[tuple[frozenset[str], str], ...]
    tactics: Mapping[str, str]
    default: str

    def get(self, code: str) -> Category:
        """The category with ``code`` (any case); :class:`UnknownCategoryError` when unknown."""
        found = self.categories.get(code.upper())
        if found is None:
            raise UnknownCategoryError(f"unknown GB/T 20986 category code {code!r} ({self.edition})")
        return found

    def parent_of(self, category: Category) -> Category | None:
        """The top-level category ``category`` belongs to (None for a top-level one)."""
        return None if category.parent is None else self.categories[category.parent]

    def classify(self, tags: Iterable[str], custom_attributes: Mapping[str, Any] | None = None) -> Category:
        """The category of a rule with these Sigma ``tags`` and custom attributes."""
        tag_list = [t.lower() for t in tags]
        explicit = explicit_code(tag_list, custom_attributes)
        if explicit is not None:
            return self.get(explicit)
        techniques = [t.split(".", 1)[1] for t in tag_list if _is_technique_tag(t)]
        # Exact ids first, so a sub-technique with an entry of its own is not taken by its parent's.
        for candidates in (techniques, [t.split(".", 1)[0] for t in techniques if "." in t]):
            for names, code in self.techniques:
                if any(t in names for t in candidates):
                    return self.categories[code]
        for tag in tag_list:
            if tag.startswith("attack.") and tag[7:] in self.tactics:
                return self.categories[self.tactics[tag[7:]]]
        return self.categories[self.default]


def _is_technique_tag(tag: str) -> bool:
    return tag.startswith("attack.t") and tag[8:12].isdigit()


def explicit_code(tags: Iterable[str], custom_attributes: Mapping[str, Any] | None) -> str | None:
    """The code a rule names itself: custom attribute ``gb20986`` first, then a ``gb20986.`` tag."""
    if custom_attributes:
        for holder in (custom_attributes, custom_attributes.get("shaowang")):
            if isinstance(holder, Mapping) and holder.get(TAG_NAMESPACE) is not None:
                return str(holder[TAG_NAMESPACE]).strip()
    prefix = TAG_NAMESPACE + "."
    for tag in tags:
        if tag.lower().startswith(prefix):
            return tag[len(prefix) :].strip()
    return None


def parse_table(doc: Mapping[str, Any]) -> CategoryTable:
    """Build a table from its YAML document, checking every code it refers to."""
    categories: dict[str, Category] = {}
    for code, entry in dict(doc["categories"]).items():
        parent = entry.get("parent")
        categories[str(code).upper()] = Category(
            code=str(code).upper(),
            name=str(entry["name"]),
            parent=None if parent is None else str(parent).upper(),
        )

    def known(code: object, where: str) -> str:
        upper = str(code).upper()
        if upper not in categories:
            raise UnknownCategoryError(f"{where}: unknown category code {code!r}")
        return upper

    for category in categories.values():
        if category.parent is not None:
            known(category.parent, f"parent of {category.code}")
    techniques = tuple(
        (frozenset(str(t).lower() for t in entry["techniques"]), known(entry["code"], "attack"))
        for entry in doc.get("attack") or ()
    )
    tactics = {str(k).lower(): known(v, f"tactic {k}") for k, v in dict(doc.get("tactics") or {}).items()}
    return CategoryTable(
        edition=str(doc["edition"]),
        categories=categories,
        techniques=techniques,
        tactics=tactics,
        default=known(doc["default"], "default"),
    )


def load_table(path: Path = DATA_FILE) -> CategoryTable:
    """Read and check a category table file."""
    with path.open(encoding="utf-8") as fh:
        return parse_table(yaml.safe_load(fh))


@functools.cache
def default_table() -> CategoryTable:
    """The shipped table (read once)."""
    return load_table()


def classify(tags: Iterable[str], custom_attributes: Mapping[str, Any] | None = None) -> Category:
    """The category of a rule with these tags and custom attributes, from the shipped table."""
    return default_table().classify(tags, custom_attributes)
