"""The whole-network threat graph (DESIGN §7): observed flows, assets, zones and decaying risk."""

from soc_core.graph.model import EdgeKey, FlowObservation, NodeInfo, ThreatGraph
from soc_core.graph.queries import (
    BlastEdge,
    BlastRadius,
    EdgeStats,
    Hop,
    Neighbour,
    NodeSummary,
    ObservedPath,
    ServiceStats,
    Talker,
)
from soc_core.graph.store import GraphFileError

__all__ = [
    "BlastEdge",
    "BlastRadius",
    "EdgeKey",
    "EdgeStats",
    "FlowObservation",
    "GraphFileError",
    "Hop",
    "Neighbour",
    "NodeInfo",
    "NodeSummary",
    "ObservedPath",
    "ServiceStats",
    "Talker",
    "ThreatGraph",
]
