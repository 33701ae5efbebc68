"""A definition file → a checked, compiled ``Definition`` (or every error in it, with its line).

The schema is documented in ``collectors/parsers/README.md`` ("Adding a format with one YAML
file"). Validation goes on after an error so one run reports everything wrong in a file.
"""

from __future__ import annotations

from pathlib import Path

from collectors.parsers.declarative.model import (
    ID_PATTERN,
    RESERVED_VENDORS,
    TOP_KEYS,
    Check,
    Definition,
    DefinitionError,
    FieldSpec,
    Intrusion,
    Matcher,
    Sample,
)
from collectors.parsers.declarative.sections import (
    check_nesting,
    check_source_keys,
    read_constants,
    read_derive,
    read_extractor,
    read_fields,
    read_framing,
    read_intrusion,
    read_matcher,
    read_observer,
    read_samples,
    read_severity,
    read_verdict,
    referenced,
)
from collectors.parsers.timeparse import zone
from soc_core.yamlsrc import LineMap, YamlProblem, load_yaml

__all__ = ["Definition", "DefinitionError", "FieldSpec", "Intrusion", "Matcher", "Sample", "read_definition"]


def read_definition(path: Path) -> tuple[Definition | None, list[DefinitionError]]:
    """The definition in ``path``, or None and every error found (each with ``file:line``)."""
    where = str(path)
    check = Check(where)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [DefinitionError(f"cannot read definition: {exc}", where=f"{where}:1")]
    try:
        data, problems = load_yaml(text)
    except YamlProblem as exc:
        return None, [DefinitionError(exc.message, where=f"{where}:{exc.line}")]
    for line, problem in problems:
        check.error(line, problem)
    if not isinstance(data, LineMap):
        check.error(1, "a definition is a YAML mapping (id:, observer:, match:, extract:, fields: ...)")
        return None, check.errors
    definition = _build(data, path, check)
    if check.errors:
        return None, check.errors
    return definition, []


def _build(doc: LineMap, path: Path, check: Check) -> Definition | None:
    check.known_keys(doc, TOP_KEYS, "the definition")
    ident = check.text(doc, "id", required=True)
    vendor = product = ""
    if ident:
        if ID_PATTERN.fullmatch(ident) is None:
            check.error(
                doc.line_of("id"), f"id {ident!r}: expected <vendor>.<product>, lowercase (sangfor.ac)"
            )
            ident = ""
        else:
            vendor, product = ident.split(".")
            if vendor in RESERVED_VENDORS:
                check.error(
                    doc.line_of("id"), f"id {ident!r}: {vendor!r} is an ECS or platform name, not a vendor"
                )
    title = check.text(doc, "title") or ident
    check.text(doc, "notes")
    verified = check.flag(doc, "verified", False)
    override = check.flag(doc, "override", False)
    keep_unmapped = check.flag(doc, "keep_unmapped", True)
    observer = read_observer(doc, check)
    timezone = None
    if "timezone" in doc:
        timezone = check.text(doc, "timezone") or None
        if timezone is not None:
            try:
                zone(timezone)
            except ValueError as exc:
                check.error(doc.line_of("timezone"), f"timezone: {exc}")
                timezone = None
    matcher = read_matcher(doc, check)
    input_text, prefix, suffix = read_framing(doc, check)
    kind, extractor = read_extractor(doc, check)
    prefix_keys = frozenset(prefix.groupindex) if prefix is not None else frozenset()
    suffix_keys = frozenset(suffix.groupindex) if suffix is not None else frozenset()
    derive = read_derive(doc, check)
    fields = read_fields(doc, check, vendor, product) if vendor else {}
    constants = read_constants(doc, check, vendor, product) if vendor else ()
    check_nesting(doc, check, fields, constants)
    verdict = read_verdict(doc, check)
    severity = read_severity(doc, check)
    intrusion = read_intrusion(doc, check, fields, constants)
    require = tuple(check.texts(doc, "require"))
    samples = read_samples(doc, check, path)
    if check.errors or not ident or extractor is None:
        return None
    derived = {name for _, rx, _ in derive for name in rx.groupindex}
    drop_after_derive = tuple(
        (key, rx, key not in fields and key not in referenced(verdict, severity, intrusion))
        for key, rx, _ in derive
    )
    mapped_targets = {spec.target.dotted for specs in fields.values() for spec in specs}
    consumed = set()
    if verdict is not None and verdict[0] not in fields and "event.action" not in mapped_targets:
        consumed.add(verdict[0])  # the vendor's word becomes event.action
    if severity is not None and severity[0] not in fields:
        consumed.add(severity[0])  # the vendor's word becomes log.level
    check_source_keys(
        doc,
        check,
        kind,
        _source_refs(doc, verdict, severity, intrusion, require),
        derived | prefix_keys | suffix_keys,
    )
    if check.errors:
        return None
    return Definition(
        id=ident,
        path=str(path),
        line=doc.line_of("id"),
        title=title,
        verified=verified,
        override=override,
        vendor=vendor,
        product=product,
        observer_vendor=observer[0],
        observer_product=observer[1],
        observer_type=observer[2],
        timezone=timezone,
        match=matcher,
        input_text=input_text,
        prefix=prefix,
        suffix=suffix,
        extract_kind=kind,
        extract=extractor,
        derive=drop_after_derive,
        fields=fields,
        constants=constants,
        verdict=verdict,
        intrusion=intrusion,
        severity=severity,
        keep_unmapped=keep_unmapped,
        consumed=frozenset(consumed),
        require=require,
        samples=samples,
        lines=dict(doc.lines),
    )


def _source_refs(
    doc: LineMap,
    verdict: tuple[str, dict[str, str]] | None,
    severity: tuple[str, dict[str, int]] | None,
    intrusion: Intrusion | None,
    require: tuple[str, ...],
) -> dict[str, int]:
    """Every source key the definition names, with the line that names it."""
    refs: dict[str, int] = {}
    fields = doc.get("fields")
    if isinstance(fields, LineMap):
        refs.update((key, fields.line_of(key)) for key in fields)
    derive = doc.get("derive")
    if isinstance(derive, LineMap):
        refs.update((key, derive.line_of(key)) for key in derive)
    if verdict is not None:
        refs.setdefault(verdict[0], doc.line_of("verdict"))
    if severity is not None:
        refs.setdefault(severity[0], doc.line_of("severity"))
    for key, _ in intrusion.blocked_when if intrusion is not None else ():
        refs.setdefault(key, doc.line_of("intrusion"))
    for key in require:
        refs.setdefault(key, doc.line_of("require"))
    return refs
