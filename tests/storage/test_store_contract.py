"""One contract suite for both ``EventStore`` implementations.

``embedded`` runs in a temporary directory. ``elasticsearch`` runs against the cluster at
``SOC_TEST_ES_URL`` when set, else against the local wire-protocol stub (``es_stub``); the
session output says which. Tests marked stub-only assert the exact requests sent.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pytest
from embedded_support import T0, fw_event, settings
from es_stub import EsStub

from soc_core.config import StoreSettings
from soc_core.errors import QuerySyntaxError, RetentionPolicyError, StoreError
from soc_core.events import Event
from soc_core.storage.base import EventStore
from soc_core.storage.elastic import ElasticEventStore, redacted
from soc_core.storage.embedded import EmbeddedEventStore, encode_batch

LIVE_URL = os.environ.get("SOC_TEST_ES_URL", "").strip()
STUB_ONLY = pytest.mark.skipif(bool(LIVE_URL), reason="asserts the stub's recorded requests")


@pytest.fixture(scope="module", autouse=True)
def _say_es_target(request: pytest.FixtureRequest) -> None:
    """Say in the session output which Elasticsearch the contract ran against."""
    target = (
        f"live cluster {redacted(LIVE_URL)}"
        if LIVE_URL
        else "local wire-protocol stub (set SOC_TEST_ES_URL=http://host:9200 to run against a live cluster)"
    )
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:
        return
    # Output capture holds the terminal during fixtures: let this one line through.
    with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
        reporter.write_line(f"\nElasticsearch contract target: {target}")


@dataclass
class Target:
    """A store under test and how to make its writes searchable."""

    kind: str
    store: EventStore
    stub: EsStub | None = None

    def put(self, events: list[Event]) -> int:
        """Append and wait until searchable (ES refreshes each second on its own)."""
        stored = self.store.append(events)
        if isinstance(self.store, ElasticEventStore):
            self.store.refresh()
        return stored


def _cleanup_live(store: ElasticEventStore) -> None:
    store.client.indices.delete_data_stream(name=store.pattern, expand_wildcards="all")
    store.client.indices.delete_index_template(name=f"shaowang-events-{store.namespace}")


@pytest.fixture
def stub() -> Iterator[EsStub]:
    server = EsStub().start()
    yield server
    server.stop()


@pytest.fixture(params=["embedded", "elasticsearch"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    if request.param == "embedded":
        store = EmbeddedEventStore.open_writer(tmp_path, settings())
        yield Target("embedded", store)
        store.close()
        return
    if LIVE_URL:
        namespace = f"t{uuid.uuid4().hex[:12]}"  # tests never see each other's data
        es = ElasticEventStore.open(LIVE_URL, namespace=namespace)
        try:
            yield Target("elasticsearch", es)
        finally:
            _cleanup_live(es)
            es.close()
        return
    server = EsStub().start()
    es = ElasticEventStore.open(server.url, backoff_s=0.01)
    try:
        yield Target("elasticsearch", es, server)
    finally:
        es.close()
        server.stop()


def batch(n: int = 40) -> list[Event]:
    """``fw_event`` 0..n-1 one second apart, deny lines carrying a Chinese message."""
    events = []
    for i in range(n):
        event = fw_event(i)
        if event.event.action == "deny":
            event.message = f"策略禁止 拒绝访问 host-{i}"
        else:
            event.message = f"connection allowed host-{i}"
        events.append(event)
    return events


def ids(docs: list[dict[str, Any]]) -> list[str]:
    return [d["event"]["id"] for d in docs]


# -- writes, counts, search syntax ------------------------------------------------------------


def test_append_returns_stored_and_count_sees_all(target: Target) -> None:
    assert target.put(batch()) == 40
    assert target.store.count() == 40
    assert target.store.count("*") == 40
    assert target.store.count("event.action:deny") == 10


def test_documents_come_back_as_nested_ecs(target: Target) -> None:
    events = batch(5)
    target.put(events)
    (doc,) = target.store.search("event.id:ev-000003")
    assert doc == msgspec.to_builtins(events[3].to_dict())


QUERIES: list[tuple[str, int]] = [
    ("source.ip:192.0.2.3", 4),
    ("source.ip:192.0.2.0/24", 40),
    ("source.ip:198.51.100.0/24", 0),
    ("destination.ip:203.0.113.0/24 AND destination.port:22", 13),
    ("destination.port:[53 TO 443]", 27),
    ("source.port:>=40030", 10),
    ("source.port:{40000 TO 40010}", 9),
    ("event.dataset:fortinet.*", 40),
    ("event.action:d*", 10),
    ("event.action:DENY", 0),
    ("NOT event.action:deny", 30),
    ("event.action:deny OR destination.port:53", 20),
    ("network.transport:tcp AND NOT destination.port:443", 26),
    ('message:"拒绝访问"', 10),
    ('"拒绝访问"', 10),
    ('message:"connection allowed"', 30),
    ("_exists_:message", 40),
    ("no.such.field:x", 0),
]


@pytest.mark.parametrize(("query", "expected"), QUERIES, ids=[q for q, _ in QUERIES])
def test_search_syntax(target: Target, query: str, expected: int) -> None:
    target.put(batch())
    assert target.store.count(query) == expected
    assert len(target.store.search(query, limit=100)) == expected


def test_syntax_errors_are_query_syntax_errors(target: Target) -> None:
    target.put(batch(2))
    with pytest.raises(QuerySyntaxError):
        target.store.search("source.ip:(192.0.2.1")
    with pytest.raises(QuerySyntaxError):
        target.store.count('message:"unclosed')


# -- order, limit, ties, time windows ---------------------------------------------------------


def test_order_limit_and_ties_by_event_id(target: Target) -> None:
    tied = T0 + dt.timedelta(minutes=5)
    events = [fw_event(i, when=tied) for i in range(6)] + [fw_event(i) for i in range(10, 14)]
    target.put(events)
    assert ids(target.store.search(limit=3)) == ["ev-000005", "ev-000004", "ev-000003"]
    assert ids(target.store.search(limit=2, order="asc")) == ["ev-000010", "ev-000011"]
    assert ids(target.store.search(limit=6, order="asc"))[4:] == ["ev-000000", "ev-000001"]
    assert target.store.search(limit=0) == []
    assert len(target.store.search(limit=100)) == 10


def test_time_window_start_inclusive_end_exclusive(target: Target) -> None:
    target.put(batch(10))
    start, end = T0 + dt.timedelta(seconds=2), T0 + dt.timedelta(seconds=5)
    assert ids(target.store.search(start=start, end=end, order="asc")) == [
        "ev-000002",
        "ev-000003",
        "ev-000004",
    ]
    assert target.store.count(start=start, end=end) == 3
    one_us = dt.timedelta(microseconds=1)
    assert target.store.count(start=start + one_us, end=end + one_us) == 3  # 3, 4, 5
    assert target.store.count(start=start + one_us, end=end) == 2
    assert ids(target.store.search("event.action:deny", start=start, end=end)) == ["ev-000004"]
    assert target.store.count(start=end, end=start) == 0
    shanghai = dt.timezone(dt.timedelta(hours=8))
    assert target.store.count(start=start.astimezone(shanghai), end=end.astimezone(shanghai)) == 3


# -- aggregations -----------------------------------------------------------------------------


def test_terms_most_frequent_first_ties_by_value(target: Target) -> None:
    target.put(batch())
    assert target.store.terms("destination.port") == [(443, 14), (22, 13), (53, 13)]
    assert target.store.terms("source.ip", size=3) == [("192.0.2.0", 4), ("192.0.2.1", 4), ("192.0.2.2", 4)]
    assert target.store.terms("event.action", query="destination.port:22") == [("accept", 10), ("deny", 3)]
    assert target.store.terms("event.category") == [("network", 40)]
    assert target.store.terms("no.such.field") == []
    assert target.store.terms("event.action", size=0) == []


def test_cardinality(target: Target) -> None:
    target.put(batch())
    assert target.store.cardinality("source.ip") == 10
    assert target.store.cardinality("destination.port", query="event.action:deny") == 3
    assert target.store.cardinality("source.port", start=T0, end=T0 + dt.timedelta(seconds=7)) == 7
    assert target.store.cardinality("no.such.field") == 0


def test_date_histogram_fills_gaps_between_first_and_last(target: Target) -> None:
    target.put(batch())
    assert target.store.date_histogram(interval="10s") == [
        (T0 + dt.timedelta(seconds=s), 10) for s in (0, 10, 20, 30)
    ]
    target.put([fw_event(100, when=T0 + dt.timedelta(minutes=2))])
    buckets = target.store.date_histogram(interval="1m", query="source.port:[40039 TO *]")
    assert buckets == [(T0, 1), (T0 + dt.timedelta(minutes=1), 0), (T0 + dt.timedelta(minutes=2), 1)]
    assert target.store.date_histogram(interval="1h", query="no.such.field:x") == []
    weekly = target.store.date_histogram(interval="1w")  # weeks start on Monday on both stores
    assert weekly == [(dt.datetime(2026, 11, 16, tzinfo=dt.UTC), 41)]
    with pytest.raises(QuerySyntaxError):
        target.store.date_histogram(interval="5 fortnights")


# -- idempotence and failures -----------------------------------------------------------------


def test_redelivered_event_id_is_stored_once(target: Target) -> None:
    if target.kind == "embedded":
        pytest.skip("the embedded store appends what it is given; de-duplication by _id is ES's")
    events = batch(5)
    assert target.put(events) == 5
    assert target.put(events) == 5  # already stored counts as stored
    assert target.store.count() == 5


def test_append_encoded_takes_parse_worker_payloads(target: Target) -> None:
    first, second = batch(3), [fw_event(i) for i in range(3, 5)]
    payload = encode_batch(first) + encode_batch(second)
    assert target.store.append_encoded(payload, 5) == 5
    if isinstance(target.store, ElasticEventStore):
        target.store.refresh()
    assert target.store.count() == 5


def test_vendor_fields_search_and_return_like_ecs(target: Target) -> None:
    event = fw_event(1, fortinet={"firewall": {"policyid": 7, "zone": "trust"}})
    target.put([event])
    (doc,) = target.store.search("fortinet.firewall.zone:trust")
    assert doc["fortinet"] == {"firewall": {"policyid": "7", "zone": "trust"}}
    assert target.store.terms("fortinet.firewall.policyid") == [("7", 1)]


def test_verify_reports_no_problems(target: Target) -> None:
    target.put(batch(3))
    assert target.store.verify().ok


def test_backpressure_429_is_retried_then_succeeds(stub: EsStub) -> None:
    store = ElasticEventStore.open(stub.url, backoff_s=0.01)
    try:
        stub.fail_next_bulk(2, 429)
        stub.reset_requests()
        assert store.append(batch(4)) == 4
        assert [r.path for r in stub.requests] == ["/_bulk"] * 3
        stub.fail_next_bulk(1, 503)
        assert store.append([fw_event(50)]) == 1
        assert len(stub.documents()) == 5
    finally:
        store.close()


def test_items_refused_with_429_are_resent_alone(stub: EsStub) -> None:
    store = ElasticEventStore.open(stub.url, backoff_s=0.01)
    try:
        stub.item_failures["ev-000001"] = (429, "es_rejected_execution_exception")
        stub.reset_requests()
        assert store.append(batch(3)) == 3
        first, second = (r.ndjson() for r in stub.requests)
        assert len(first) == 6
        assert second[0] == {"create": {"_index": "logs-fortinet.firewall-default", "_id": "ev-000001"}}
        assert len(second) == 2
        assert len(stub.documents()) == 3
    finally:
        store.close()


def test_backpressure_that_never_ends_is_a_store_error(stub: EsStub) -> None:
    store = ElasticEventStore.open(stub.url, retries=2, backoff_s=0.01)
    try:
        stub.fail_next_bulk(5, 429)
        with pytest.raises(StoreError, match="after 2 retries") as err:
            store.append(batch(2))
        assert err.value.where == stub.url
    finally:
        store.close()


def test_refused_item_names_the_first_failing_one(stub: EsStub) -> None:
    store = ElasticEventStore.open(stub.url)
    try:
        stub.item_failures["ev-000002"] = (400, "document_parsing_exception")
        stub.item_failures["ev-000003"] = (400, "document_parsing_exception")
        with pytest.raises(StoreError, match=r"bulk item 2 .*ev-000002.*document_parsing_exception"):
            store.append(batch(4))
    finally:
        store.close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_unreachable_cluster_is_a_store_error_naming_the_url_without_credentials() -> None:
    port = _closed_port()
    with pytest.raises(StoreError, match="cannot reach Elasticsearch") as err:
        ElasticEventStore.open(f"http://elastic:s3cret-pw@127.0.0.1:{port}", retries=0)
    assert err.value.where == f"http://127.0.0.1:{port}"
    assert "s3cret" not in str(err.value)


def test_embedded_failure_is_a_store_error_naming_the_place(tmp_path: Path) -> None:
    writer = EmbeddedEventStore.open_writer(tmp_path, settings())
    try:
        reader = EmbeddedEventStore.open_reader(tmp_path)
        with pytest.raises(StoreError) as err:
            reader.append(batch(1))
        assert err.value.where == str(tmp_path / "events")
        reader.close()
    finally:
        writer.close()


# -- exact requests (stub only) ---------------------------------------------------------------


@STUB_ONLY
def test_opening_installs_ilm_and_templates(stub: EsStub) -> None:
    store = ElasticEventStore.open(stub.url, settings=StoreSettings(retention_days=400))
    store.close()
    assert [(r.method, r.path) for r in stub.requests] == [
        ("GET", "/"),
        ("PUT", "/_ilm/policy/shaowang-events"),
        ("PUT", "/_component_template/shaowang-events-mappings"),
        ("PUT", "/_index_template/shaowang-events-default"),
    ]
    policy = stub.policies["shaowang-events"]
    assert policy["phases"]["delete"] == {"min_age": "400d", "actions": {"delete": {}}}
    assert "rollover" in policy["phases"]["hot"]["actions"]
    template = stub.index_templates["shaowang-events-default"]
    assert template["index_patterns"] == ["logs-*-default"]
    assert template["data_stream"] == {}
    assert template["priority"] > 100  # above the built-in ``logs`` template
    assert template["composed_of"] == ["shaowang-events-mappings"]
    component = stub.component_templates["shaowang-events-mappings"]["template"]
    assert component["settings"] == {"index.lifecycle.name": "shaowang-events"}
    props = component["mappings"]["properties"]
    assert props["@timestamp"] == {"type": "date_nanos"}
    assert props["source"]["properties"]["ip"] == {"type": "ip"}
    assert props["source"]["properties"]["port"] == {"type": "long"}
    assert props["source"]["properties"]["nat"]["properties"]["ip"] == {"type": "ip"}
    assert props["event"]["properties"]["original"] == {
        "type": "keyword",
        "index": False,
        "doc_values": False,
    }
    assert props["event"]["properties"]["created"] == {"type": "date"}
    assert props["event"]["properties"]["risk_score"] == {"type": "double"}
    assert props["tls"]["properties"]["established"] == {"type": "boolean"}
    assert props["message"] == {"type": "text"}
    # keywords have a lower-cased twin (index only) for Sigma's case-insensitive matching
    twin = {"type": "keyword", "normalizer": "lowercase", "doc_values": False, "ignore_above": 8191}
    assert props["event"]["properties"]["dataset"] == {"type": "keyword", "fields": {"ci": twin}}
    assert "extra" not in props
    assert props["labels"] == {"type": "object", "dynamic": True}
    dynamic = component["mappings"]["dynamic_templates"][0]["strings_as_keyword"]
    assert dynamic["mapping"]["type"] == "keyword"
    assert dynamic["mapping"]["fields"] == {"ci": twin}


@STUB_ONLY
def test_default_retention_is_180_days_and_lower_needs_an_override(stub: EsStub) -> None:
    ElasticEventStore.open(stub.url).close()
    assert stub.policies["shaowang-events"]["phases"]["delete"]["min_age"] == "180d"
    with pytest.raises(RetentionPolicyError):
        ElasticEventStore.open(stub.url, settings=StoreSettings(retention_days=30))
    ElasticEventStore.open(
        stub.url, settings=StoreSettings(retention_days=30, retention_override="test range")
    ).close()
    assert stub.policies["shaowang-events"]["phases"]["delete"]["min_age"] == "30d"


@STUB_ONLY
def test_bulk_is_ndjson_create_per_dataset_stream(stub: EsStub) -> None:
    store = ElasticEventStore.open(stub.url)
    stub.reset_requests()
    events = [fw_event(1), fw_event(2, dataset="huawei.usg"), fw_event(3)]
    events[2].event.id = None
    assert store.append(events) == 3
    store.close()
    (bulk,) = [r for r in stub.requests if r.path == "/_bulk"]
    assert bulk.method == "PUT"
    assert bulk.headers["content-type"] == "application/vnd.elasticsearch+x-ndjson; compatible-with=8"
    lines = bulk.ndjson()
    assert lines[0::2] == [
        {"create": {"_index": "logs-fortinet.firewall-default", "_id": "ev-000001"}},
        {"create": {"_index": "logs-huawei.usg-default", "_id": "ev-000002"}},
        {"create": {"_index": "logs-fortinet.firewall-default"}},  # no id: ES makes one
    ]
    assert lines[1] == msgspec.to_builtins(events[0].to_dict())
    assert bulk.body.endswith(b"\n")


@STUB_ONLY
def test_search_sends_query_string_and_time_range(stub: EsStub) -> None:
    store = ElasticEventStore.open(stub.url)
    stub.reset_requests()
    store.search("source.ip:192.0.2.0/24", start=T0, end=T0 + dt.timedelta(hours=1), limit=7, order="asc")
    store.close()
    (req,) = stub.requests
    assert (req.method, req.path) == ("POST", "/logs-*-default/_search")
    assert req.params == {"allow_no_indices": "true"}
    assert req.json() == {
        "query": {
            "bool": {
                "filter": [
                    {
                        "query_string": {
                            "query": "source.ip:192.0.2.0/24",
                            "fields": ["event.original", "message"],
                            "default_operator": "OR",
                            "lenient": True,
                        }
                    },
                    {
                        "range": {
                            "@timestamp": {
                                "gte": "2026-11-20T10:00:00.000000Z",
                                "lt": "2026-11-20T11:00:00.000000Z",
                                "format": "strict_date_optional_time_nanos",
                            }
                        }
                    },
                ]
            }
        },
        "size": 7,
        "sort": [
            {"@timestamp": {"order": "asc"}},
            {"event.id": {"order": "asc", "unmapped_type": "keyword", "missing": "_last"}},
        ],
        "track_total_hits": False,
    }


@STUB_ONLY
def test_aggregation_requests(stub: EsStub) -> None:
    store = ElasticEventStore.open(stub.url)
    stub.reset_requests()
    store.terms("source.ip", size=5)
    store.cardinality("source.ip")
    store.date_histogram(interval="2d")
    store.close()
    terms, cardinality, histogram = (r.json() for r in stub.requests)
    assert terms["size"] == 0
    assert terms["aggs"] == {
        "top": {"terms": {"field": "source.ip", "size": 5, "order": [{"_count": "desc"}, {"_key": "asc"}]}}
    }
    assert cardinality["aggs"] == {
        "distinct": {"cardinality": {"field": "source.ip", "precision_threshold": 40000}}
    }
    assert histogram["aggs"] == {
        "per_bucket": {
            "date_histogram": {
                "field": "@timestamp",
                "fixed_interval": "172800s",
                "min_doc_count": 0,
                "offset": "+86400s",  # 2000-01-03 is an odd number of days after the epoch
            }
        }
    }


@STUB_ONLY
def test_histogram_beyond_the_cluster_bucket_limit_answers_non_empty_buckets(stub: EsStub) -> None:
    stub.max_buckets = 50
    store = ElasticEventStore.open(stub.url)
    try:
        store.append([fw_event(0), fw_event(1, when=T0 + dt.timedelta(minutes=2))])
        assert store.date_histogram(interval="1s") == [(T0, 1), (T0 + dt.timedelta(minutes=2), 1)]
        assert store.date_histogram(interval="1m") == [
            (T0, 1),
            (T0 + dt.timedelta(minutes=1), 0),
            (T0 + dt.timedelta(minutes=2), 1),
        ]
    finally:
        store.close()


@STUB_ONLY
def test_a_field_es_cannot_aggregate_is_a_store_error(stub: EsStub) -> None:
    store = ElasticEventStore.open(stub.url)
    try:
        store.append(batch(2))
        with pytest.raises(StoreError, match="not aggregatable") as err:
            store.terms("message")
        assert err.value.where == stub.url
    finally:
        store.close()


@STUB_ONLY
def test_every_request_accepts_compatible_8_answers(stub: EsStub) -> None:
    store = ElasticEventStore.open(stub.url)
    store.append(batch(2))
    store.count()
    store.close()
    for req in stub.requests:
        assert req.headers["accept"] == "application/vnd.elasticsearch+json; compatible-with=8"


@STUB_ONLY
def test_a_server_that_is_not_elasticsearch_is_refused(stub: EsStub) -> None:
    stub.product_header = False
    with pytest.raises(StoreError, match="the server is not Elasticsearch") as err:
        ElasticEventStore.open(stub.url)
    assert err.value.where == stub.url
    assert [r.path for r in stub.requests] == ["/"]
