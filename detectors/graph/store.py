"""Saving and loading the threat graph: edge aggregates and the threat overlay, msgpack, columnar.

Columns rather than one record per edge: msgspec decodes a list of ints or floats in one
pass, and each address is written once (edges refer to it by index) so a loaded graph shares
one string per address instead of one per edge end. Register details are not saved; they
are asked of ``describe`` again on load, as the register may have changed meanwhile.
"""

from __future__ import annotations

import contextlib
import gc
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from soc_core.errors import ShaowangError

if TYPE_CHECKING:
    from detectors.graph.model import EdgeKey, GraphState

FORMAT = "shaowang-threat-graph"
VERSION = 1


class GraphFileError(ShaowangError):
    """A saved threat graph file that cannot be read back; ``where`` is its path."""


class GraphFile(msgspec.Struct, kw_only=True):
    """The file's content; edge columns are parallel lists, one item per edge key."""

    format: str
    version: int
    nodes: list[str]
    transports: list[str]
    src: list[int]  # index into nodes
    dst: list[int]
    port: list[int | None]
    transport: list[int]  # index into transports
    count: list[int]
    bytes: list[int]
    first_seen: list[float]
    last_seen: list[float]
    node_risk: list[tuple[str, float, float]]  # address, value, set at
    edge_risk: list[tuple[str, str, float, float]]  # source, target, value, set at


def snapshot(state: GraphState) -> GraphFile:
    """The state as fresh lists, so that encoding can run after the lock is released."""
    node_index = {ip: number for number, ip in enumerate(state.nodes)}
    transports = sorted({key[3] for key in state.edges})
    transport_index = {name: number for number, name in enumerate(transports)}
    keys = list(state.edges)
    aggregates = list(state.edges.values())
    return GraphFile(
        format=FORMAT,
        version=VERSION,
        nodes=list(state.nodes),
        transports=transports,
        src=[node_index[key[0]] for key in keys],
        dst=[node_index[key[1]] for key in keys],
        port=[key[2] for key in keys],
        transport=[transport_index[key[3]] for key in keys],
        count=[int(agg[0]) for agg in aggregates],
        bytes=[int(agg[1]) for agg in aggregates],
        first_seen=[agg[2] for agg in aggregates],
        last_seen=[agg[3] for agg in aggregates],
        node_risk=[(ip, value, at) for ip, (value, at) in state.node_risk.items()],
        edge_risk=[(src, dst, value, at) for (src, dst), (value, at) in state.edge_risk.items()],
    )


def write(path: Path, content: GraphFile) -> None:
    """Write ``content`` to ``path`` atomically: a temporary file beside it, fsync, rename."""
    path = Path(path)
    data = msgspec.msgpack.encode(content)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    # The rename itself survives a power cut only once the directory is on disk.
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _check(content: GraphFile) -> str | None:
    """Why ``content`` cannot be a graph we wrote, or None."""
    if content.format != FORMAT:
        return f"format is {content.format!r}, expected {FORMAT!r}"
    if content.version != VERSION:
        return f"version {content.version} is not supported (expected {VERSION})"
    columns = {
        name: len(getattr(content, name))
        for name in ("src", "dst", "port", "transport", "count", "bytes", "first_seen", "last_seen")
    }
    if len(set(columns.values())) > 1:
        return f"edge columns differ in length: {columns}"
    for name, table in (("src", content.nodes), ("dst", content.nodes), ("transport", content.transports)):
        column: list[int] = getattr(content, name)
        if column and (min(column) < 0 or max(column) >= len(table)):
            return f"column {name} refers past the end of its table ({len(table)} entries)"
    return None


def restore(state: GraphState, path: Path) -> None:
    """Fill an empty ``state`` from ``path``; FileNotFoundError when missing, else GraphFileError."""
    # Building millions of containers in one go triggers full collections that find nothing
    # to free (the loaded aggregates form no cycles); pausing the collector halves the load time.
    paused = gc.isenabled()
    gc.disable()
    try:
        _restore(state, path)
    finally:
        if paused:
            gc.enable()


def _restore(state: GraphState, path: Path) -> None:
    data = Path(path).read_bytes()
    try:
        content = msgspec.msgpack.decode(data, type=GraphFile)
    except msgspec.DecodeError as exc:
        raise GraphFileError(f"not a threat graph file: {exc}", where=str(path)) from None
    problem = _check(content)
    if problem is not None:
        raise GraphFileError(f"not a threat graph file: {problem}", where=str(path))

    nodes, transports = content.nodes, content.transports
    keys: list[EdgeKey] = list(
        zip(
            map(nodes.__getitem__, content.src),
            map(nodes.__getitem__, content.dst),
            content.port,
            map(transports.__getitem__, content.transport),
            strict=True,
        )
    )
    aggregates = zip(content.count, content.bytes, content.first_seen, content.last_seen, strict=True)
    state.edges = dict(zip(keys, map(list, aggregates), strict=True))
    if len(state.edges) != len(keys):
        raise GraphFileError("not a threat graph file: an edge key occurs twice", where=str(path))

    used = {ip for key in keys for ip in (key[0], key[1])}
    for ip in nodes:
        if ip in used:  # every saved address has an edge; a stray one would be a node without flows
            state.add_node(ip)
    services = state.services
    for key in keys:
        pair = (key[0], key[1])
        keys_of_pair = services.get(pair)
        if keys_of_pair is None:
            keys_of_pair = services[pair] = set()
        keys_of_pair.add(key)
    state.graph.add_edges_from((src, dst, {"services": group}) for (src, dst), group in services.items())
    state.node_risk = {ip: (value, at) for ip, value, at in content.node_risk}
    state.edge_risk = {(src, dst): (value, at) for src, dst, value, at in content.edge_risk}
