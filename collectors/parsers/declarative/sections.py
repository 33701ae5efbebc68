"""The sections of a definition file, each checked and compiled (errors carry the line)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collectors.parsers.common import canonical_ip
from collectors.parsers.declarative.ecs import (
    CONVERSIONS,
    ENUM_TARGETS,
    Converter,
    Target,
    converter_for,
    default_conversion,
    resolve_target,
    time_with_format,
)
from collectors.parsers.declarative.extract import (
    Extractor,
    csv_extractor,
    json_extractor,
    kv_extractor,
    regex_extractor,
)
from collectors.parsers.declarative.model import (
    EXTRACT_KINDS,
    FOUR_FIELDS,
    KV_DEFAULTS,
    OBSERVER_TYPE,
    SPEC_KEYS,
    TARGET_FIELDS,
    Check,
    FieldSpec,
    Intrusion,
    Matcher,
    Sample,
)
from soc_core.regex import compile_pattern
from soc_core.yamlsrc import LineList, LineMap


def referenced(
    verdict: tuple[str, dict[str, str]] | None,
    severity: tuple[str, dict[str, int]] | None,
    intrusion: Intrusion | None,
) -> set[str]:
    keys = {key for key, _ in intrusion.blocked_when} if intrusion is not None else set()
    if verdict is not None:
        keys.add(verdict[0])
    if severity is not None:
        keys.add(severity[0])
    return keys


def check_source_keys(doc: LineMap, check: Check, kind: str, refs: dict[str, int], known: set[str]) -> None:
    """Regex and CSV extractors only yield the names they declare: another key is a typo.

    ``refs`` maps each source key the definition uses (fields, verdict, severity ...) to its line.
    """
    extract = doc.get("extract")
    if kind not in ("regex", "csv") or not isinstance(extract, LineMap):
        return
    names: set[str] = set(known)
    if kind == "regex":
        patterns = extract.get("patterns") or [extract.get("pattern")]
        for pattern in patterns if isinstance(patterns, list) else []:
            if isinstance(pattern, str):
                names.update(re.compile(pattern).groupindex)
        what = "a named group of the extract patterns"
    else:
        columns = extract.get("columns")
        if isinstance(columns, list):
            names.update(c for c in columns if isinstance(c, str))
        what = "a column name (or column_<n>)"
    for key, line in refs.items():
        if key in names or (kind == "csv" and re.fullmatch(r"column_[1-9][0-9]*", key)):
            continue
        check.error(line, f"source key {key!r} is not {what}")


def check_nesting(
    doc: LineMap,
    check: Check,
    fields: dict[str, tuple[FieldSpec, ...]],
    constants: tuple[tuple[Target, Any], ...],
) -> None:
    """A target cannot also be the parent of another (``acme.x`` and ``acme.x.y``)."""
    targets = {spec.target.dotted for specs in fields.values() for spec in specs}
    targets |= {target.dotted for target, _ in constants}
    for dotted in sorted(targets):
        inner = next((other for other in sorted(targets) if other.startswith(dotted + ".")), None)
        if inner is not None:
            check.error(doc.line_of("fields"), f"{dotted} is a value, so {inner} cannot be set below it")


def read_observer(doc: LineMap, check: Check) -> tuple[str, str, str]:
    node = check.mapping(doc, "observer", required=True)
    if node is None:
        return "", "", ""
    check.known_keys(node, frozenset({"vendor", "product", "type"}), "observer")
    vendor = check.text(node, "vendor", required=True)
    product = check.text(node, "product", required=True)
    type_ = check.text(node, "type", required=True)
    if type_ and OBSERVER_TYPE.fullmatch(type_) is None:
        check.error(
            node.line_of("type"),
            f"observer.type {type_!r}: expected a lowercase word (firewall, ids, ips, waf, proxy ...)",
        )
    return vendor, product, type_


def _where(node: LineMap, key: str, check: Check) -> bool:
    value = node.get(key, "message")
    if value not in ("message", "text"):
        check.error(
            node.line_of(key), f"{key}: expected message (after the syslog header) or text (the whole record)"
        )
        return False
    return bool(value == "text")


def read_matcher(doc: LineMap, check: Check) -> Matcher:
    node = check.mapping(doc, "match", required=True)
    if node is None:
        return Matcher((), (), None, False, False)
    check.known_keys(node, frozenset({"contains", "starts_with", "regex", "in", "auto"}), "match")
    contains = tuple(check.texts(node, "contains"))
    starts_with = tuple(check.texts(node, "starts_with"))
    regex = check.regex(node, "regex", node["regex"]) if "regex" in node else None
    auto = check.flag(node, "auto", True)
    if auto and not (contains or starts_with or "regex" in node):
        check.error(
            doc.line_of("match"),
            "match: give contains, starts_with or regex (or auto: false for a format only chosen per source)",
        )
    return Matcher(contains, starts_with, regex, _where(node, "in", check), auto)


def read_framing(doc: LineMap, check: Check) -> tuple[bool, re.Pattern[str] | None, re.Pattern[str] | None]:
    node = check.mapping(doc, "framing")
    if node is None:
        return False, None, None
    check.known_keys(node, frozenset({"strip_prefix", "strip_suffix", "in"}), "framing")
    prefix = check.regex(node, "strip_prefix", node["strip_prefix"]) if "strip_prefix" in node else None
    suffix = None
    if "strip_suffix" in node and check.regex(node, "strip_suffix", node["strip_suffix"]) is not None:
        suffix = compile_pattern(f"(?:{node['strip_suffix']})\\Z")
    return _where(node, "in", check), prefix, suffix


def read_extractor(doc: LineMap, check: Check) -> tuple[str, Extractor | None]:
    node = check.mapping(doc, "extract", required=True)
    if node is None:
        return "", None
    kind = node.get("kind")
    if kind not in EXTRACT_KINDS:
        check.error(
            node.line_of("kind"), f"extract.kind: expected one of {', '.join(EXTRACT_KINDS)}, got {kind!r}"
        )
        return "", None
    check.known_keys(node, EXTRACT_KINDS[kind], f"extract (kind {kind})")
    if kind in KV_DEFAULTS:
        return kind, _kv(node, check, kind)
    if kind == "regex":
        return kind, _regex(node, check)
    if kind == "json":
        return kind, json_extractor()
    return kind, _csv(node, check)


def _single_chars(node: LineMap, key: str, default: list[str], check: Check) -> list[str]:
    chars = check.texts(node, key) if key in node else default
    if not chars:
        check.error(node.line_of(key), f"{key}: give at least one separator")
    for char in chars:
        if len(char) != 1:
            check.error(node.line_of(key), f"{key}: separators are single characters, got {char!r}")
    return chars


def _kv(node: LineMap, check: Check, kind: str) -> Extractor | None:
    pair_default, kv_default = KV_DEFAULTS[kind]
    pair = _single_chars(node, "pair_separator", pair_default, check)
    kvs = _single_chars(node, "kv_separator", kv_default, check)
    quotes = check.texts(node, "quotes") if "quotes" in node else ['"', "'"]
    for quote in quotes:
        if len(quote) != 1:
            check.error(node.line_of("quotes"), f"quotes: single characters, got {quote!r}")
    if set(pair) & set(kvs):
        check.error(node.line_of("kv_separator"), "kv_separator and pair_separator share a character")
    key_pattern = None
    if "key_pattern" in node:
        compiled = check.regex(node, "key_pattern", node["key_pattern"])
        if compiled is not None:
            if compiled.groups:
                check.error(
                    node.line_of("key_pattern"), "key_pattern: use (?:...) instead of capturing groups"
                )
            else:
                key_pattern = compiled.pattern
    tail = check.texts(node, "tail")
    if check.errors:
        return None
    return kv_extractor(pair, kvs, quotes, key_pattern, tail)


def _regex(node: LineMap, check: Check) -> Extractor | None:
    if ("pattern" in node) == ("patterns" in node):
        check.error(node.line, "extract: give pattern (one regex) or patterns (a list), not both")
        return None
    compiled: list[re.Pattern[str]] = []
    if "pattern" in node:
        one = check.regex(node, "pattern", node["pattern"])
        compiled = [one] if one is not None else []
    else:
        items = node["patterns"]
        if not isinstance(items, LineList) or not items:
            check.error(node.line_of("patterns"), "patterns: expected a list of regular expressions")
            return None
        for index, item in enumerate(items):
            one = check.regex(items, index, item)
            if one is not None:
                compiled.append(one)
    for rx in compiled:
        if not rx.groupindex:
            check.error(node.line, f"extract pattern {rx.pattern!r} has no named groups (?P<name>...)")
    return regex_extractor(compiled) if compiled and not check.errors else None


def _csv(node: LineMap, check: Check) -> Extractor | None:
    delimiter = node.get("delimiter")
    if not isinstance(delimiter, str) or not delimiter:
        check.error(
            node.line_of("delimiter"), f"delimiter: required, the text between columns, got {delimiter!r}"
        )
        delimiter = ""
    columns = node.get("columns")
    if not isinstance(columns, LineList) or not columns:
        check.error(
            node.line_of("columns"), "columns: required, the list of column names (null skips a column)"
        )
        return None
    names: list[str | None] = []
    for index, name in enumerate(columns):
        if name is not None and (not isinstance(name, str) or not name):
            check.error(columns.line_of(index), f"columns: expected a name or null, got {name!r}")
        names.append(name or None)
    quote: str | None = '"'
    if "quote" in node:
        quote = node["quote"]
        if quote is not None and (not isinstance(quote, str) or len(quote) != 1):
            check.error(node.line_of("quote"), f"quote: a single character or null, got {quote!r}")
            quote = None
    if not delimiter:
        return None
    return csv_extractor(delimiter, names, quote)


def read_derive(doc: LineMap, check: Check) -> tuple[tuple[str, re.Pattern[str], bool], ...]:
    node = check.mapping(doc, "derive")
    if node is None:
        return ()
    out = []
    for key, pattern in node.items():
        rx = check.regex(node, key, pattern)
        if rx is None:
            continue
        if not rx.groupindex:
            check.error(node.line_of(key), f"derive {key!r}: the regex needs named groups (?P<name>...)")
            continue
        out.append((key, rx, False))
    return tuple(out)


def read_fields(doc: LineMap, check: Check, vendor: str, product: str) -> dict[str, tuple[FieldSpec, ...]]:
    node = check.mapping(doc, "fields", required=True)
    if node is None:
        return {}
    out: dict[str, tuple[FieldSpec, ...]] = {}
    for key, raw in node.items():
        line = node.line_of(key)
        items = raw if isinstance(raw, list) else [raw]
        specs = []
        for item in items:
            spec = _spec(key, item, line, check, vendor, product)
            if spec is not None:
                specs.append(spec)
        if specs:
            out[key] = tuple(specs)
    return out


def _spec(key: str, raw: Any, line: int, check: Check, vendor: str, product: str) -> FieldSpec | None:
    if isinstance(raw, str):
        raw_map = LineMap(line)
        raw_map["to"] = raw
    elif isinstance(raw, LineMap):
        raw_map = raw
        check.known_keys(raw_map, SPEC_KEYS, f"field {key!r}")
    else:
        check.error(line, f"field {key!r}: expected a target (text) or a mapping with to:, got {raw!r}")
        return None
    to = raw_map.get("to")
    at = raw_map.line_of("to") if isinstance(raw, LineMap) else line
    if not isinstance(to, str) or not to:
        check.error(at, f"field {key!r}: to: is required (the ECS field, e.g. source.ip)")
        return None
    try:
        target = resolve_target(to, vendor, product)
    except ValueError as exc:
        check.error(at, f"field {key!r}: {exc}")
        return None
    conversion = raw_map.get("type", default_conversion(target))
    if conversion not in CONVERSIONS:
        check.error(
            raw_map.line_of("type"),
            f"field {key!r}: type {conversion!r} unknown (known: {', '.join(CONVERSIONS)})",
        )
        return None
    produces = CONVERSIONS[conversion][1]
    if not target.accepts(produces):
        check.error(
            raw_map.line_of("type"),
            f"field {key!r}: type {conversion} gives {produces}; {to} takes {target.wants}",
        )
        return None
    convert = converter_for(conversion)
    if "format" in raw_map:
        fmt = raw_map["format"]
        if conversion != "time":
            check.error(raw_map.line_of("format"), f"field {key!r}: format: only goes with type: time")
        elif _bad_time_format(fmt):
            check.error(raw_map.line_of("format"), f"field {key!r}: format {fmt!r}: {_bad_time_format(fmt)}")
        else:
            convert = time_with_format(fmt)
    split = raw_map.get("split")
    if split is not None and (not isinstance(split, str) or not split or not target.is_list):
        check.error(
            raw_map.line_of("split"), f"field {key!r}: split: text, only for list fields ({to} is not one)"
        )
        split = None
    allowed = ENUM_TARGETS.get(target.dotted)
    vmap = _value_map(key, raw_map, check, target, convert, allowed) if "map" in raw_map else None
    return FieldSpec(
        key,
        target,
        convert,
        vmap,
        split,
        allowed,
        parent=target.path[:-1],
        leaf=target.path[-1],
        is_list=target.is_list,
        plain=vmap is None and allowed is None and not target.is_list,
    )


def _bad_time_format(fmt: Any) -> str | None:
    if not isinstance(fmt, str) or "%" not in fmt:
        return "expected a strptime format such as %Y-%m-%d %H:%M:%S"
    if "%Y" not in fmt and "%y" not in fmt:
        return "has no year; leave format out and the automatic time parser resolves a missing year"
    probe = dt.datetime(2026, 11, 27, 16, 5, 9, tzinfo=dt.UTC)
    try:
        dt.datetime.strptime(probe.strftime(fmt), fmt)
    except ValueError as exc:
        return f"does not read back what it writes ({exc})"
    return None


def _value_map(
    key: str, raw: LineMap, check: Check, target: Target, convert: Converter, allowed: frozenset[str] | None
) -> dict[str, Any] | None:
    node = raw["map"]
    if not isinstance(node, LineMap) or not node:
        check.error(raw.line_of("map"), f"field {key!r}: map: expected a mapping of vendor value → value")
        return None
    out: dict[str, Any] = {}
    for word, value in node.items():
        line = node.line_of(word)
        if value is not None:
            converted = convert(value, 0.0, "UTC")
            if converted is None:
                check.error(
                    line, f"field {key!r}: map value {value!r} does not fit {target.dotted} ({target.wants})"
                )
                continue
            if allowed is not None and converted not in allowed:
                check.error(
                    line,
                    f"field {key!r}: {value!r} is not an ECS value of {target.dotted} "
                    f"({', '.join(sorted(allowed))})",
                )
                continue
            value = converted
        out[word] = value
        out.setdefault(word.lower(), value)
    return out


def read_constants(doc: LineMap, check: Check, vendor: str, product: str) -> tuple[tuple[Target, Any], ...]:
    pairs: list[tuple[str, Any, int]] = []
    node = check.mapping(doc, "constants")
    if node is not None:
        pairs += [(k, v, node.line_of(k)) for k, v in node.items()]
    event = check.mapping(doc, "event")
    if event is not None:
        pairs += [(f"event.{k}", v, event.line_of(k)) for k, v in event.items()]
    out: list[tuple[Target, Any]] = []
    for dotted, value, line in pairs:
        if dotted == "event.severity":  # a fixed level is a constant; a level from the line uses severity:
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                check.error(
                    line, f"constant event.severity: expected 1..5 (1 info … 5 critical), got {value!r}"
                )
            else:
                out.append((Target(dotted, ("event", "severity"), "int", False), value))
            continue
        try:
            target = resolve_target(dotted, vendor, product)
        except ValueError as exc:
            check.error(line, f"constant {dotted}: {exc}")
            continue
        checked = _constant_value(target, value)
        if isinstance(checked, _Bad):
            check.error(line, f"constant {dotted}: {checked.why}")
            continue
        out.append((target, checked))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class _Bad:
    why: str


def _constant_value(target: Target, value: Any) -> Any:
    allowed = ENUM_TARGETS.get(target.dotted)
    if target.is_list:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items or not all(isinstance(i, str) and i for i in items):
            return _Bad(f"expected text or a list of texts, got {value!r}")
        if target.kind == "ip_list":
            ips = [canonical_ip(i) for i in items]
            if None in ips:
                return _Bad(f"expected IP addresses, got {value!r}")
            items = ips
        if allowed is not None and not set(items) <= allowed:
            return _Bad(
                f"{sorted(set(items) - allowed)} not in the ECS values ({', '.join(sorted(allowed))})"
            )
        return list(items)
    if target.kind == "datetime":
        return _Bad("a time cannot be a constant")
    if target.kind == "vendor":
        if isinstance(value, LineMap | dict):
            return _Bad("a constant is a value or a list, not a mapping")
        return list(value) if isinstance(value, list) else value
    convert = converter_for(default_conversion(target))
    converted = convert(value, 0.0, "UTC")
    if converted is None or isinstance(value, bool):
        return _Bad(f"{value!r} does not fit ({target.wants})")
    if allowed is not None and converted not in allowed:
        return _Bad(f"{value!r} is not an ECS value ({', '.join(sorted(allowed))})")
    return converted


def _from_and_map(doc: LineMap, key: str, check: Check) -> tuple[str, LineMap | None, int] | None:
    raw = doc.get(key)
    line = doc.line_of(key)
    if raw is None:
        return None
    if isinstance(raw, str) and raw:
        return raw, None, line
    if isinstance(raw, LineMap):
        check.known_keys(raw, frozenset({"from", "map"}), key)
        source = raw.get("from")
        if not isinstance(source, str) or not source:
            check.error(raw.line_of("from"), f"{key}: from: is required (the source key)")
            return None
        mapping = raw.get("map")
        if mapping is not None and not isinstance(mapping, LineMap):
            check.error(raw.line_of("map"), f"{key}: map: expected a mapping")
            return None
        return source, mapping, line
    check.error(line, f"{key}: expected the source key, or a mapping with from: and map:")
    return None


def read_verdict(doc: LineMap, check: Check) -> tuple[str, dict[str, str]] | None:
    found = _from_and_map(doc, "verdict", check)
    if found is None:
        return None
    source, mapping, _ = found
    out: dict[str, str] = {}
    for word, value in (mapping or {}).items():
        if value not in ("allowed", "denied"):
            assert mapping is not None
            check.error(
                mapping.line_of(word), f"verdict map: {word!r} → expected allowed or denied, got {value!r}"
            )
            continue
        out[word] = value
        out.setdefault(word.lower(), value)
    return source, out


def read_severity(doc: LineMap, check: Check) -> tuple[str, dict[str, int]] | None:
    found = _from_and_map(doc, "severity", check)
    if found is None:
        return None
    source, mapping, _ = found
    out: dict[str, int] = {}
    for word, value in (mapping or {}).items():
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            assert mapping is not None
            check.error(
                mapping.line_of(word),
                f"severity map: {word!r} → expected 1..5 (1 info … 5 critical), got {value!r}",
            )
            continue
        out[word] = value
        out.setdefault(word.lower(), value)
    return source, out


def read_intrusion(
    doc: LineMap,
    check: Check,
    fields: dict[str, tuple[FieldSpec, ...]],
    constants: tuple[tuple[Target, Any], ...],
) -> Intrusion | None:
    if "intrusion" not in doc:
        return None
    raw = doc["intrusion"]
    line = doc.line_of("intrusion")
    if raw is True:
        raw = LineMap(line)
    if not isinstance(raw, LineMap):
        check.error(line, f"intrusion: expected a mapping (blocked_when:, web:) or true, got {raw!r}")
        return None
    check.known_keys(raw, frozenset({"blocked_when", "web"}), "intrusion")
    blocked: list[tuple[str, frozenset[str]]] = []
    when = check.mapping(raw, "blocked_when")
    for key in when or {}:
        assert when is not None
        words = check.texts(when, key)
        blocked.append((key, frozenset(w.lower() for w in words)))
    web = check.flag(raw, "web", False)
    provided = {spec.target.dotted for specs in fields.values() for spec in specs}
    provided |= {target.dotted for target, _ in constants}
    missing = [name for name in FOUR_FIELDS if name not in provided]
    if not provided & set(TARGET_FIELDS):
        missing.append("destination.ip (or url.*)")
    if missing and fields:
        check.error(
            line,
            "intrusion: an IDS/IPS/WAF alert must carry the 等保 8.1.3.3 d) fields (attack source, type, "
            f"target, time); nothing maps {', '.join(missing)}",
        )
    return Intrusion(tuple(blocked), web)


def read_samples(doc: LineMap, check: Check, path: Path) -> tuple[Sample, ...]:
    out: list[Sample] = []
    items = doc.get("samples")
    if items is not None:
        if not isinstance(items, LineList):
            check.error(doc.line_of("samples"), "samples: expected a list of sample lines")
        else:
            for index, item in enumerate(items):
                if not isinstance(item, str) or not item.strip():
                    check.error(items.line_of(index), f"samples: expected a line of text, got {item!r}")
                    continue
                out.append(Sample(item.encode("utf-8"), f"{path}:{items.line_of(index)}"))
    if "samples_file" in doc:
        name = check.text(doc, "samples_file")
        if name:
            sample_path = path.parent / name
            try:
                data = sample_path.read_bytes()
            except OSError as exc:
                check.error(
                    doc.line_of("samples_file"), f"samples_file: cannot read {sample_path}: {exc.strerror}"
                )
                data = b""
            for number, line in enumerate(data.split(b"\n"), start=1):
                line = line.removesuffix(b"\r")
                if line.strip():
                    out.append(Sample(line, f"{sample_path}:{number}"))
    return tuple(out)
