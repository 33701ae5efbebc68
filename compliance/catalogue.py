"""The 等保 catalogue: ``catalogue.yaml`` read and checked, with errors that name file and line."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from pydantic import ValidationError

from compliance.models import MANUAL, CatalogueItem
from soc_core.errors import ConfigError
from soc_core.yamlsrc import LineList, LineMap, YamlProblem, load_yaml

CATALOGUE_PATH = Path(__file__).with_name("catalogue.yaml")


def load_catalogue(path: Path = CATALOGUE_PATH, *, measures: Collection[str]) -> list[CatalogueItem]:
    """Every item in ``path``, in file order; ``measures`` are the measure ids that exist.

    Raises ``ConfigError`` with ``where`` set to ``file:line`` for the first problem found.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the catalogue: {exc.strerror}", where=str(path)) from None
    try:
        doc, problems = load_yaml(text)
    except YamlProblem as exc:
        raise ConfigError(exc.message, where=f"{path}:{exc.line}") from None
    if problems:
        line, message = problems[0]
        raise ConfigError(message, where=f"{path}:{line}")
    if not isinstance(doc, LineList):
        raise ConfigError("the catalogue must be a list of items", where=f"{path}:1")
    items: list[CatalogueItem] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(doc):
        line = doc.line_of(index)
        if not isinstance(raw, LineMap):
            raise ConfigError("each catalogue entry must be a mapping", where=f"{path}:{line}")
        try:
            item = CatalogueItem.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            key = str(first["loc"][0]) if first["loc"] else ""
            where_line = raw.line_of(key) if key else line
            field = ".".join(str(p) for p in first["loc"]) or "entry"
            raise ConfigError(f"{field}: {first['msg']}", where=f"{path}:{where_line}") from None
        if item.measure != MANUAL and item.measure not in measures:
            raise ConfigError(
                f"unknown measure {item.measure!r} (known: {', '.join(sorted(measures))}, or {MANUAL!r})",
                where=f"{path}:{raw.line_of('measure')}",
            )
        if item.key in seen:
            raise ConfigError(
                f"{item.key} is listed twice (first at line {seen[item.key]})", where=f"{path}:{line}"
            )
        seen[item.key] = line
        items.append(item)
    return items
