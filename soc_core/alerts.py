"""The ``Alert``: what detection raises, triage works on, and playbooks act upon."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import msgspec

from soc_core.events import Endpoint, Event, EventInfo, Rule, Threat, ThreatTechnique, Url
from soc_core.vocabulary import AlertStatus, Disposition, EventKind, Severity

ALERT_DATASET = "shaowang.alert"
ATTACK_FRAMEWORK = "MITRE ATT&CK"
_TECHNIQUE_TAG = re.compile(r"^attack\.(t\d{4}(?:\.\d{3})?)$", re.IGNORECASE)


def attack_techniques(tags: list[str]) -> list[str]:
    """ATT&CK technique ids (``T1071.004``) named by Sigma tags (``attack.t1071.004``), in order."""
    found: list[str] = []
    for tag in tags:
        match = _TECHNIQUE_TAG.match(tag)
        if match:
            technique = match.group(1).upper()
            if technique not in found:
                found.append(technique)
    return found


class Alert(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One alert: the rule that fired, on which events, with the 等保 8.1.3.3 d) four.

    ``source_ip`` (attack source), ``attack_type`` (rule name / category), ``target``
    (destination ip or url) and ``timestamp`` (time of the first matching event) are the
    fields GB/T 22239-2019 8.1.3.3 d) asks to be recorded for every intrusion.

    A deduplicated alert stands for ``count`` matches between ``timestamp`` (first seen) and
    ``last_seen``; ``event_ids`` keeps the ids of the first of them (capped by the deduper).
    """

    rule_id: str
    rule_name: str
    severity: Severity
    timestamp: dt.datetime
    id: str = msgspec.field(default_factory=lambda: uuid.uuid4().hex)
    tags: list[str] = msgspec.field(default_factory=list)
    gb20986_category: str | None = None
    gb20986_name: str | None = None
    source_ip: str | None = None
    destination_ip: str | None = None
    url: str | None = None
    attack_type: str | None = None
    target: str | None = None
    event_ids: list[str] = msgspec.field(default_factory=list)
    group: dict[str, str] | None = None
    group_key: str | None = None
    count: int = 1
    status: AlertStatus = AlertStatus.NEW
    last_seen: dt.datetime | None = None
    description: str | None = None
    rule_path: str | None = None
    assignee: str | None = None
    disposition: Disposition | None = None
    labels: dict[str, str] | None = None  # the labels every matched event carries (site, demo …)

    @property
    def first_seen(self) -> dt.datetime:
        """Time of the first matching event (the same as ``timestamp``)."""
        return self.timestamp

    @property
    def techniques(self) -> list[str]:
        """ATT&CK technique ids from the rule's tags."""
        return attack_techniques(self.tags)

    def to_event(self) -> Event:
        """The alert as an ECS document (``event.kind: alert``) for the event store."""
        techniques = self.techniques
        alert_fields: dict[str, Any] = {
            "event_ids": list(self.event_ids),
            "gb20986_category": self.gb20986_category,
            "gb20986_name": self.gb20986_name,
            "target": self.target,
            "count": self.count,
            "group_key": self.group_key,
            "status": str(self.status),
        }
        if self.last_seen is not None:
            alert_fields["last_seen"] = self.last_seen.isoformat()
        return Event(
            timestamp=self.timestamp,
            event=EventInfo(
                id=self.id,
                kind=EventKind.ALERT,
                dataset=ALERT_DATASET,
                severity=int(self.severity),
                action="alert",
                start=self.timestamp,
                end=self.last_seen,
            ),
            message=self.description,
            rule=Rule(id=self.rule_id, name=self.rule_name, category=self.attack_type),
            source=Endpoint(ip=self.source_ip) if self.source_ip else None,
            destination=Endpoint(ip=self.destination_ip) if self.destination_ip else None,
            url=Url(original=self.url) if self.url else None,
            threat=(
                Threat(framework=ATTACK_FRAMEWORK, technique=ThreatTechnique(id=techniques))
                if techniques
                else None
            ),
            tags=list(self.tags) or None,
            labels=dict(self.labels) if self.labels else None,
            extra={"shaowang": {"alert": {k: v for k, v in alert_fields.items() if v is not None}}},
        )
