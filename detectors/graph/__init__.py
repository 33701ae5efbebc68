"""The whole-network threat graph (DESIGN §7): observed flows, assets, zones and decaying risk;
``observations`` turns event batches into what the graph folds in."""

from detectors.graph.model import EdgeKey, FlowObservation, NodeInfo, ThreatGraph
from detectors.graph.queries import (
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
from detectors.graph.store import GraphFileError

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
