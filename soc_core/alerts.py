"""The ``Alert``: what detection raises, triage works on, and playbooks act upon."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

from soc_core.events import Endpoint, Event, EventInfo, Rule
from soc_core.vocabulary import AlertStatus, EventKind, Severity


class Alert(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One alert: the rule that fired, on which events, with the 等保 8.1.3.3 d) four.

    ``source_ip`` (attack source), ``attack_type`` (rule name / category), ``target``
    (destination ip or url) and ``timestamp`` (time of the first matching event) are the
    fields GB/T 22239-2019 8.1.3.3 d) asks to be recorded for every intrusion.
    """

    rule_id: str
    rule_name: str
    severity: Severity
    timestamp: dt.datetime
    id: str = msgspec.field(default_factory=lambda: uuid.uuid4().hex)
    tags: list[str] = msgspec.field(default_factory=list)
    gb20986_category: str | None = None
    source_ip: str | None = None
    destination_ip: str | None = None
    attack_type: str | None = None
    target: str | None = None
    event_ids: list[str] = msgspec.field(default_factory=list)
    group_key: str | None = None
    count: int = 1
    status: AlertStatus = AlertStatus.NEW
    last_seen: dt.datetime | None = None
    description: str | None = None

    def to_event(self) -> Event:
        """The alert as an ECS document (``event.kind: alert``) for the event store."""
        return Event(
            timestamp=self.timestamp,
            event=EventInfo(
                id=self.id,
                kind=EventKind.ALERT,
                dataset="shaowang.alert",
                severity=int(self.severity),
                action="alert",
            ),
            rule=Rule(id=self.rule_id, name=self.rule_name, category=self.attack_type),
            source=Endpoint(ip=self.source_ip) if self.source_ip else None,
            destination=Endpoint(ip=self.destination_ip) if self.destination_ip else None,
            tags=list(self.tags) or None,
            extra={
                "shaowang": {
                    "alert": {
                        "event_ids": list(self.event_ids),
                        "gb20986_category": self.gb20986_category,
                        "target": self.target,
                        "count": self.count,
                        "group_key": self.group_key,
                    }
                }
            },
        )
