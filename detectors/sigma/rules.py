"""Loading Sigma rule files: every rule compiled or refused with a reason that names its file.

A rule that fails is skipped and counted, never fatal: one bad file must not stop detection.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError, SigmaRuleLocation
from sigma.rule import SigmaRule

from detectors.sigma.compiler import CompileError, Matcher, Requirement, compile_rule
from detectors.sigma.logsources import rule_keys
from detectors.sigma.pipeline import placeholder_items, shaowang_ecs

RULE_SUFFIXES = (".yml", ".yaml")
# The shipped rule pack and its regression cases (next to the packages in a checkout).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_RULES = PROJECT_ROOT / "rules" / "sigma"
SHIPPED_REGRESSION = PROJECT_ROOT / "rules" / "regression"


@dataclass(frozen=True, slots=True)
class RuleFailure:
    """A rule that could not be loaded or compiled."""

    path: str
    reason: str
    title: str | None = None
    id: str | None = None


@dataclass(slots=True)
class CompiledRule:
    """A base rule ready to run."""

    rule: SigmaRule
    path: str
    matcher: Matcher
    requirement: Requirement
    keys: frozenset[str]  # logsource keys an event must have (routing)
    unresolved: frozenset[str] = frozenset()  # placeholders without values (match nothing)

    id: str = ""  # the rule's id (else its path): set once, asked for on every match

    def __post_init__(self) -> None:
        self.id = str(self.rule.id) if self.rule.id is not None else self.path

    @property
    def refs(self) -> tuple[str, ...]:
        """What correlation rules may call it: its id and its ``name``."""
        refs = [self.id]
        if self.rule.name:
            refs.append(self.rule.name)
        return tuple(refs)


@dataclass(slots=True)
class RuleSet:
    """Compiled base rules, correlation rules and what was refused."""

    rules: list[CompiledRule] = field(default_factory=list)
    correlations: list[tuple[SigmaCorrelationRule, str]] = field(default_factory=list)
    failed: list[RuleFailure] = field(default_factory=list)
    files: int = 0

    @property
    def total(self) -> int:
        return len(self.rules) + len(self.correlations) + len(self.failed)

    @property
    def compiled(self) -> int:
        return len(self.rules) + len(self.correlations)


def rule_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Rule files under ``paths`` (files or folders), in a stable order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix in RULE_SUFFIXES and p.is_file())
        elif path.is_file():
            yield path
        else:
            raise FileNotFoundError(f"{path}: no such rule file or folder")


def _where(rule: SigmaRule | SigmaCorrelationRule, fallback: str) -> str:
    source = getattr(rule, "source", None)
    path = getattr(source, "path", None)
    return str(path) if path is not None else fallback


def _error_text(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return " ".join(text.split())


def load_rules(paths: Sequence[Path], *, placeholders: Mapping[str, Sequence[str]] | None = None) -> RuleSet:
    """Parse, map to ECS and compile every rule under ``paths``."""
    out = RuleSet()
    documents: list[SigmaRule | SigmaCorrelationRule] = []
    for path in rule_files(paths):
        out.files += 1
        try:
            collection = SigmaCollection.from_yaml(path.read_text("utf-8"), collect_errors=True)
        except (SigmaError, UnicodeDecodeError, ValueError) as exc:
            out.failed.append(RuleFailure(str(path), _error_text(exc)))
            continue
        for rule in collection.rules:
            if rule.source is None or getattr(rule.source, "path", None) is None:
                rule.source = SigmaRuleLocation(path)
            if rule.errors:
                out.failed.append(RuleFailure(str(path), _error_text(rule.errors[0]), rule.title, _id(rule)))
                continue
            documents.append(rule)
    collection = SigmaCollection(documents)  # type: ignore[arg-type]
    try:
        collection.resolve_rule_references()
    except SigmaError as exc:
        # a correlation naming a rule that does not exist: refuse the correlations, keep the rest
        out.failed.append(RuleFailure("(correlations)", _error_text(exc)))
        documents = [d for d in documents if not isinstance(d, SigmaCorrelationRule)]
    pipeline = shaowang_ecs()
    if placeholders:
        for item in placeholder_items(placeholders):
            pipeline.items.append(item)
    for document in documents:
        where = _where(document, "(rules)")
        if isinstance(document, SigmaCorrelationRule):
            out.correlations.append((document, where))
            continue
        try:
            pipeline.apply(document)
            compiled = compile_rule(document)
            logsource = document.logsource
            keys = rule_keys(
                category=logsource.category, product=logsource.product, service=logsource.service
            )
        except (CompileError, SigmaError) as exc:
            out.failed.append(RuleFailure(where, _error_text(exc), document.title, _id(document)))
            continue
        out.rules.append(
            CompiledRule(document, where, compiled.matcher, compiled.requirement, keys, compiled.unresolved)
        )
    return out


def _id(rule: SigmaRule | SigmaCorrelationRule) -> str | None:
    return str(rule.id) if rule.id is not None else None
