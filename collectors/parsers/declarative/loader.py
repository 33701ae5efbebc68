"""Loading definitions at start-up: read, check, try the samples, register.

``load_declarative(dirs)`` is the one call for start-up: the site's directories first (they
are asked first by ``--format auto`` and replace shipped definitions with the same id), then
the shipped ones (``shipped/*.yaml``). A broken file never stops the others: every error is
returned (``LoadResult.errors``, each a ``DefinitionError`` whose ``where`` is
``file.yaml:LINE``) for the caller to log or print.

Rules for ids: unique among the files of one load; a site definition replaces a shipped one
with the same id; an id of a built-in parser is refused unless the definition says
``override: true`` (it then takes the built-in's place, also in ``--format auto``).

Each sample line of a definition must decode, be recognised by its ``match:`` (unless
``auto: false``), parse without a dead letter, and, for ``intrusion:`` definitions, carry the
等保 fields. A sample that a parser earlier in the ``--format auto`` order claims is a warning:
such a source needs a per-source dataset mapping.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import collectors.parse as parse_module
from collectors.decode import decode_record
from collectors.parsers import (
    GENERIC,
    PARSERS,
    Parser,
    auto_order,
    register,
    registry_state,
    restore_registry,
    unregister,
)
from collectors.parsers.declarative.engine import make_parser
from collectors.parsers.declarative.model import TARGET_FIELDS
from collectors.parsers.declarative.schema import Definition, DefinitionError, read_definition
from soc_core.errors import InvalidEventError, ParseError
from soc_core.events import Event
from soc_core.records import RawRecord

__all__ = [
    "SAMPLE_RECEIVED_AT",
    "SHIPPED_DIR",
    "LoadResult",
    "check_samples",
    "declared",
    "definition_files",
    "load_declarative",
    "load_dirs",
    "load_shipped",
    "registry_snapshot",
    "sample_record",
    "unload",
    "unload_all",
]

SHIPPED_DIR = Path(__file__).resolve().parent / "shipped"
# Samples are parsed as if received at this instant from this peer (as the golden tests do).
SAMPLE_RECEIVED_AT = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC).timestamp()
SAMPLE_PEER = "192.0.2.1:514"


@dataclass
class LoadResult:
    """What a load did: ids registered, errors (definitions refused), warnings."""

    loaded: list[str] = field(default_factory=list)
    errors: list[DefinitionError] = field(default_factory=list)
    warnings: list[DefinitionError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No errors."""
        return not self.errors

    def extend(self, other: LoadResult) -> None:
        """Add ``other``'s ids, errors and warnings."""
        self.loaded += other.loaded
        self.errors += other.errors
        self.warnings += other.warnings


@dataclass(frozen=True, slots=True)
class _Active:
    definition: Definition
    origin: str  # "shipped" or "site"
    parser: type[Parser]


_active: dict[str, _Active] = {}
_replaced: dict[str, type[Parser]] = {}  # built-in parsers an ``override: true`` definition replaced


def declared() -> dict[str, Definition]:
    """The definitions registered now, by id."""
    return {dataset: entry.definition for dataset, entry in _active.items()}


def definition_files(path: Path) -> list[Path]:
    """``path`` itself if it is a file, else its ``*.yaml`` and ``*.yml`` files sorted by name."""
    if path.is_file():
        return [path]
    return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def load_declarative(dirs: Iterable[Path | str] = (), *, shipped: bool = True) -> LoadResult:
    """Start-up: the site's definitions (``dirs``), then the shipped ones."""
    result = load_dirs(dirs)
    if shipped:
        result.extend(load_shipped())
    return result


def load_shipped() -> LoadResult:
    """The definitions shipped in ``collectors/parsers/declarative/shipped/``."""
    return _load([SHIPPED_DIR], origin="shipped")


def load_dirs(paths: Iterable[Path | str]) -> LoadResult:
    """Site definitions: directories of ``*.yaml`` files (or single files)."""
    return _load([Path(p) for p in paths], origin="site")


def _load(paths: list[Path], *, origin: str) -> LoadResult:
    result = LoadResult()
    seen: dict[str, str] = {}
    for path in paths:
        try:
            files = definition_files(path)
        except OSError as exc:
            result.errors.append(
                DefinitionError(f"cannot list parser definitions: {exc.strerror}", where=str(path))
            )
            continue
        for file in files:
            definition, errors = read_definition(file)
            result.errors += errors
            if definition is None:
                continue
            clash = _clash(definition, origin, seen)
            if clash == "skip":
                continue
            if isinstance(clash, DefinitionError):
                result.errors.append(clash)
                continue
            if definition.override and not _is_builtin(definition.id):
                result.warnings.append(
                    DefinitionError(
                        f"override: true, but there is no built-in parser {definition.id!r}",
                        where=definition.where("override"),
                    )
                )
            parser = make_parser(definition)
            sample_errors, sample_warnings = check_samples(definition, parser)
            result.warnings += sample_warnings
            if sample_errors:
                result.errors += sample_errors
                continue
            _install(definition, parser, origin)
            seen[definition.id] = definition.where()
            result.loaded.append(definition.id)
    return result


def _is_builtin(dataset: str) -> bool:
    return dataset in _replaced or (dataset in PARSERS and dataset not in _active)


def _clash(definition: Definition, origin: str, seen: dict[str, str]) -> DefinitionError | str | None:
    dataset = definition.id
    if dataset in seen:
        return DefinitionError(
            f"id {dataset!r} is already defined at {seen[dataset]}", where=definition.where()
        )
    active = _active.get(dataset)
    if origin == "shipped" and active is not None and active.origin == "site":
        return "skip"  # the site's own definition of this format wins
    if _is_builtin(dataset) and not definition.override:
        return DefinitionError(
            f"id {dataset!r} is a built-in parser; set override: true to replace it", where=definition.where()
        )
    return None


def sample_record(data: bytes) -> RawRecord:
    """A sample line as the record the checks and golden tests parse."""
    return RawRecord(
        data=data, received_at=SAMPLE_RECEIVED_AT, origin="syslog/udp", peer=SAMPLE_PEER, offset=1
    )


def check_samples(
    definition: Definition, parser_cls: type[Parser]
) -> tuple[list[DefinitionError], list[DefinitionError]]:
    """(errors, warnings) for the definition's samples."""
    errors: list[DefinitionError] = []
    warnings: list[DefinitionError] = []
    parser = parser_cls()
    earlier = _earlier_parsers(definition.id) if definition.match.auto else []
    for sample in definition.samples:
        record = sample_record(sample.data)
        try:
            envelope = decode_record(record)
        except ParseError as exc:
            errors.append(DefinitionError(f"sample cannot be decoded: {exc.message}", where=sample.where))
            continue
        if definition.match.auto and not parser.sniff(envelope):
            errors.append(
                DefinitionError(
                    f"sample is not recognised by match: (--format auto would not choose {definition.id})",
                    where=sample.where,
                )
            )
        try:
            events = parser.parse(envelope, record)
            for event in events:
                event.to_json()
        except (ParseError, InvalidEventError) as exc:
            errors.append(
                DefinitionError(f"sample does not parse (dead letter): {exc.message}", where=sample.where)
            )
            continue
        except Exception as exc:  # a definition must not be able to crash the pipeline
            errors.append(
                DefinitionError(f"sample breaks the parser: {type(exc).__name__}: {exc}", where=sample.where)
            )
            continue
        if definition.intrusion is not None:
            for event in events:
                missing = _missing_four(event)
                if missing:
                    errors.append(
                        DefinitionError(
                            f"sample alert lacks the 等保 8.1.3.3 d) field(s) {', '.join(missing)}",
                            where=sample.where,
                        )
                    )
        for other in earlier:
            try:
                claimed = other.sniff(envelope)
            except Exception:  # another parser's bug is not this definition's error
                claimed = False
            if claimed:
                warnings.append(
                    DefinitionError(
                        f"sample is claimed by {other.dataset} before {definition.id} in --format auto; map "
                        f"such sources to {definition.id} (sources: dataset) or tighten that parser's sniff",
                        where=sample.where,
                    )
                )
                break
    return errors, warnings


def _missing_four(event: Event) -> list[str]:
    missing = [name for name in ("source.ip", "rule.name", "rule.category") if event.get(name) is None]
    if all(event.get(name) is None for name in TARGET_FIELDS):
        missing.append("destination.ip (or url.*)")
    return missing


def _earlier_parsers(dataset: str) -> list[Parser]:
    """The parsers ``--format auto`` asks before ``dataset`` (a new id goes after the declared ones)."""
    order = [name for name in auto_order() if name not in GENERIC]
    if dataset in order:
        order = order[: order.index(dataset)]
    found = [parse_module.parser_for(name) for name in order]
    return [p for p in found if p is not None]


# -- the registry ------------------------------------------------------------------------------
# ``collectors.parsers`` adds, replaces and removes parsers; ``collectors.parse`` drops its
# cached instances when the registry's version changes. What is kept here is which built-in
# a definition overrode, so that unloading the definition brings it back.


def _install(definition: Definition, parser: type[Parser], origin: str) -> None:
    dataset = definition.id
    if dataset in PARSERS and dataset not in _active and dataset not in _replaced:
        _replaced[dataset] = PARSERS.get(dataset)
    register(dataset, parser, replace=dataset in PARSERS)
    _active[dataset] = _Active(definition, origin, parser)


def unload(dataset: str) -> None:
    """Remove a declared parser (a built-in it overrode comes back)."""
    if _active.pop(dataset, None) is None:
        return
    builtin = _replaced.pop(dataset, None)
    if builtin is not None:
        register(dataset, builtin, replace=True)
    else:
        unregister(dataset)


def unload_all() -> None:
    """Remove every declared parser (tests)."""
    for dataset in list(_active):
        unload(dataset)


@contextlib.contextmanager
def registry_snapshot() -> Iterator[None]:
    """Put the parser registry and the declared definitions back as they were (tests)."""
    state = registry_state()
    active, replaced = dict(_active), dict(_replaced)
    try:
        yield
    finally:
        restore_registry(state)
        _active.clear()
        _active.update(active)
        _replaced.clear()
        _replaced.update(replaced)
