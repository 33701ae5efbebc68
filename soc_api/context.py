"""What the API needs from the running platform, passed explicitly to the app factory."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from soc_core.config import Settings
from soc_core.state.db import StateStore
from soc_core.storage.base import EventStore


@dataclass
class AppContext:
    """Dependencies of the HTTP API."""

    settings: Settings
    events: EventStore
    state: StateStore
    ingest_stats: Callable[[], dict[str, Any]] = lambda: {}
    started_at: float = field(default_factory=time.time)
