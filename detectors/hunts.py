"""Hunts: Sigma rules over stored history instead of the live stream.

On the embedded store a hunt reads the stored events of a time range window by window and
runs the same routing and compiled matchers the stream uses (so a hunt and the live engine can never
disagree on what a rule means). Several rules hunt in one pass over each window: scheduled
hunts are batched per window, never one read per rule. For Elasticsearch the same rule is
converted through our ``shaowang_ecs_elastic`` pipeline with pySigma's Lucene or ES|QL backend
(:func:`to_query`).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal
from zoneinfo import ZoneInfo

from detectors.sigma.logsources import EventShape, event_shape, shape_keys
from detectors.sigma.pipeline import shaowang_ecs_elastic
from detectors.sigma.rules import CompiledRule, load_rules
from detectors.sigma.view import EventView
from soc_core.config import Settings
from soc_core.errors import ConfigError
from soc_core.events import Event
from soc_core.storage.base import EventStore

WINDOW = dt.timedelta(hours=1)
PAGE = 50_000  # documents read per query; a fuller window is split in halves


@dataclass(slots=True)
class _Tally:
    """Counts matches, writes them out, says when the limit is reached."""

    result: HuntResult
    limit: int
    out: BinaryIO | None
    on_match: Callable[[CompiledRule, Event], bool] | None
    found: int = 0

    def add(self, rule: CompiledRule, event: Event) -> bool:
        """Record one match (if ``on_match`` lets it count); True once the limit is reached."""
        if self.on_match is not None and not self.on_match(rule, event):
            return False
        self.result.matches[rule.id] += 1
        self.found += 1
        if self.out is not None:
            self.out.write(event.to_json() + b"\n")
        return self.found >= self.limit


@dataclass(slots=True)
class HuntResult:
    """What one hunt pass found."""

    scanned: int = 0
    windows: int = 0
    matches: dict[str, int] = field(default_factory=dict)  # rule id -> matching events


def _windows(
    start: dt.datetime, end: dt.datetime, step: dt.timedelta
) -> list[tuple[dt.datetime, dt.datetime]]:
    out = []
    cursor = start
    while cursor < end:
        out.append((cursor, min(end, cursor + step)))
        cursor += step
    return out


def _read(
    store: EventStore, start: dt.datetime, end: dt.datetime, *, query: str = "*", page: int = PAGE
) -> list[dict[str, object]]:
    """All documents of [start, end) matching ``query``, splitting the window until each part
    fits a page (a one-second part that does not is cut at ``page``)."""
    docs = store.search(query, start=start, end=end, limit=page + 1, order="asc")
    if len(docs) <= page or end - start <= dt.timedelta(seconds=1):
        return docs[:page] if len(docs) > page else docs
    middle = start + (end - start) / 2
    return _read(store, start, middle, query=query, page=page) + _read(
        store, middle, end, query=query, page=page
    )


def hunt(
    *,
    rules: Sequence[CompiledRule],
    store: EventStore,
    start: dt.datetime,
    end: dt.datetime,
    timezone: str,
    limit: int = 10_000,
    out: BinaryIO | None = None,
    window: dt.timedelta = WINDOW,
    on_match: Callable[[CompiledRule, Event], bool] | None = None,
) -> HuntResult:
    """Run ``rules`` over the stored events of [start, end); matches go to ``out`` as NDJSON.

    ``on_match`` (when given) sees every (rule, event) match and says whether it counts:
    a scheduled hunt uses it to raise alerts and to skip events a rule has already seen.
    On Elasticsearch the rules run in the cluster (:func:`hunt_lucene`; ``window`` unused).
    """
    from soc_core.storage.elastic import ElasticEventStore

    if isinstance(store, ElasticEventStore):
        return hunt_lucene(
            rules=rules,
            store=store,
            start=start,
            end=end,
            timezone=timezone,
            limit=limit,
            out=out,
            on_match=on_match,
        )
    if end <= start:
        raise ConfigError("hunt: the end of the range must be after its start")
    tz = ZoneInfo(timezone)
    result = HuntResult(matches={rule.id: 0 for rule in rules})
    tally = _Tally(result, limit, out, on_match)
    routes: dict[EventShape, list[CompiledRule]] = {}
    for first, last in _windows(start, end, window):
        result.windows += 1
        for doc in _read(store, first, last):
            result.scanned += 1
            event = Event.from_dict(doc)
            shape = event_shape(event)
            admitted = routes.get(shape)
            if admitted is None:  # the stream's routing: a rule sees only the events its logsource admits
                keys = shape_keys(shape)
                admitted = routes[shape] = [rule for rule in rules if rule.keys <= keys]
            if not admitted:
                continue
            view = EventView.of(event, timezone=tz)
            for rule in admitted:
                if rule.matcher(view) and tally.add(rule, event):
                    return result
    return result


#: Most documents one Elasticsearch search may return (its default ``index.max_result_window``).
ES_PAGE = 10_000


def lucene_expressible(rule: CompiledRule) -> bool:
    """Whether Lucene can say what the rule says: not with time-of-day modifiers (``|hour``),
    which pySigma's Elasticsearch backend turns into a comparison of the whole timestamp, nor
    with regular expressions."""
    from sigma.modifiers import SigmaRegularExpressionModifier, SigmaTimestampModifier
    from sigma.rule import SigmaDetection, SigmaDetectionItem

    # Regular expressions too: Lucene's are anchored, lack \d \w \s and (?i), and a keyword
    # field's twin is lower-cased, so a rule's pattern would need rewriting to mean the same.
    unsaid = (SigmaTimestampModifier, SigmaRegularExpressionModifier)

    def plain(item: SigmaDetection | SigmaDetectionItem) -> bool:
        if isinstance(item, SigmaDetectionItem):
            return not any(issubclass(m, unsaid) for m in item.modifiers)
        return all(plain(sub) for sub in item.detection_items)

    return all(plain(detection) for detection in rule.rule.detection.detections.values())


def lucene_queries(rule: CompiledRule) -> list[str]:
    """The rule as Lucene query strings: pySigma's Elasticsearch backend with our ECS pipeline."""
    from sigma.backends.elasticsearch.elasticsearch_lucene import LuceneBackend

    cached = _LUCENE.get(id(rule))
    if cached is not None and cached[0] is rule:
        return cached[1]
    backend = LuceneBackend(processing_pipeline=shaowang_ecs_elastic())
    # A copy: conversion applies the pipeline to the rule in place. Output on: a base rule
    # that feeds a correlation is still hunted (as the embedded hunt does), though pySigma
    # would convert it to nothing.
    sigma_rule = copy.deepcopy(rule.rule)
    sigma_rule._output = True
    queries = [str(query) for query in backend.convert_rule(sigma_rule)]
    _LUCENE[id(rule)] = (rule, queries)
    return queries


_LUCENE: dict[
    int, tuple[CompiledRule, list[str]]
] = {}  # compiled rule → its queries (rules are reloaded rarely)


def hunt_lucene(
    *,
    rules: Sequence[CompiledRule],
    store: EventStore,
    start: dt.datetime,
    end: dt.datetime,
    timezone: str,
    limit: int = 10_000,
    out: BinaryIO | None = None,
    on_match: Callable[[CompiledRule, Event], bool] | None = None,
) -> HuntResult:
    """:func:`hunt` for Elasticsearch: each rule runs as its pySigma Lucene query in the cluster.

    Only the matching documents travel. The stream's routing still applies to them (a rule
    sees only events its logsource admits), so a hunt here and a hunt over the embedded store
    find the same events. A rule Lucene cannot express (:func:`lucene_expressible`) is judged
    here by the stream's matcher over the documents of the range (``timezone`` is the one its
    time-of-day conditions are read in). ``scanned`` counts the documents read.
    """
    if end <= start:
        raise ConfigError("hunt: the end of the range must be after its start")
    result = HuntResult(matches={rule.id: 0 for rule in rules}, windows=1)
    tally = _Tally(result, limit, out, on_match)
    tz = ZoneInfo(timezone)
    for rule in rules:
        seen: set[str] = set()  # a rule converted to several queries may return an event twice
        native = lucene_expressible(rule)
        for query in lucene_queries(rule) if native else ["*"]:
            for doc in _read(store, start, end, query=query, page=ES_PAGE - 1):
                result.scanned += 1
                event = Event.from_dict(doc)
                key = event.event.id or event.to_json().decode()
                if key in seen or not rule.keys <= shape_keys(event_shape(event)):
                    continue
                if not native and not rule.matcher(EventView.of(event, timezone=tz)):
                    continue
                seen.add(key)
                if tally.add(rule, event):
                    return result
    return result


def hunt_stored(
    *, rule_path: Path, settings: Settings, start: dt.datetime, end: dt.datetime, limit: int, out: BinaryIO
) -> dict[str, object]:
    """``soc rules hunt``: one rule file over a time range of the configured store."""
    from soc_core.storage.factory import open_event_store

    ruleset = load_rules([rule_path], placeholders=settings.detection.placeholders)
    if ruleset.failed and not ruleset.rules:
        raise ConfigError(f"{rule_path}: {ruleset.failed[0].reason}")
    store = open_event_store(settings, writer=False)
    try:
        result = hunt(
            rules=ruleset.rules,
            store=store,
            start=start,
            end=end,
            timezone=settings.detection.timezone,
            limit=limit,
            out=out,
        )
    finally:
        store.close()
    return {
        "rules": len(ruleset.rules),
        "scanned": result.scanned,
        "windows": result.windows,
        **{"matches": result.matches},
    }


def to_query(rule_text: str, *, target: Literal["lucene", "esql"] = "lucene") -> list[str]:
    """The rule as Elasticsearch queries (Lucene query string or ES|QL) through our pipeline."""
    from sigma.backends.elasticsearch.elasticsearch_esql import ESQLBackend
    from sigma.backends.elasticsearch.elasticsearch_lucene import LuceneBackend
    from sigma.collection import SigmaCollection

    backend = (LuceneBackend if target == "lucene" else ESQLBackend)(
        processing_pipeline=shaowang_ecs_elastic()
    )
    queries = backend.convert(SigmaCollection.from_yaml(rule_text))
    return [str(q) for q in queries]
