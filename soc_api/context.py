"""What the API needs from the running platform, passed explicitly to the app factory."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from soc_core.config import Settings
from soc_core.state.db import StateStore
from soc_core.storage.base import EventStore

if TYPE_CHECKING:
    from playbooks.loader import PlaybookProblem
    from playbooks.runner import PlaybookEngine
    from soc_api.runtime.graph import GraphService


@dataclass
class AppContext:
    """Dependencies of the HTTP API."""

    settings: Settings
    events: EventStore
    state: StateStore
    ingest_stats: Callable[[], dict[str, Any]] = lambda: {}
    graph: GraphService | None = None  # the running platform's network graph
    started_at: float = field(default_factory=time.time)
    demo: bool = False  # `soc run --demo`: synthetic data in its own data directory
    playbooks: PlaybookEngine | None = None  # the running playbook engine (None: responses are off)
    playbook_problems: list[PlaybookProblem] = field(default_factory=list)
