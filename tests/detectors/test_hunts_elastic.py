"""Hunts on Elasticsearch (pySigma's Lucene backend + our ECS pipeline) find what hunts on the
embedded store find.

Every event of every regression case under ``rules/regression`` (each case holds matches and
near misses) goes into both stores; the whole shipped pack hunts both. On the embedded store
the hunt runs the stream's compiled matchers over every stored event; on Elasticsearch each
rule runs as the Lucene query pySigma makes of it, in the cluster. Per rule, the matched event
ids must be the same. Elasticsearch is a live cluster when ``SOC_TEST_ES_URL`` is set, else the
wire-protocol stub (which evaluates ``query_string`` itself); the stub run also checks that the
queries it received are exactly pySigma's.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from es_stub import EsStub

from detectors.hunts import hunt, hunt_lucene, lucene_expressible, lucene_queries
from detectors.sigma.regression import case_events
from detectors.sigma.rules import CompiledRule, load_rules
from soc_core.config import StoreSettings
from soc_core.events import Event
from soc_core.storage.elastic import ElasticEventStore, redacted
from soc_core.storage.embedded import EmbeddedEventStore

PROJECT = Path(__file__).resolve().parents[2]
RULES = PROJECT / "rules" / "sigma"
REGRESSION = PROJECT / "rules" / "regression"
LIVE_URL = os.environ.get("SOC_TEST_ES_URL", "").strip()
QUIET = StoreSettings(seal_interval_s=3600, seal_max_events=10**9)


def _events() -> list[Event]:
    out: list[Event] = []
    for folder in sorted(p for p in REGRESSION.iterdir() if p.is_dir()):
        expected = yaml.safe_load((folder / "expected.yml").read_text("utf-8"))
        for event in case_events(folder, expected):
            event.ensure_id()
            out.append(event)
    return out


@pytest.fixture(scope="module")
def rules() -> list[CompiledRule]:
    loaded = load_rules([RULES])
    assert not loaded.failed
    return loaded.rules


@pytest.fixture(scope="module")
def events() -> list[Event]:
    return _events()


@pytest.fixture
def elastic(tmp_path: Path) -> Iterator[tuple[ElasticEventStore, EsStub | None]]:
    if LIVE_URL:
        print(f"\nElasticsearch: live cluster {redacted(LIVE_URL)}")
        store = ElasticEventStore.open(LIVE_URL, namespace=f"t{uuid.uuid4().hex[:12]}")
        try:
            yield store, None
        finally:
            store.client.indices.delete_data_stream(name=store.pattern, expand_wildcards="all")
            store.close()
        return
    stub = EsStub().start()
    print("\nElasticsearch: local wire-protocol stub (set SOC_TEST_ES_URL to run against a live cluster)")
    store = ElasticEventStore.open(stub.url, backoff_s=0.01)
    try:
        yield store, stub
    finally:
        store.close()
        stub.stop()


def test_lucene_hunt_on_elasticsearch_matches_the_embedded_hunt(
    tmp_path: Path,
    rules: list[CompiledRule],
    events: list[Event],
    elastic: tuple[ElasticEventStore, EsStub | None],
) -> None:
    es, stub = elastic
    embedded = EmbeddedEventStore.open_writer(tmp_path / "data", QUIET)
    embedded.append(events)
    es.append(events)
    es.refresh()
    start = min(e.timestamp for e in events) - dt.timedelta(days=1)
    end = max(e.timestamp for e in events) + dt.timedelta(days=1)

    def collector(into: dict[str, set[str]]) -> Callable[[CompiledRule, Event], bool]:
        def on_match(rule: CompiledRule, event: Event) -> bool:
            into.setdefault(rule.id, set()).add(event.event.id or "")
            return True

        return on_match

    on_embedded: dict[str, set[str]] = {}
    on_elastic: dict[str, set[str]] = {}
    try:
        hunt(
            rules=rules,
            store=embedded,
            start=start,
            end=end,
            timezone="Asia/Shanghai",
            limit=10**9,
            on_match=collector(on_embedded),
        )
    finally:
        embedded.close()
    if stub is not None:
        stub.reset_requests()
    result = hunt_lucene(
        rules=rules,
        store=es,
        start=start,
        end=end,
        timezone="Asia/Shanghai",
        limit=10**9,
        on_match=collector(on_elastic),
    )

    assert sum(len(ids) for ids in on_embedded.values()) > 0
    rules_matching = {rule for rule, ids in on_embedded.items() if ids}
    assert len(rules_matching) >= 30, (
        f"only {len(rules_matching)} rules matched: the comparison proves little"
    )
    differences = {
        rule: {
            "embedded only": sorted(on_embedded.get(rule, set()) - on_elastic.get(rule, set())),
            "elasticsearch only": sorted(on_elastic.get(rule, set()) - on_embedded.get(rule, set())),
        }
        for rule in set(on_embedded) | set(on_elastic)
        if on_embedded.get(rule, set()) != on_elastic.get(rule, set())
    }
    assert not differences, json.dumps(differences, indent=1)[:4000]
    assert result.matches == {rule.id: len(on_elastic.get(rule.id, set())) for rule in rules}
    print(
        f"{len(events)} events, {len(rules)} rules: {len(rules_matching)} rules matched "
        f"{sum(len(v) for v in on_embedded.values())} events on both stores"
    )

    if stub is not None:  # the cluster was asked exactly pySigma's queries, one rule at a time
        sent = [
            req.json()["query"]["bool"]["filter"][0]["query_string"]["query"]
            for req in stub.requests
            if req.path.endswith("/_search")
        ]
        wanted = [q for rule in rules for q in (lucene_queries(rule) if lucene_expressible(rule) else ["*"])]
        assert sent == wanted
