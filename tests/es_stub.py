"""A local Elasticsearch 8 wire-protocol stub: a real HTTP server on 127.0.0.1.

It answers the requests ``ElasticEventStore`` makes the way Elasticsearch 8 does (product
header, compatibility content type, bulk item statuses, search and aggregation bodies) and
records every request so tests can assert exactly what was sent. Queries are evaluated for
real: the ``query_string`` text with our Lucene compiler over an in-memory DuckDB table of the
stored documents, typed by the mappings the store installed (``event.original`` is not
indexed, as there). It refuses request shapes the store is not supposed to send.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import ipaddress
import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import duckdb

from soc_core.events import flatten
from soc_core.storage.lucene import compile_query, register_functions

PRODUCT_HEADERS = {
    "X-Elastic-Product": "Elasticsearch",
    "Content-Type": "application/vnd.elasticsearch+json;compatible-with=8",
}
VERSION = "8.15.3"
_STREAM = re.compile(r"^logs-[^-]+-[^-]+$")
_DUCK_TYPES = {
    "keyword": "VARCHAR",
    "ip": "VARCHAR",
    "text": "VARCHAR",
    "long": "BIGINT",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "TIMESTAMPTZ",
    "date_nanos": "TIMESTAMPTZ",
}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass
class Request:
    """One request as the stub received it."""

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)

    def ndjson(self) -> list[Any]:
        """The body as NDJSON lines."""
        return [json.loads(line) for line in self.body.splitlines() if line.strip()]


class _Refused(Exception):
    def __init__(self, status: int, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.kind, self.reason = status, kind, reason


@dataclass
class EsStub:
    """The stub's state: installed templates, stored documents and recorded requests."""

    requests: list[Request] = field(default_factory=list)
    policies: dict[str, Any] = field(default_factory=dict)
    component_templates: dict[str, Any] = field(default_factory=dict)
    index_templates: dict[str, Any] = field(default_factory=dict)
    streams: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    bulk_failures: list[int] = field(default_factory=list)  # statuses for the next _bulk calls
    # _id -> (item status, error type); a 429/503 is answered once, others every time
    item_failures: dict[str, tuple[int, str]] = field(default_factory=dict)
    product_header: bool = True  # without it the official client refuses to go on
    max_buckets: int = 65536  # ES's search.max_buckets default
    lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _ids: Iterator[int] = field(default_factory=lambda: iter(range(1, 1 << 62)))
    conflicts: int = 0  # create operations refused because the _id was already stored
    version: int = 0  # bumped by every write and template change: the search table is rebuilt
    _table: tuple[Any, duckdb.DuckDBPyConnection, dict[str, str]] | None = None
    held: int = 0  # _bulk requests waiting in hold_bulks()
    _gate: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> EsStub:
        """Listen on a random port in a background thread."""
        stub = self
        self._gate.set()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: tests read stub.requests instead

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urllib.parse.urlsplit(self.path)
                req = Request(
                    self.command,
                    urllib.parse.unquote(url.path),
                    dict(urllib.parse.parse_qsl(url.query)),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                if req.path.endswith("/_bulk") and not stub._gate.is_set():
                    with stub.lock:
                        stub.held += 1
                    stub._gate.wait()  # outside the lock: other requests go on
                with stub.lock:
                    stub.requests.append(req)
                    try:
                        status, answer = stub.handle(req)
                    except _Refused as exc:
                        status = exc.status
                        error = {"type": exc.kind, "reason": exc.reason}
                        answer = {"error": {"root_cause": [error], **error}, "status": exc.status}
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    for name, value in PRODUCT_HEADERS.items():
                        if stub.product_header or name != "X-Elastic-Product":
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client is gone (killed): nobody to answer

            do_GET = do_PUT = do_POST = do_DELETE = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="es-stub", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def hold_bulks(self) -> None:
        """Keep every ``_bulk`` request (read whole, not answered) until :meth:`release_bulks`:
        a client killed meanwhile has sent its documents but never learns they were stored."""
        self._gate.clear()

    def release_bulks(self) -> None:
        """Answer the held ``_bulk`` requests and stop holding."""
        self._gate.set()

    def reset_requests(self) -> None:
        """Forget the requests recorded so far."""
        with self.lock:
            self.requests.clear()

    def fail_next_bulk(self, times: int, status: int = 429) -> None:
        """Answer the next ``times`` ``_bulk`` calls with ``status`` (backpressure)."""
        with self.lock:
            self.bulk_failures.extend([status] * times)

    def documents(self) -> list[dict[str, Any]]:
        """Every stored document."""
        with self.lock:
            return [doc for stream in self.streams.values() for doc in stream.values()]

    # -- routes ----------------------------------------------------------------------------

    def handle(self, req: Request) -> tuple[int, Any]:
        parts = [p for p in req.path.split("/") if p]
        if req.method == "GET" and not parts:
            return 200, {
                "name": "stub",
                "cluster_name": "shaowang-test",
                "version": {"number": VERSION, "build_flavor": "default", "lucene_version": "9.11.1"},
                "tagline": "You Know, for Search",
            }
        if req.method == "PUT" and parts[:2] == ["_ilm", "policy"] and len(parts) == 3:
            self.policies[parts[2]] = req.json()["policy"]
            return 200, {"acknowledged": True}
        if req.method == "PUT" and parts[0] == "_component_template" and len(parts) == 2:
            self.component_templates[parts[1]] = req.json()
            self.version += 1
            return 200, {"acknowledged": True}
        if req.method == "PUT" and parts[0] == "_index_template" and len(parts) == 2:
            self.index_templates[parts[1]] = req.json()
            self.version += 1
            return 200, {"acknowledged": True}
        if req.method in ("POST", "PUT") and parts == ["_bulk"]:
            return self.bulk(req)
        if req.method in ("POST", "GET") and len(parts) == 2 and parts[1] == "_refresh":
            return 200, {"_shards": {"total": 1, "successful": 1, "failed": 0}}
        if req.method in ("POST", "GET") and len(parts) == 2 and parts[1] in ("_search", "_count"):
            docs = self.matching_docs(parts[0], req)
            if parts[1] == "_count":
                return 200, {"count": len(docs), "_shards": {"total": 1, "successful": 1, "failed": 0}}
            return 200, self.search(req.json(), docs)
        raise _Refused(404, "stub_unsupported", f"{req.method} {req.path} is not something we send")

    def bulk(self, req: Request) -> tuple[int, Any]:
        content_type = req.headers.get("content-type", "")
        if "x-ndjson" not in content_type:
            raise _Refused(406, "illegal_argument_exception", f"bulk content type {content_type}")
        if self.bulk_failures:
            status = self.bulk_failures.pop(0)
            raise _Refused(status, "es_rejected_execution_exception", "rejected execution (stub)")
        if not req.body.endswith(b"\n"):
            raise _Refused(400, "illegal_argument_exception", "bulk body must end with a newline")
        lines = req.body.split(b"\n")[:-1]
        if len(lines) % 2:
            raise _Refused(400, "illegal_argument_exception", "action without a document line")
        items: list[dict[str, Any]] = []
        for action_line, doc_line in zip(lines[::2], lines[1::2], strict=True):
            action = json.loads(action_line)
            if list(action) != ["create"]:
                raise _Refused(400, "illegal_argument_exception", f"data streams take create only: {action}")
            meta = action["create"]
            index = meta.get("_index", "")
            if not _STREAM.match(index) or not self.template_for(index):
                raise _Refused(400, "illegal_argument_exception", f"no data stream template for {index}")
            doc = json.loads(doc_line)
            if not isinstance(doc, dict) or "@timestamp" not in doc:
                raise _Refused(400, "illegal_argument_exception", "document without @timestamp")
            stream = self.streams.setdefault(index, {})
            doc_id = str(meta.get("_id") or f"auto-{next(self._ids)}")
            if doc_id in self.item_failures:
                status, kind = self.item_failures[doc_id]
                if status in (429, 503):  # backpressure passes: the retried item is accepted
                    del self.item_failures[doc_id]
                error = {"type": kind, "reason": f"document [{doc_id}] refused (stub)"}
                items.append({"create": {"_index": index, "_id": doc_id, "status": status, "error": error}})
                continue
            if doc_id in stream:
                self.conflicts += 1
                items.append(
                    {
                        "create": {
                            "_index": index,
                            "_id": doc_id,
                            "status": 409,
                            "error": {
                                "type": "version_conflict_engine_exception",
                                "reason": f"[{doc_id}]: version conflict, document already exists",
                            },
                        }
                    }
                )
                continue
            stream[doc_id] = doc
            self.version += 1
            items.append({"create": {"_index": index, "_id": doc_id, "status": 201, "result": "created"}})
        errors = any(i["create"]["status"] >= 300 for i in items)
        return 200, {"took": 1, "errors": errors, "items": items}

    def template_for(self, index: str) -> dict[str, Any] | None:
        """The highest-priority installed index template matching ``index``."""
        found = [
            t
            for t in self.index_templates.values()
            if any(fnmatch.fnmatchcase(index, p) for p in t.get("index_patterns", []))
        ]
        return max(found, key=lambda t: t.get("priority", 0), default=None)

    # -- query evaluation ------------------------------------------------------------------

    def field_types(self) -> dict[str, dict[str, Any]]:
        """Dotted field name → mapping, from the installed component templates."""
        out: dict[str, dict[str, Any]] = {}

        def walk(props: dict[str, Any], prefix: str) -> None:
            for name, mapping in props.items():
                if "properties" in mapping:
                    walk(mapping["properties"], f"{prefix}{name}.")
                else:
                    out[prefix + name] = mapping

        for template in self.component_templates.values():
            walk(template.get("template", {}).get("mappings", {}).get("properties", {}), "")
        return out

    def dynamic_string_mapping(self) -> dict[str, Any]:
        """The mapping the installed dynamic template gives a new string field."""
        for template in self.component_templates.values():
            mappings = template.get("template", {}).get("mappings", {})
            for entry in mappings.get("dynamic_templates", []):
                for rule in entry.values():
                    if rule.get("match_mapping_type") == "string":
                        return dict(rule["mapping"])
        return {"type": "keyword"}

    def matching_docs(self, pattern: str, req: Request) -> list[dict[str, Any]]:
        body = req.json() if req.body else {}
        query = body.get("query")
        if not isinstance(query, dict) or list(query) != ["bool"] or list(query["bool"]) != ["filter"]:
            raise _Refused(400, "parsing_exception", f"expected bool.filter, got {query}")
        filters = query["bool"]["filter"]
        strings = [f["query_string"] for f in filters if "query_string" in f]
        ranges = [f["range"] for f in filters if "range" in f]
        if len(strings) != 1 or len(ranges) > 1 or len(strings) + len(ranges) != len(filters):
            raise _Refused(400, "parsing_exception", f"unexpected filters {filters}")
        qs = strings[0]
        if sorted(qs) != ["default_operator", "fields", "lenient", "query"]:
            raise _Refused(400, "parsing_exception", f"unexpected query_string {qs}")
        docs = [
            doc
            for index, stream in self.streams.items()
            if any(fnmatch.fnmatchcase(index, p) for p in pattern.split(","))
            for doc in stream.values()
        ]
        window: dict[str, Any] = {}
        if ranges:
            if list(ranges[0]) != ["@timestamp"]:
                raise _Refused(400, "parsing_exception", f"range on {list(ranges[0])}")
            window = ranges[0]["@timestamp"]
            if not set(window) <= {"gte", "lt", "format"}:
                raise _Refused(400, "parsing_exception", f"range {window}")
        return self.evaluate(docs, qs["query"], window)

    def evaluate(
        self, docs: list[dict[str, Any]], query: str, window: dict[str, Any]
    ) -> list[dict[str, Any]]:
        key = (self.version, tuple(id(doc) for doc in docs))
        if self._table is None or self._table[0] != key:
            if self._table is not None:
                self._table[1].close()
            con, columns = self._build_table(docs)
            self._table = (key, con, columns)
        _key, con, columns = self._table
        flt = compile_query(query, columns) if query.strip() != "*" else None
        clauses, params = ([f"({flt.sql})"], list(flt.params)) if flt else ([], [])
        if "gte" in window or "lt" in window:
            if "@timestamp" not in columns:
                return []
            for bound, op in (("gte", ">="), ("lt", "<")):
                if bound in window:
                    clauses.append(f'"@timestamp" {op} ?')
                    params.append(_time(window[bound]))
        where = " AND ".join(clauses) or "TRUE"
        hits = con.execute(f'SELECT "__i" FROM events WHERE {where}', params).fetchall()
        return [docs[int(i)] for (i,) in hits]

    def _build_table(self, docs: list[dict[str, Any]]) -> tuple[duckdb.DuckDBPyConnection, dict[str, str]]:
        """The documents as a DuckDB table typed by the installed mappings (kept until a write)."""
        types = self.field_types()
        dynamic = self.dynamic_string_mapping()
        flats = [flatten(doc) for doc in docs]
        columns: dict[str, str] = {}
        lists: set[str] = set()
        for flat in flats:
            for name, value in list(flat.items()):
                mapping = types.get(name, dynamic)
                if mapping.get("index") is False:
                    continue  # not indexed: ES cannot search it
                columns[name] = _DUCK_TYPES.get(mapping.get("type", "keyword"), "VARCHAR")
                if isinstance(value, list):
                    lists.add(name)
                twin = mapping.get("fields", {}).get("ci")
                if twin is not None and twin.get("normalizer") == "lowercase":  # a multi-field
                    flat[name + ".ci"] = (
                        [str(v).lower() for v in value] if isinstance(value, list) else str(value).lower()
                    )
                    columns[name + ".ci"] = "VARCHAR"
                    if isinstance(value, list):
                        lists.add(name + ".ci")
        for name in lists:
            columns[name] += "[]"
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        register_functions(con)
        names = sorted(columns)
        defs = ", ".join(['"__i" BIGINT', *(f"{_ident(n)} {columns[n]}" for n in names)])
        con.execute(f"CREATE TABLE events ({defs})")
        rows = [[i, *(_cell(flat.get(n), columns[n]) for n in names)] for i, flat in enumerate(flats)]
        if rows:
            con.executemany(f"INSERT INTO events VALUES ({', '.join('?' * (len(names) + 1))})", rows)
        return con, columns

    def search(self, body: dict[str, Any], docs: list[dict[str, Any]]) -> dict[str, Any]:
        size = int(body.get("size", 10))
        answer: dict[str, Any] = {"took": 1, "timed_out": False, "hits": {"hits": []}}
        if size:
            answer["hits"]["hits"] = [
                {"_index": "stub", "_id": (doc.get("event") or {}).get("id"), "_source": doc}
                for doc in self.sorted_docs(body.get("sort"), docs)[:size]
            ]
        if "aggs" in body:
            answer["aggregations"] = {name: self.aggregate(agg, docs) for name, agg in body["aggs"].items()}
        return answer

    def sorted_docs(self, sort: Any, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if sort is None:
            return docs
        out = list(docs)
        for clause in reversed(sort):  # stable sorts, last key first
            ((name, spec),) = clause.items()
            descending = spec.get("order") == "desc"
            present = [d for d in out if flatten(d).get(name) is not None]
            missing = [d for d in out if flatten(d).get(name) is None]

            def key(doc: dict[str, Any], name: str = name) -> Any:
                value = flatten(doc)[name]
                return _time(value) if name == "@timestamp" else value

            out = sorted(present, key=key, reverse=descending) + missing  # missing: _last
        return out

    def aggregate(self, agg: dict[str, Any], docs: list[dict[str, Any]]) -> dict[str, Any]:
        ((kind, spec),) = agg.items()
        types = self.field_types()
        if kind == "terms":
            mapping = self._aggregatable(spec["field"], types)
            counts: dict[Any, int] = {}
            for value in _values(docs, spec["field"]):
                counts[value] = counts.get(value, 0) + 1
            if spec.get("order") != [{"_count": "desc"}, {"_key": "asc"}]:
                raise _Refused(400, "parsing_exception", f"terms order {spec.get('order')}")
            kind_of = mapping.get("type", "keyword")

            def order(item: tuple[Any, int]) -> Any:
                value = item[0]
                if kind_of == "ip":
                    return (-item[1], ipaddress.ip_address(value).packed.rjust(16, b"\0"))
                return (-item[1], value)

            ranked = sorted(counts.items(), key=order)
            size = int(spec.get("size", 10))
            buckets = [_bucket(value, n, kind_of) for value, n in ranked[:size]]
            other = sum(n for _, n in ranked[size:])
            return {"doc_count_error_upper_bound": 0, "sum_other_doc_count": other, "buckets": buckets}
        if kind == "cardinality":
            self._aggregatable(spec["field"], types)
            if spec.get("precision_threshold") != 40000:
                raise _Refused(400, "parsing_exception", "expected precision_threshold 40000")
            return {"value": len(set(_values(docs, spec["field"])))}
        if kind == "date_histogram":
            step = _seconds(spec["fixed_interval"]) * 1000
            offset = _seconds(spec["offset"].lstrip("+")) * 1000 if "offset" in spec else 0
            counts_at: dict[int, int] = {}
            for doc in docs:
                ms = int((_time(doc["@timestamp"]) - _EPOCH) / dt.timedelta(milliseconds=1))
                key = (ms - offset) // step * step + offset
                counts_at[key] = counts_at.get(key, 0) + 1
            keys = sorted(counts_at)
            if keys and spec.get("min_doc_count") == 0:
                keys = list(range(keys[0], keys[-1] + step, step))
            if len(keys) > self.max_buckets:
                raise _Refused(
                    400,
                    "too_many_buckets_exception",
                    f"Trying to create too many buckets. Must be less than or equal to: [{self.max_buckets}]",
                )
            return {
                "buckets": [
                    {"key_as_string": _iso_ms(k), "key": k, "doc_count": counts_at.get(k, 0)} for k in keys
                ]
            }
        raise _Refused(400, "parsing_exception", f"unknown aggregation [{kind}]")

    @staticmethod
    def _aggregatable(name: str, types: dict[str, dict[str, Any]]) -> dict[str, Any]:
        mapping = types.get(name, {"type": "keyword"})
        if mapping.get("type") == "text" or mapping.get("doc_values") is False:
            raise _Refused(400, "illegal_argument_exception", f"field [{name}] is not aggregatable")
        return mapping


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)


def _iso_ms(ms: int) -> str:
    return (_EPOCH + dt.timedelta(milliseconds=ms)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _cell(value: Any, duck_type: str) -> Any:
    if value is None:
        return None
    if duck_type.startswith("TIMESTAMPTZ"):
        return [_time(v) for v in value] if isinstance(value, list) else _time(value)
    if duck_type.endswith("[]") and not isinstance(value, list):
        return [value]
    if duck_type == "VARCHAR" and not isinstance(value, str):
        return json.dumps(value)
    return value


def _values(docs: list[dict[str, Any]], name: str) -> Iterator[Any]:
    for doc in docs:
        value = flatten(doc).get(name)
        for v in value if isinstance(value, list) else [value]:
            if v is not None:
                yield v


def _bucket(value: Any, n: int, kind: str) -> dict[str, Any]:
    if kind == "boolean":
        return {"key": int(value), "key_as_string": "true" if value else "false", "doc_count": n}
    if kind in ("date", "date_nanos"):
        ms = int((_time(value) - _EPOCH) / dt.timedelta(milliseconds=1))
        return {"key": ms, "key_as_string": _iso_ms(ms), "doc_count": n}
    return {"key": value, "doc_count": n}


def _seconds(text: str) -> int:
    m = re.fullmatch(r"(\d+)s", text)
    if not m:
        raise _Refused(400, "parsing_exception", f"interval {text!r}: the store sends seconds")
    return int(m[1])
