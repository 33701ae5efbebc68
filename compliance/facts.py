"""The numbers the 等保 measures judge, read once from the event store, the state store and settings.

Everything here is a query; nothing is judged. Measures (``compliance.measures``) are pure
functions of :class:`Facts`, so each verdict can be tested on hand-made facts and on a seeded store.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections import Counter
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from compliance.models import RetentionRow, RoleHolder, SourceRow
from soc_core.audit import verify_audit_chain
from soc_core.config import Settings, SourceMapping
from soc_core.state.db import StateStore
from soc_core.state.models import (
    AlertRecord,
    AssetRecord,
    AuditEntry,
    IncidentRecord,
    RuleHealth,
    User,
    ZoneRecord,
)
from soc_core.storage.base import EventStore
from soc_core.vocabulary import (
    MIN_RETENTION_DAYS,
    AlertStatus,
    AssetOrigin,
    DefaultZone,
    IncidentStatus,
    RuleState,
    Severity,
)

RECENT = dt.timedelta(hours=24)  # "still reporting" means: something within the last day of the period
RFC1918 = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
FIREWALL = "observer.type:firewall"
PROXY = "observer.type:proxy"
WAF = "observer.type:waf"
INTRUSION = "event.category:intrusion_detection"
DEVICE = "observer.type:(firewall OR ids OR ips OR waf OR proxy)"
MIRROR = "event.dataset:(suricata.eve OR network.flow)"
# Operation-log actions that record a notification sent or a block applied (playbooks, responders).
RESPONSE_ACTIONS = ("notify.", "playbook.", "response.", "block.")
MAX_UNREGISTERED = 50


class Volume(BaseModel):
    """How much one family of devices logged: in the period, in its last day, and from how many boxes."""

    events: int
    recent: int
    devices: int


class IntrusionFacts(BaseModel):
    """8.1.3.3: intrusion-detection events and whether each carries the four d) fields."""

    volume: Volume
    external: int
    internal: int
    complete: int
    missing: dict[str, int] = Field(description="events lacking each field")


class RuleFacts(BaseModel):
    """Rule health counts."""

    loaded: int
    failed: int
    unrouted: int
    correlations_loaded: int
    high_loaded: int = Field(description="loaded rules of level high or critical")
    failures: list[dict[str, Any]]


class AlertFacts(BaseModel):
    """Alerts raised in the period."""

    total: int
    by_severity: dict[str, int]
    high: int
    high_untriaged: int = Field(description="high or critical, still new a day after being raised")


class OplogFacts(BaseModel):
    """The platform's own operation log."""

    entries: int
    logins: int
    login_users: list[str]
    actors: dict[str, int]
    incomplete: int
    chain_ok: bool
    chain_entries: int
    chain_reason: str | None


class IncidentFacts(BaseModel):
    """Incidents closed in the period and whether their handling record is whole."""

    closed: int
    complete: int
    incomplete: list[dict[str, Any]]


class Facts(BaseModel):
    """Everything the measures read."""

    period_start: dt.datetime
    period_end: dt.datetime
    total_events: int
    firewall: Volume
    firewall_allowed: int
    firewall_denied: int
    firewall_five_tuple: int
    proxy: Volume
    waf: Volume
    application_denied: int
    intrusion: IntrusionFacts
    mirror_events: int
    flows: int
    malware_events: int
    malware_rules: int
    device_events: int
    device_complete: int
    sources: list[SourceRow]
    retention_days_policy: int
    retention: list[RetentionRow]
    store_ok: bool
    store_partitions: int
    store_problems: list[dict[str, str]]
    detection_enabled: bool
    rules: RuleFacts
    alerts: AlertFacts
    oplog: OplogFacts
    holders: list[RoleHolder]
    incidents: IncidentFacts
    response_records: int
    assets_registered: int
    assets_discovered: list[str]
    management_cidrs: list[str]
    internal_cidrs: list[str]
    api_host: str
    syslog_tls: bool
    syslog_tls_client_cert: bool


def collect_facts(
    *, events: EventStore, state: StateStore, settings: Settings, start: dt.datetime, end: dt.datetime
) -> Facts:
    """Read every fact for the period ``[start, end)``."""
    with state.session(readonly=True) as session:
        zones = list(session.scalars(select(ZoneRecord)))
        management = sorted(c for z in zones if z.id == DefaultZone.MANAGEMENT for c in z.cidrs)
        internal = sorted(
            {*RFC1918, *(c for z in zones if z.id != DefaultZone.INTERNET for c in z.cidrs)}, key=str
        )
        state_part = _state_facts(session, start=start, end=end)
    store = _StoreReader(events, start=start, end=end)
    inside = f"source.ip:({' OR '.join(internal)})"
    intrusion = IntrusionFacts(
        volume=store.volume(INTRUSION),
        external=store.count(f"{INTRUSION} AND _exists_:source.ip AND NOT {inside}"),
        internal=store.count(f"{INTRUSION} AND {inside}"),
        complete=store.count(
            f"{INTRUSION} AND _exists_:source.ip AND _exists_:destination.ip"
            " AND (_exists_:rule.name OR _exists_:rule.category)"
        ),
        missing={
            "source.ip": store.count(f"{INTRUSION} AND NOT _exists_:source.ip"),
            "destination.ip": store.count(f"{INTRUSION} AND NOT _exists_:destination.ip"),
            "rule.name/rule.category": store.count(
                f"{INTRUSION} AND NOT _exists_:rule.name AND NOT _exists_:rule.category"
            ),
        },
    )
    policy = int(_policy_days(events, settings))
    return Facts(
        period_start=start,
        period_end=end,
        total_events=store.count("*"),
        firewall=store.volume(FIREWALL),
        firewall_allowed=store.count(f"{FIREWALL} AND event.type:allowed"),
        firewall_denied=store.count(f"{FIREWALL} AND event.type:denied"),
        firewall_five_tuple=store.count(
            f"{FIREWALL} AND _exists_:source.ip AND _exists_:destination.ip"
            " AND _exists_:destination.port AND _exists_:network.transport"
        ),
        proxy=store.volume(PROXY),
        waf=store.volume(WAF),
        application_denied=store.count(f"({WAF} OR {PROXY}) AND event.type:denied"),
        intrusion=intrusion,
        mirror_events=store.count(MIRROR),
        flows=store.count("event.dataset:network.flow"),
        malware_events=store.count("event.category:malware"),
        device_events=store.count(DEVICE),
        device_complete=store.count(
            f"{DEVICE} AND _exists_:event.action AND _exists_:event.outcome"
            " AND (_exists_:user.name OR _exists_:source.ip)"
        ),
        sources=_sources(store, settings),
        retention_days_policy=policy,
        retention=_retention(events, policy_days=policy, now=end),
        **_store_check(events),
        detection_enabled=settings.detection.enabled,
        management_cidrs=management,
        internal_cidrs=internal,
        api_host=settings.api.host,
        syslog_tls=settings.syslog.tls.enabled,
        syslog_tls_client_cert=settings.syslog.tls.enabled
        and (settings.syslog.tls.require_client_cert or settings.syslog.tls.client_ca is not None),
        **state_part,
    )


# -- event store ---------------------------------------------------------------------------------


class _StoreReader:
    """Counts over one period, with the period's last day for "still reporting"."""

    def __init__(self, events: EventStore, *, start: dt.datetime, end: dt.datetime) -> None:
        self.events = events
        self.start = start
        self.end = end
        self.recent_start = max(start, end - RECENT)

    def count(self, query: str, *, recent: bool = False) -> int:
        return self.events.count(query, start=self.recent_start if recent else self.start, end=self.end)

    def volume(self, query: str) -> Volume:
        events = self.count(query)
        if not events:
            return Volume(events=0, recent=0, devices=0)
        devices = self.events.cardinality("observer.hostname", query=query, start=self.start, end=self.end)
        return Volume(events=events, recent=self.count(query, recent=True), devices=max(devices, 1))

    def newest(self, query: str) -> dt.datetime | None:
        return _timestamp(self.events.search(query, limit=1, order="desc"))

    def oldest(self, query: str) -> dt.datetime | None:
        return _timestamp(self.events.search(query, limit=1, order="asc"))


def _timestamp(docs: list[dict[str, Any]]) -> dt.datetime | None:
    if not docs:
        return None
    value = docs[0].get("@timestamp")
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return None


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _mapping_query(mapping: SourceMapping, senders: list[str]) -> tuple[str | None, list[str]]:
    """The query for one registered source's events, and the peer addresses it covers.

    A source is matched by peer address, by a CIDR of peers, or by the hostname its lines carry.
    """
    match = mapping.match.strip()
    try:
        network = ipaddress.ip_network(match, strict=False)
    except ValueError:
        return f"observer.hostname:{_quote(match)}", []
    inside = [s for s in senders if _in_network(s, network)] if "/" in match else [match]
    if not inside:
        return None, []
    return "log.source_address:(" + " OR ".join(_quote(s) for s in inside) + ")", inside


def _in_network(text: str, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    try:
        return ipaddress.ip_address(text) in network
    except ValueError:
        return False


def _sources(store: _StoreReader, settings: Settings) -> list[SourceRow]:
    """Registered sources with their reporting, then senders nobody registered."""
    senders = [str(v) for v, _ in store.events.terms("log.source_address", size=10_000) if v]
    default_interval = settings.detection.silence_after_s
    rows: list[SourceRow] = []
    covered: set[str] = set()
    for mapping in settings.sources:
        interval = mapping.expected_interval_s or default_interval
        query, addresses = _mapping_query(mapping, senders)
        covered.update(addresses)
        if query is None:
            rows.append(_row(mapping.match, mapping.dataset, True, 0, None, None, interval, store.end))
            continue
        rows.append(
            _row(
                mapping.match,
                mapping.dataset,
                True,
                store.count(query),
                store.oldest(query),
                store.newest(query),
                interval,
                store.end,
            )
        )
    unregistered = [
        (str(v), n)
        for v, n in store.events.terms("log.source_address", start=store.start, end=store.end, size=500)
        if v and str(v) not in covered
    ]
    for sender, count in unregistered[:MAX_UNREGISTERED]:
        query = f"log.source_address:{_quote(sender)}"
        rows.append(_row(sender, None, False, count, None, store.newest(query), default_interval, store.end))
    return rows


def _row(
    match: str,
    dataset: str | None,
    registered: bool,
    events: int,
    first: dt.datetime | None,
    last: dt.datetime | None,
    interval: int,
    now: dt.datetime,
) -> SourceRow:
    quiet = (now - last).total_seconds() if last is not None else None
    return SourceRow(
        match=match,
        dataset=dataset,
        registered=registered,
        events_in_period=events,
        first_retained=first,
        last_seen=last,
        expected_interval_s=interval,
        silent=quiet is None or quiet > interval,
        silent_for_s=None if quiet is None else round(max(quiet, 0.0), 1),
    )


def _policy_days(events: EventStore, settings: Settings) -> int:
    policy = getattr(events, "retention_policy", None)
    if callable(policy):
        return int(policy()["days"])
    return settings.store.retention_days


def _retention(events: EventStore, *, policy_days: int, now: dt.datetime) -> list[RetentionRow]:
    """Per dataset: the oldest day still held, and when it reaches the legal minimum."""
    sealed = getattr(events, "oldest_day_per_dataset", None)
    oldest_days: dict[str, str] = dict(sealed()) if callable(sealed) else {}
    rows: list[RetentionRow] = []
    for dataset, count in events.terms("event.dataset", size=1000):
        name = str(dataset)
        day = oldest_days.get(name)
        if day is None:
            first = _timestamp(events.search(f"event.dataset:{_quote(name)}", limit=1, order="asc"))
            if first is None:
                continue
            day = first.date().isoformat()
        held = (now.date() - dt.date.fromisoformat(day)).days
        meets = held >= MIN_RETENTION_DAYS
        projected = None if meets else (dt.date.fromisoformat(day) + dt.timedelta(days=MIN_RETENTION_DAYS))
        rows.append(
            RetentionRow(
                dataset=name,
                events=int(count),
                oldest_day=day,
                days_retained=held,
                meets_minimum=meets,
                projected_date=None if projected is None else projected.isoformat(),
            )
        )
    return sorted(rows, key=lambda r: r.dataset)


def _store_check(events: EventStore) -> dict[str, Any]:
    report = events.verify()
    return {
        "store_ok": report.ok,
        "store_partitions": report.partitions,
        "store_problems": [
            {"partition": p.partition, "problem": p.problem, "detail": p.detail} for p in report.problems
        ],
    }


# -- state store ---------------------------------------------------------------------------------


def _state_facts(session: Session, *, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    return {
        "rules": _rules(session),
        "malware_rules": _malware_rules(session),
        "alerts": _alerts(session, start=start, end=end),
        "oplog": _oplog(session, start=start, end=end),
        "holders": role_holders(session, now=end),
        "incidents": _incidents(session, start=start, end=end),
        "response_records": _response_records(session, start=start, end=end),
        "assets_registered": int(
            session.scalar(
                select(func.count())
                .select_from(AssetRecord)
                .where(AssetRecord.origin != AssetOrigin.DISCOVERED)
            )
            or 0
        ),
        "assets_discovered": [
            str(a.ip or a.cidr)
            for a in session.scalars(
                select(AssetRecord)
                .where(AssetRecord.origin == AssetOrigin.DISCOVERED)
                .order_by(AssetRecord.ip)
            )
        ],
    }


def _rules(session: Session) -> RuleFacts:
    rows = list(session.scalars(select(RuleHealth)))
    loaded = [r for r in rows if r.state == RuleState.LOADED]
    return RuleFacts(
        loaded=len(loaded),
        failed=sum(r.state == RuleState.FAILED for r in rows),
        unrouted=sum(r.state == RuleState.UNROUTED for r in rows),
        correlations_loaded=sum(r.kind == "correlation" for r in loaded),
        high_loaded=sum((r.level or "") in ("high", "critical") for r in loaded),
        failures=[
            {"rule": r.rule_id, "path": r.path, "reason": r.reason}
            for r in rows
            if r.state == RuleState.FAILED
        ],
    )


def _malware_rules(session: Session) -> int:
    """Loaded rules about malicious code, by their title or path (恶意代码, malware, trojan, webshell)."""
    words = ("malware", "trojan", "webshell", "ransom", "virus", "恶意", "木马", "病毒")
    count = 0
    for rule in session.scalars(select(RuleHealth).where(RuleHealth.state == RuleState.LOADED)):
        text = f"{rule.title or ''} {rule.path or ''}".lower()
        count += any(word in text for word in words)
    return count


def _alerts(session: Session, *, start: dt.datetime, end: dt.datetime) -> AlertFacts:
    rows = session.execute(
        select(AlertRecord.severity, AlertRecord.status, AlertRecord.timestamp).where(
            AlertRecord.timestamp >= start, AlertRecord.timestamp < end
        )
    ).all()
    by_severity = Counter(
        Severity(int(s)).label_zh for s, _, _ in rows if int(s) in Severity._value2member_map_
    )
    high = [(status, ts) for sev, status, ts in rows if int(sev) >= Severity.HIGH]
    late = end - RECENT
    return AlertFacts(
        total=len(rows),
        by_severity=dict(sorted(by_severity.items())),
        high=len(high),
        high_untriaged=sum(status == AlertStatus.NEW and ts < late for status, ts in high),
    )


def _oplog(session: Session, *, start: dt.datetime, end: dt.datetime) -> OplogFacts:
    rows = session.execute(
        select(AuditEntry.actor, AuditEntry.action, AuditEntry.outcome, AuditEntry.ts).where(
            AuditEntry.ts >= start, AuditEntry.ts < end
        )
    ).all()
    logins = [actor for actor, action, outcome, _ in rows if action == "user.login" and outcome == "success"]
    chain = verify_audit_chain(session)
    return OplogFacts(
        entries=len(rows),
        logins=len(logins),
        login_users=sorted(set(logins)),
        actors=dict(sorted(Counter(actor for actor, *_ in rows).items())),
        incomplete=sum(not (actor and action and outcome and ts) for actor, action, outcome, ts in rows),
        chain_ok=chain.ok,
        chain_entries=chain.entries,
        chain_reason=chain.reason,
    )


def role_holders(session: Session, *, now: dt.datetime) -> list[RoleHolder]:
    """Every account with its roles, whether it is disabled and whether it is locked out now."""
    holders = []
    for user in session.scalars(select(User).order_by(User.username)):
        holders.append(
            RoleHolder(
                username=user.username,
                display_name=user.display_name,
                roles=sorted(r.role for r in user.role_rows),
                disabled=user.disabled,
                locked=user.locked_until is not None and user.locked_until > now,
            )
        )
    return holders


def _incidents(session: Session, *, start: dt.datetime, end: dt.datetime) -> IncidentFacts:
    closed = list(
        session.scalars(
            select(IncidentRecord).where(
                IncidentRecord.status == IncidentStatus.CLOSED,
                IncidentRecord.closed_at >= start,
                IncidentRecord.closed_at < end,
            )
        )
    )
    incomplete: list[dict[str, Any]] = []
    for incident in closed:
        missing = [
            name
            for name, present in (
                ("cause_analysis", bool((incident.cause_analysis or "").strip())),
                ("evidence", bool(incident.evidence)),
                ("handling_record", bool((incident.handling_record or "").strip())),
                ("lessons_learned", bool((incident.lessons_learned or "").strip())),
            )
            if not present
        ]
        if missing:
            incomplete.append({"incident": incident.id, "title": incident.title, "missing": missing})
    return IncidentFacts(closed=len(closed), complete=len(closed) - len(incomplete), incomplete=incomplete)


def _response_records(session: Session, *, start: dt.datetime, end: dt.datetime) -> int:
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.ts >= start, AuditEntry.ts < end))
    return sum(action.startswith(RESPONSE_ACTIONS) for action in actions)
