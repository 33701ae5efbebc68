"""The Elasticsearch ``EventStore``: ECS data streams, bulk writes, Lucene query strings.

Events go to data streams ``logs-<dataset>-<namespace>`` (see ``elastic_templates`` for the
template, mappings and ILM policy installed on opening). Documents are the same nested ECS
documents the embedded store returns: vendor fields (``Event.extra``) merged into the top level
as text, a vendor key spelling an ECS field kept under ``extra.``.

Differences from the embedded store, all from Elasticsearch itself:

- ``event.original`` is stored but not indexed (as ECS maps it): queries on it, including bare
  terms, match nothing there (``lenient``); search ``message`` or ECS fields instead.
- ``message`` is analysed text: terms match tokens, where the embedded store matches substrings.
- ``cardinality`` is exact up to 40 000 distinct values, approximate (HyperLogLog++) above.
- ``terms`` ties on IP fields are ordered by address, on the embedded store by text.
- ``date_histogram`` beyond the cluster's ``search.max_buckets`` (65 536 by default) answers
  the non-empty buckets only; the embedded store fills gaps up to 100 000 buckets.
- ``@timestamp`` is ``date_nanos`` (microseconds kept, as the embedded store): events before
  1970 or after 2262 are refused by the cluster.
- Events become searchable at the next refresh (1 s by default); ``refresh()`` forces one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from typing import Any, Literal, cast

import elastic_transport
import msgspec
from elasticsearch import ApiError, Elasticsearch, UnsupportedProductError

from soc_core.config import StoreSettings
from soc_core.errors import QuerySyntaxError, RetentionPolicyError, StoreError
from soc_core.events import Event, utc
from soc_core.storage import elastic_templates as tpl
from soc_core.storage.base import VerifyReport, fill_buckets
from soc_core.storage.embedded import BUCKET_ORIGIN, encode_batch
from soc_core.storage.embedded_query import parse_interval
from soc_core.storage.embedded_schema import ECS_COLUMNS, dynamic_columns, iso_utc
from soc_core.storage.lucene import DEFAULT_FIELDS, compile_query
from soc_core.vocabulary import MIN_RETENTION_DAYS

log = logging.getLogger(__name__)
CARDINALITY_PRECISION = 40_000  # ES's maximum: counts below it are exact
_RETRYABLE = frozenset({429, 500, 502, 503, 504})
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_decoder = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder()


def redacted(url: str) -> str:
    """``url`` without user name, password, query or fragment: safe for messages and logs."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _has_ecs_descendant(name: str) -> bool:
    prefix = name + "."
    return any(c.startswith(prefix) for c in ECS_COLUMNS)


def document(line: dict[str, Any]) -> dict[str, Any]:
    """The ES document of a decoded ``encode_batch`` line: as the embedded store returns it."""
    flat = dynamic_columns(line)  # labels and vendor leaves as text, like the embedded columns
    doc = {k: v for k, v in line.items() if k not in ("extra", "labels")}
    for name, value in flat.items():
        if name in ECS_COLUMNS or _has_ecs_descendant(name):
            name = f"extra.{name}"  # must not change an ECS field's type (nor turn it into text)
        node = doc
        *parents, leaf = name.split(".")
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[leaf] = value
    return doc


class ElasticEventStore:
    """``EventStore`` on an Elasticsearch 8 cluster (``open`` installs templates and ILM)."""

    def __init__(
        self,
        client: Elasticsearch,
        where: str,
        *,
        namespace: str,
        retries: int = 6,
        backoff_s: float = 0.2,
    ) -> None:
        self.client = client
        self.where = where
        self.namespace = tpl.check_namespace(namespace)
        self.pattern = tpl.index_pattern(namespace)
        self.retries = retries
        self.backoff_s = backoff_s
        self.retention_days: int | None = None
        self._figures = {"created": 0, "already_stored": 0, "bulk_requests": 0, "bulk_retries": 0}

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        url: str,
        *,
        namespace: str = "default",
        settings: StoreSettings | None = None,
        retries: int = 6,
        backoff_s: float = 0.2,
        request_timeout: float = 30.0,
    ) -> ElasticEventStore:
        """Connect, check the cluster is Elasticsearch 8, install ILM policy and templates."""
        settings = settings or StoreSettings()
        days = settings.retention_days
        if days < MIN_RETENTION_DAYS and not (settings.retention_override or "").strip():
            raise RetentionPolicyError(
                f"retention_days={days} is below the legal minimum of {MIN_RETENTION_DAYS} days; "
                "set store.retention_override to the reason to proceed (it is recorded)",
                where="store.retention_days",
            )
        where = redacted(url)
        try:
            tpl.check_namespace(namespace)
        except ValueError as exc:
            raise StoreError(str(exc), where=where) from None
        # Retries are ours (with backoff); the client's would hammer an overloaded cluster.
        client = Elasticsearch(
            url, max_retries=0, retry_on_status=(), retry_on_timeout=False, request_timeout=request_timeout
        )
        store = cls(client, where, namespace=namespace, retries=retries, backoff_s=backoff_s)
        try:
            with store._errors("connecting"):
                version = str(client.info()["version"]["number"])
            if not version.startswith("8."):
                raise StoreError(f"Elasticsearch {version} is not 8.x", where=where)
            store.install(days)
            store.retention_days = days
        except BaseException:
            client.close()
            raise
        return store

    def stats(self) -> dict[str, Any]:
        """Counts for operators (the figures ``soc run`` shows under ``store``)."""
        per_dataset = self.terms("event.dataset", size=100)
        return {
            "backend": "elasticsearch",
            "url": self.where,
            "data_streams": self.pattern,
            "events": self.count("*"),
            "events_per_dataset": {str(name): n for name, n in sorted(per_dataset, key=lambda x: str(x[0]))},
            "retention": {"days": self.retention_days, "ilm_policy": tpl.ILM_POLICY},
            **self._figures,
        }

    def install(self, retention_days: int) -> None:
        """Put the ILM policy, component template and index template (idempotent: PUT replaces)."""
        with self._errors("installing the ILM policy"):
            self.client.ilm.put_lifecycle(name=tpl.ILM_POLICY, policy=tpl.ilm_policy(retention_days))
        with self._errors("installing the component template"):
            self.client.cluster.put_component_template(
                name=tpl.COMPONENT_TEMPLATE, template=tpl.component_template()
            )
        with self._errors("installing the index template"):
            self.client.indices.put_index_template(
                name=tpl.index_template_name(self.namespace), **tpl.index_template(self.namespace)
            )

    @contextlib.contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """Client failures as ``StoreError`` naming the (credential-free) URL."""
        try:
            yield
        except UnsupportedProductError:
            raise StoreError(f"{what}: the server is not Elasticsearch", where=self.where) from None
        except ApiError as exc:
            raise StoreError(f"{what}: refused, {_api_problem(exc)}", where=self.where) from None
        except elastic_transport.TransportError as exc:
            raise StoreError(
                f"{what}: cannot reach Elasticsearch ({type(exc).__name__})", where=self.where
            ) from None

    # -- writing ---------------------------------------------------------------------------

    def append(self, events: Sequence[Event]) -> int:
        """Store events; returns how many are stored (a re-delivered ``event.id`` counts once stored)."""
        if not events:
            return 0
        return self.append_encoded(encode_batch(events), len(events))

    def append_encoded(self, payload: bytes, rows: int) -> int:
        """Store a payload of ``encode_batch`` lines with ``_bulk`` ``create`` operations."""
        lines = [line for line in payload.split(b"\n") if line.strip()]
        if len(lines) != rows:
            raise StoreError(f"payload has {len(lines)} events, not {rows}", where=self.where)
        ops: list[bytes] = []
        for line in lines:
            try:
                decoded = _decoder.decode(line)
            except msgspec.DecodeError as exc:
                raise StoreError(f"payload line is not JSON: {exc}", where=self.where) from None
            doc = document(decoded)
            event = doc.get("event")
            info: dict[str, Any] = event if isinstance(event, dict) else {}
            action: dict[str, Any] = {"_index": tpl.stream_name(info.get("dataset"), self.namespace)}
            if info.get("id"):
                action["_id"] = str(info["id"])  # re-delivery of the same event is a 409, not a copy
            ops.append(_encoder.encode({"create": action}) + b"\n" + _encoder.encode(doc) + b"\n")
        return self._bulk(ops)

    def _bulk(self, ops: list[bytes]) -> int:
        """Send ``ops`` (action and document line pairs), retrying 429/5xx with backoff."""
        stored = 0
        pending = list(range(len(ops)))
        for attempt in range(self.retries + 1):
            body = b"".join(ops[i] for i in pending)
            self._figures["bulk_requests"] += 1
            self._figures["bulk_retries"] += 1 if attempt else 0
            with self._errors("bulk write"):
                try:
                    # The NDJSON serializer sends bytes as they are: our lines, encoded once.
                    response = self.client.bulk(operations=cast(Any, body))
                except ApiError as exc:
                    if exc.meta.status not in _RETRYABLE:
                        raise
                    if attempt == self.retries:
                        raise StoreError(
                            f"bulk write still refused after {self.retries} retries: {_api_problem(exc)}",
                            where=self.where,
                        ) from None
                    self._sleep(attempt, f"bulk answered {exc.meta.status}")
                    continue
            items = response.body.get("items") or []
            if len(items) != len(pending):
                raise StoreError(
                    f"bulk answered {len(items)} items for {len(pending)} documents", where=self.where
                )
            again: list[int] = []
            for slot, item in zip(pending, items, strict=True):
                result = next(iter(item.values()))
                status = int(result.get("status", 0))
                if status in (200, 201) or status == 409:  # 409: the same _id is stored already
                    stored += 1
                    self._figures["created" if status != 409 else "already_stored"] += 1
                elif status in _RETRYABLE:
                    again.append(slot)
                else:
                    error = result.get("error") or {}
                    raise StoreError(
                        f"bulk item {slot} ({result.get('_index')}, _id {result.get('_id')}) refused: "
                        f"{status} {error.get('type', '')}: {error.get('reason', '')}",
                        where=self.where,
                    )
            if not again:
                return stored
            if attempt == self.retries:
                break
            pending = again
            self._sleep(attempt, f"{len(again)} bulk items answered 429/5xx")
        raise StoreError(
            f"bulk write still refused after {self.retries} retries: items answered 429/5xx",
            where=self.where,
        )

    def _sleep(self, attempt: int, why: str) -> None:
        delay = min(30.0, self.backoff_s * 2**attempt)
        log.warning("Elasticsearch %s; retrying in %.2f s", why, delay)
        time.sleep(delay)

    def refresh(self) -> None:
        """Make everything written so far searchable now (ES otherwise refreshes each second)."""
        with self._errors("refresh"):
            self.client.indices.refresh(index=self.pattern, allow_no_indices=True)

    # -- queries ---------------------------------------------------------------------------

    def _query(self, query: str, start: dt.datetime | None, end: dt.datetime | None) -> dict[str, Any]:
        text = (query or "").strip() or "*"
        compile_query(text, {})  # the same syntax errors as the embedded store, before a round trip
        # Default operator OR, as ES's own default and as lucene.py compiles juxtaposed terms:
        # ``a b`` means the same on both stores (use AND explicitly for both).
        filters: list[dict[str, Any]] = [
            {
                "query_string": {
                    "query": text,
                    "fields": list(DEFAULT_FIELDS),
                    "default_operator": "OR",
                    "lenient": True,
                }
            }
        ]
        window: dict[str, Any] = {}
        if start is not None:
            window["gte"] = iso_utc(utc(start))
        if end is not None:
            window["lt"] = iso_utc(utc(end))
        if window:
            window["format"] = "strict_date_optional_time_nanos"
            filters.append({"range": {tpl.TIMESTAMP: window}})
        return {"bool": {"filter": filters}}

    def _search(self, what: str, **body: Any) -> dict[str, Any]:
        with self._errors(what):
            try:
                response = self.client.search(index=self.pattern, allow_no_indices=True, **body)
            except ApiError as exc:
                if _is_query_problem(exc):
                    raise QuerySyntaxError(_api_problem(exc)) from None
                raise
        result: dict[str, Any] = response.body
        return result

    def search(
        self,
        query: str = "*",
        *,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        limit: int = 100,
        order: Literal["asc", "desc"] = "desc",
    ) -> list[dict[str, Any]]:
        """Matching documents (nested ECS dicts) ordered by ``@timestamp`` then ``event.id``."""
        n = max(0, int(limit))
        if n == 0:
            return []
        body = self._search(
            "search",
            query=self._query(query, start, end),
            sort=[
                {tpl.TIMESTAMP: {"order": order}},
                {"event.id": {"order": order, "unmapped_type": "keyword", "missing": "_last"}},
            ],
            size=n,
            track_total_hits=False,
        )
        return [dict(hit["_source"]) for hit in body["hits"]["hits"]]

    def count(
        self, query: str = "*", *, start: dt.datetime | None = None, end: dt.datetime | None = None
    ) -> int:
        """Number of matching documents."""
        with self._errors("count"):
            try:
                response = self.client.count(
                    index=self.pattern, allow_no_indices=True, query=self._query(query, start, end)
                )
            except ApiError as exc:
                if _is_query_problem(exc):
                    raise QuerySyntaxError(_api_problem(exc)) from None
                raise
        return int(response.body["count"])

    def terms(
        self,
        field: str,
        *,
        query: str = "*",
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        size: int = 10,
    ) -> list[tuple[Any, int]]:
        """Top values of ``field`` with their counts, most frequent first (ties by value)."""
        if int(size) <= 0:
            return []
        aggs = {
            "top": {
                "terms": {
                    "field": field,
                    "size": int(size),
                    "order": [{"_count": "desc"}, {"_key": "asc"}],
                }
            }
        }
        body = self._search("terms", query=self._query(query, start, end), size=0, aggs=aggs)
        return [(_key(b), int(b["doc_count"])) for b in body["aggregations"]["top"]["buckets"]]

    def cardinality(
        self,
        field: str,
        *,
        query: str = "*",
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> int:
        """Distinct values of ``field``: exact up to 40 000, approximate above (ES HyperLogLog++)."""
        aggs = {"distinct": {"cardinality": {"field": field, "precision_threshold": CARDINALITY_PRECISION}}}
        body = self._search("cardinality", query=self._query(query, start, end), size=0, aggs=aggs)
        return int(body["aggregations"]["distinct"]["value"] or 0)

    def date_histogram(
        self,
        *,
        interval: str,
        query: str = "*",
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> list[tuple[dt.datetime, int]]:
        """Counts per UTC bucket, ascending, empty buckets between first and last included.

        Buckets start where the embedded store's do (a Monday, 2000-01-03): ``offset`` moves
        ES's epoch-based fixed intervals there (it matters for intervals not dividing a day).
        """
        step = parse_interval(interval)
        step_s = int(step.total_seconds())
        histogram: dict[str, Any] = {
            "field": tpl.TIMESTAMP,
            "fixed_interval": f"{step_s}s",  # ES has no fixed weeks: 1w is 604800s
            "min_doc_count": 0,
        }
        shift = int((BUCKET_ORIGIN - _EPOCH).total_seconds()) % step_s
        if shift:
            histogram["offset"] = f"+{shift}s"
        where = self._query(query, start, end)
        try:
            body = self._search(
                "date histogram", query=where, size=0, aggs={"per_bucket": {"date_histogram": histogram}}
            )
        except StoreError as exc:
            if "too_many_buckets" not in exc.message:
                raise
            # More buckets than the cluster's search.max_buckets (65 536 by default): the
            # non-empty ones only, as the embedded store answers beyond its own limit.
            histogram["min_doc_count"] = 1
            body = self._search(
                "date histogram", query=where, size=0, aggs={"per_bucket": {"date_histogram": histogram}}
            )
            counts = _bucket_counts(body)
            return sorted(counts.items())
        return fill_buckets(_bucket_counts(body), step)

    # -- integrity and lifecycle -----------------------------------------------------------

    def verify(self) -> VerifyReport:
        """No partitions to check: ES indices' integrity is the cluster's concern (replicas,
        snapshots, its own checksums); the hash-chained manifest is the embedded store's."""
        return VerifyReport(partitions=0, problems=[])

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()

    def __enter__(self) -> ElasticEventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _api_problem(exc: ApiError) -> str:
    """``status type: reason`` of an ES error answer (its root cause when there is one)."""
    info: Any = exc.body if isinstance(exc.body, dict) else {}
    error = info.get("error") if isinstance(info.get("error"), dict) else {}
    causes = error.get("root_cause") or []
    cause = causes[0] if causes and isinstance(causes[0], dict) else error
    kind = cause.get("type") or exc.error
    reason = cause.get("reason") or ""
    return f"{exc.meta.status} {kind}: {reason}".rstrip(": ")


def _key(bucket: dict[str, Any]) -> Any:
    """A terms bucket's value as the embedded store gives it (booleans, RFC 3339 dates)."""
    key = bucket["key"]
    text = bucket.get("key_as_string")
    if text is None or not isinstance(key, int):
        return key
    if text in ("true", "false"):
        return text == "true"
    return msgspec.to_builtins(_EPOCH + dt.timedelta(milliseconds=key))


_QUERY_PROBLEMS = frozenset({"query_shard_exception", "parse_exception", "parsing_exception"})


def _is_query_problem(exc: ApiError) -> bool:
    """Whether ES refused the query text itself (not a field's type or the cluster's limits)."""
    if exc.meta.status != 400:
        return False
    info: Any = exc.body if isinstance(exc.body, dict) else {}
    error = info.get("error") if isinstance(info.get("error"), dict) else {}
    kinds = {error.get("type")} | {
        c.get("type") for c in error.get("root_cause") or [] if isinstance(c, dict)
    }
    return bool(kinds & _QUERY_PROBLEMS)


def _bucket_counts(body: dict[str, Any]) -> dict[dt.datetime, int]:
    return {
        _EPOCH + dt.timedelta(milliseconds=int(b["key"])): int(b["doc_count"])
        for b in body["aggregations"]["per_bucket"]["buckets"]
    }
