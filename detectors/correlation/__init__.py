"""Sigma correlation rules (``event_count``, ``value_count``, ``temporal``, ``temporal_ordered``).

The streaming Sigma engine sends every match of a base rule that some correlation references
(:meth:`CorrelationEngine.referenced`) as a :class:`BaseMatch`; :meth:`CorrelationEngine.observe`
returns the correlations it completes. Semantics, per the Sigma correlation specification v2:

* **Groups.** One window per (correlation rule, group-by values). Values come from the event's
  flat ECS fields; aliases pick, per referenced rule, the field that carries the group value. A
  missing field groups as null; a list-valued field groups by the whole list.
* **Window edges.** Windows slide on event time. An event at ``t`` is evaluated with the events of
  its group in ``(t - timespan, t]``: events exactly ``timespan`` apart are never in one window,
  events one second closer are. Events arriving out of order are inserted in time order; one
  older than the window of its group's newest event is dropped.
* **Counts.** ``event_count`` counts events (one event matched by two referenced rules counts
  once); ``value_count`` counts distinct non-null values of ``condition.field``, each element of a
  list-valued field being a value; ``temporal`` counts the distinct referenced rules matched (by
  default all of them are required), an extended condition (``a and not b``) is evaluated over
  the set matched so far; ``temporal_ordered`` counts how many of the referenced rules matched one
  after another in the listed order (events of the same instant are ordered by arrival).
* **When it fires.** ``gte``/``gt`` conditions (and extended temporal conditions) are checked on
  each event and fire as soon as they hold. The window is then emptied, as SIEM threshold rules
  do: ``gte: 5`` fires on the 5th event and next on the 5th event after that, never twice for
  the same events. ``lt``/``lte``/``eq``/``neq`` can only be decided once a window is over, so
  those rules use consecutive windows of ``timespan`` starting at the first event of a group,
  evaluated when a later event of the group falls past the window's end or when
  :meth:`CorrelationEngine.expire` passes it.
* **Chaining.** A correlation rule may reference another one: each firing of the inner rule is
  fed to the outer as a match at its ``last_seen`` time, with the triggering event's fields
  plus the group values.
* **Bounds.** A window keeps at most ``max_window_events`` events (the newest; ``event_count``
  thresholds above it are refused), a temporal window at most ``max_per_rule`` matches per
  referenced rule (the newest: they are the ones later events can still complete), a rule at
  most ``max_groups`` groups (the least recently fed goes first), and ``expire(now)`` drops
  windows no event at or after ``now`` can complete.
* **Restarts.** :meth:`CorrelationEngine.snapshot` / :meth:`CorrelationEngine.restore` carry all
  window state as versioned JSON; a rule whose definition changed meanwhile starts empty.
"""

from detectors.correlation.engine import SNAPSHOT_VERSION, CorrelationEngine
from detectors.correlation.models import (
    BaseMatch,
    CorrelationFiring,
    UnsupportedCorrelation,
)

__all__ = [
    "SNAPSHOT_VERSION",
    "BaseMatch",
    "CorrelationEngine",
    "CorrelationFiring",
    "UnsupportedCorrelation",
]
