"""Elasticsearch index templates, mappings and the ILM policy, generated from the ECS model.

Data streams follow Elastic's naming scheme ``logs-<dataset>-<namespace>``: the type is
``logs``, the dataset is the event's ``event.dataset`` and the namespace is the site's choice.
Only the namespace is ours to pick, so the index template claims ``logs-*-<namespace>``: every
dataset id we write lands in it without listing them. Its priority (150) is above the built-in
``logs`` template (100, pattern ``logs-*-*``), so our ECS mappings and ILM policy apply, and below
Fleet integration templates (200), so Elastic Agent data sharing the namespace keeps its own.
A namespace of its own (e.g. ``shaowang``) keeps other shippers' logs out of our searches.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec.inspect as mi

from soc_core.events import Event
from soc_core.storage.lucene import TEXT_FIELDS

ILM_POLICY = "shaowang-events"
COMPONENT_TEMPLATE = "shaowang-events-mappings"
TEMPLATE_PRIORITY = 150  # above the built-in ``logs`` template (100), below Fleet's (200)
TIMESTAMP = "@timestamp"
_NOT_DATASET = re.compile(r'[\\/*?"<>|,#:\s-]+')
NO_DATASET = "generic"  # Elastic's name for a dataset nobody named


def index_template_name(namespace: str) -> str:
    """Our index template's name for ``namespace``."""
    return f"shaowang-events-{namespace}"


def index_pattern(namespace: str) -> str:
    """The data streams of ``namespace`` (searched, and claimed by our template)."""
    return f"logs-*-{namespace}"


def stream_name(dataset: str | None, namespace: str) -> str:
    """``logs-<dataset>-<namespace>``; characters ES refuses in names (and ``-``) become ``_``."""
    clean = _NOT_DATASET.sub("_", (dataset or "").lower()).strip("._") or NO_DATASET
    return f"logs-{clean[:100]}-{namespace}"


def check_namespace(namespace: str) -> str:
    """A namespace ES accepts: lower case, no ``-`` and none of the characters names refuse."""
    if not namespace or namespace != namespace.lower() or _NOT_DATASET.search(namespace):
        raise ValueError(f"namespace {namespace!r}: lower case, without '-', spaces or \\/*?\"<>|,#:")
    return namespace


#: Suffix of the lower-cased twin of every keyword field. Sigma matches strings without regard
#: to case and pySigma's Elasticsearch backends do not: hunts query ``<field>.ci`` with
#: lower-cased values (detectors.sigma.pipeline.shaowang_ecs_elastic). Index only, no doc values.
CASE_INSENSITIVE_SUFFIX = ".ci"
KEYWORD: dict[str, Any] = {
    "type": "keyword",
    "fields": {
        "ci": {"type": "keyword", "normalizer": "lowercase", "doc_values": False, "ignore_above": 8191}
    },
}


def exact_fields() -> frozenset[str]:
    """ECS fields that are not plain keywords (ip, numbers, dates, text, not indexed): no ``.ci`` twin."""
    out: set[str] = set()

    def walk(props: dict[str, Any], prefix: str) -> None:
        for name, mapping in props.items():
            if "properties" in mapping:
                walk(mapping["properties"], f"{prefix}{name}.")
            elif "ci" not in mapping.get("fields", {}):
                out.add(prefix + name)

    walk(mappings()["properties"], "")
    return frozenset(out)


def _leaf(name: str, t: mi.Type) -> dict[str, Any] | None:
    if isinstance(t, mi.UnionType):
        inner = [x for x in t.types if not isinstance(x, mi.NoneType)]
        return _leaf(name, inner[0]) if len(inner) == 1 else dict(KEYWORD)
    if isinstance(t, mi.ListType):
        return _leaf(name, t.item_type)
    if isinstance(t, mi.StructType):
        return {"properties": _properties(name + ".", t)}
    if isinstance(t, mi.DictType):
        return {"type": "object", "dynamic": True}  # labels, structured data: keywords by template
    if isinstance(t, mi.StrType):
        if name == "event.original":  # kept for the record, as ECS: never searched, never aggregated
            return {"type": "keyword", "index": False, "doc_values": False}
        if name in TEXT_FIELDS:
            return {"type": "text"}
        if name.endswith(".ip") or name == "related.ip":
            return {"type": "ip"}
        return dict(KEYWORD)
    if isinstance(t, mi.BoolType):
        return {"type": "boolean"}
    if isinstance(t, mi.IntType):
        return {"type": "long"}
    if isinstance(t, mi.FloatType):
        return {"type": "double"}
    if isinstance(t, mi.DateTimeType):
        # date_nanos keeps @timestamp's microseconds, so time windows cut where the embedded
        # store cuts them (``date`` would round to milliseconds).
        return {"type": "date_nanos" if name == TIMESTAMP else "date"}
    return None


def _properties(prefix: str, struct: mi.StructType) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in struct.fields:
        if prefix == "" and f.name == "extra":
            continue  # vendor fields are merged into the document's top level: dynamic keywords
        mapping = _leaf(prefix + f.encode_name, f.type)
        if mapping is not None:
            out[f.encode_name] = mapping
    return out


def mappings() -> dict[str, Any]:
    """ECS mappings of ``Event``; vendor and label fields become keywords as they appear."""
    root = mi.type_info(Event)
    assert isinstance(root, mi.StructType)
    return {
        "dynamic": True,
        "dynamic_templates": [
            {
                "strings_as_keyword": {
                    "match_mapping_type": "string",
                    "mapping": {**KEYWORD, "ignore_above": 8191},
                }
            }
        ],
        "properties": _properties("", root),
    }


def ilm_policy(retention_days: int) -> dict[str, Any]:
    """Roll over daily (or at 50 GB a shard); delete a backing index ``retention_days`` after rollover."""
    return {
        "phases": {
            "hot": {"actions": {"rollover": {"max_age": "1d", "max_primary_shard_size": "50gb"}}},
            "delete": {"min_age": f"{retention_days}d", "actions": {"delete": {}}},
        },
        "_meta": {"managed_by": "shaowang"},
    }


def component_template() -> dict[str, Any]:
    """Settings and mappings shared by every namespace's index template."""
    return {"settings": {"index.lifecycle.name": ILM_POLICY}, "mappings": mappings()}


def index_template(namespace: str) -> dict[str, Any]:
    """Keyword arguments of ``indices.put_index_template`` for ``namespace``."""
    return {
        "index_patterns": [index_pattern(namespace)],
        "data_stream": {},
        "priority": TEMPLATE_PRIORITY,
        "composed_of": [COMPONENT_TEMPLATE],
        "meta": {"managed_by": "shaowang"},
    }
