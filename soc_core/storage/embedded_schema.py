"""Arrow schema derived from the ECS ``Event`` model, and decoding of segment payloads.

The schema is built from the msgspec struct types, so a column's type never drifts between
sealed files. Payloads are NDJSON of msgspec-encoded ``Event`` structs (``extra`` nested under
its own key); ``pyarrow.json`` parses them in C++, and only lines carrying dynamic keys
(``extra``, ``labels``) are touched in Python. Dynamic leaves become VARCHAR columns (non-string
leaves JSON-encoded) so files never disagree on a type.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from typing import Any

import msgspec
import msgspec.inspect as mi
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from soc_core.errors import InvalidEventError
from soc_core.events import Event

TIMESTAMP = "@timestamp"
TS_TYPE = pa.timestamp("us", tz="UTC")
_DYNAMIC_KEYS = ("extra", "labels")
_DYNAMIC_MARKERS = (b'"extra":{', b'"labels":{')


def iso_utc(value: dt.datetime) -> str:
    """Fixed-width RFC 3339 UTC text (microseconds always present, so it sorts as time)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _arrow_type(t: mi.Type) -> pa.DataType | None:
    """Arrow type of a msgspec type; None for dynamic (dict/Any) fields handled separately."""
    if isinstance(t, mi.UnionType):
        inner = [x for x in t.types if not isinstance(x, mi.NoneType)]
        return _arrow_type(inner[0]) if len(inner) == 1 else pa.string()
    if isinstance(t, mi.StrType):
        return pa.string()
    if isinstance(t, mi.BoolType):
        return pa.bool_()
    if isinstance(t, mi.IntType):
        return pa.int64()
    if isinstance(t, mi.FloatType):
        return pa.float64()
    if isinstance(t, mi.DateTimeType):
        return TS_TYPE
    if isinstance(t, mi.ListType):
        item = _arrow_type(t.item_type)
        return pa.list_(item if item is not None else pa.string())
    if isinstance(t, mi.StructType):
        fields = []
        for f in t.fields:
            ft = _arrow_type(f.type)
            if ft is not None:
                fields.append(pa.field(f.encode_name, ft))
        return pa.struct(fields)
    return None


def _nested_schema() -> pa.Schema:
    root = _arrow_type(mi.type_info(Event))
    assert isinstance(root, pa.StructType)
    return pa.schema([root.field(i) for i in range(root.num_fields)])


NESTED_SCHEMA: pa.Schema = _nested_schema()


def _flat_fields(prefix: str, typ: pa.DataType, out: list[pa.Field]) -> None:
    if isinstance(typ, pa.StructType):
        for i in range(typ.num_fields):
            child = typ.field(i)
            _flat_fields(f"{prefix}.{child.name}", child.type, out)
    else:
        out.append(pa.field(prefix, typ))


def _flat_schema() -> pa.Schema:
    out: list[pa.Field] = []
    for field in NESTED_SCHEMA:
        _flat_fields(field.name, field.type, out)
    return pa.schema(out)


FLAT_SCHEMA: pa.Schema = _flat_schema()
ECS_COLUMNS: frozenset[str] = frozenset(FLAT_SCHEMA.names)


_EMPTY = FLAT_SCHEMA.empty_table()
_EMPTY_TIMES = _EMPTY.select([TIMESTAMP])


def empty_table() -> pa.Table:
    """A zero-row table with every ECS column: keeps the query view's columns stable.

    Built once: Arrow tables are immutable, and every query's snapshot asks for one."""
    return _EMPTY


def flatten_table(table: pa.Table) -> pa.Table:
    """Flatten struct columns to dotted names until none is left."""
    while any(isinstance(f.type, pa.StructType) for f in table.schema):
        table = table.flatten()
    return table


def _leaf_text(value: Any) -> str:
    return value if isinstance(value, str) else msgspec.json.encode(value).decode()


def _flatten_dynamic(node: dict[str, Any], prefix: str, out: dict[str, str]) -> None:
    for key, value in node.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            _flatten_dynamic(value, name + ".", out)
        elif value is not None:
            out[name] = _leaf_text(value)


def dynamic_columns(doc: dict[str, Any]) -> dict[str, str]:
    """Dotted VARCHAR leaves of ``labels`` and ``extra`` in a decoded msgspec Event line."""
    out: dict[str, str] = {}
    labels = doc.get("labels")
    if isinstance(labels, dict):
        _flatten_dynamic(labels, "labels.", out)
    extra = doc.get("extra")
    if isinstance(extra, dict):
        flat: dict[str, str] = {}
        _flatten_dynamic(extra, "", flat)
        for name, value in flat.items():
            # A vendor key spelling an ECS column must not change that column's type.
            out[f"extra.{name}" if name in ECS_COLUMNS else name] = value
    return out


def _read_ndjson(data: bytes) -> pa.Table:
    opts = pj.ParseOptions(explicit_schema=NESTED_SCHEMA, unexpected_field_behavior="ignore")
    block = max(4 << 20, min(len(data) // 4 + 1, 64 << 20))
    try:
        return pj.read_json(
            io.BytesIO(data), read_options=pj.ReadOptions(block_size=block), parse_options=opts
        )
    except pa.ArrowInvalid as exc:
        if "straddling" not in str(exc) and "block size" not in str(exc).lower():
            raise
        # A single line larger than the block: parse the payload as one block.
        big = pj.ReadOptions(block_size=len(data) + 1, use_threads=False)
        return pj.read_json(io.BytesIO(data), read_options=big, parse_options=opts)


def _repair_lines(lines: list[bytes]) -> list[bytes]:
    """Re-encode lines through the Event model (lenient); unusable lines become error events.

    Only used when the C++ parser rejects a payload, e.g. an Event built in code with a string
    port: nothing acknowledged may be dropped, so the raw line is kept in ``event.original``.
    """
    out: list[bytes] = []
    for line in lines:
        try:
            doc = msgspec.json.decode(line)
            if not isinstance(doc, dict):
                raise InvalidEventError("not a JSON object")
            extra = doc.pop("extra", None)
            if isinstance(extra, dict):
                for key, value in extra.items():
                    doc.setdefault(key, value)
            out.append(msgspec.json.encode(Event.from_dict(doc)))
        except (InvalidEventError, msgspec.MsgspecError, TypeError, ValueError) as exc:
            ts = _guess_timestamp(line)
            doc = {
                TIMESTAMP: ts,
                "event": {"kind": "pipeline_error", "original": line.decode("utf-8", "replace")},
                "error": {"type": "store_decode", "message": str(exc)[:500]},
            }
            out.append(msgspec.json.encode(doc))
    return out


def _guess_timestamp(line: bytes) -> str:
    try:
        doc = msgspec.json.decode(line)
        value = doc.get(TIMESTAMP) if isinstance(doc, dict) else None
        if isinstance(value, str):
            msgspec.convert(value, dt.datetime)
            return value
    except (msgspec.MsgspecError, TypeError, ValueError):
        pass
    return "1970-01-01T00:00:00Z"


def decode_payloads(payloads: Iterable[bytes]) -> pa.Table:
    """Decode frame payloads into one flat table typed by :data:`FLAT_SCHEMA` (+ dynamic VARCHARs)."""
    data = b"".join(payloads)
    if not data:
        return empty_table()
    try:
        nested = _read_ndjson(data)
    except pa.ArrowInvalid:
        lines = [ln for ln in data.split(b"\n") if ln]
        data = b"\n".join(_repair_lines(lines)) + b"\n"
        nested = _read_ndjson(data)
    table = flatten_table(nested)
    if any(m in data for m in _DYNAMIC_MARKERS):
        table = _add_dynamic(table, data)
    return drop_null_columns(table)


class _DynamicPart(msgspec.Struct):
    """Only the free-form parts of an encoded event; msgspec skips the rest unparsed."""

    extra: dict[str, Any] | None = None
    labels: dict[str, Any] | None = None


_dynamic_decoder = msgspec.json.Decoder(_DynamicPart)


def _add_dynamic(table: pa.Table, data: bytes) -> pa.Table:
    columns: dict[str, list[str | None]] = {}
    n = table.num_rows
    row = 0
    for line in data.split(b"\n"):
        if not line:
            continue
        if b'"extra":{' in line or b'"labels":{' in line:
            part = _dynamic_decoder.decode(line)
            for name, value in dynamic_columns({"extra": part.extra, "labels": part.labels}).items():
                col = columns.get(name)
                if col is None:
                    col = columns[name] = [None] * n
                col[row] = value
        row += 1
    for name in sorted(columns):
        table = table.append_column(pa.field(name, pa.string()), pa.array(columns[name], pa.string()))
    return table


def drop_null_columns(table: pa.Table) -> pa.Table:
    """Remove all-null columns (except @timestamp): files stay narrow, the view adds them back."""
    keep = [
        i
        for i, col in enumerate(table.columns)
        if col.null_count < len(col) or table.field(i).name == TIMESTAMP
    ]
    if len(keep) == table.num_columns:
        return table
    return table.select(keep)


def conform(table: pa.Table) -> pa.Table:
    """Cast columns to the canonical types (ECS from the model, everything else VARCHAR)."""
    cols = []
    fields = []
    for i, field in enumerate(table.schema):
        want = FLAT_SCHEMA.field(field.name).type if field.name in ECS_COLUMNS else pa.string()
        col = table.column(i)
        if not col.type.equals(want):
            col = pc.cast(col, want)
        cols.append(col)
        fields.append(pa.field(field.name, want))
    return pa.Table.from_arrays(cols, schema=pa.schema(fields))


def concat(tables: list[pa.Table]) -> pa.Table:
    """Concatenate tables whose column sets differ (missing columns become nulls)."""
    tables = [t for t in tables if t.num_rows]
    if not tables:
        return _EMPTY_TIMES
    if len(tables) == 1:
        return tables[0]
    return pa.concat_tables(tables, promote_options="permissive")
