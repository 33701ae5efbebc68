"""A district site seeded into real stores, with one knob per thing a 等保 item looks at.

``Site()`` is a site that passes every measured item; each test turns one knob to break one item.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from soc_core.alerts import Alert
from soc_core.audit import append_audit
from soc_core.config import Settings, SourceMapping, load_settings
from soc_core.events import Event
from soc_core.state.alerts import RuleHealthEntry, record_rule_health, save_alerts
from soc_core.state.db import StateStore, open_state
from soc_core.state.models import (
    AlertRecord,
    AssetRecord,
    IncidentEvidence,
    IncidentRecord,
    ZoneRecord,
)
from soc_core.state.users import authenticate, create_user
from soc_core.storage.embedded import EmbeddedEventStore
from soc_core.vocabulary import DefaultZone, Role, Severity

# The store drops days older than its retention by the real clock, so the site lives in the present.
NOW = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
START = NOW - dt.timedelta(days=30)
PASSWORD = "Gongan-Lan-2024"
FW, PROXY, WAF = "192.0.2.1", "192.0.2.5", "192.0.2.3"
SENSOR = "sensor-1"


@dataclasses.dataclass
class Site:
    """What the site has; the defaults make every measured item 符合."""

    firewall: bool = True
    firewall_recent: bool = True
    firewall_denied: bool = True
    firewall_five_tuple: bool = True
    proxy: bool = True
    proxy_recent: bool = True
    waf: bool = True
    waf_recent: bool = True
    waf_denied: bool = True
    intrusion: bool = True
    intrusion_recent: bool = True
    intrusion_complete: bool = True
    internal_attacks: bool = True
    mirror: bool = True
    malware: bool = True
    malware_rule: bool = True
    device_fields: bool = True
    registered_sources: bool = True
    silent_sensor: bool = False
    history_days: int = 200
    retention_days: int = 365
    seal: bool = True
    tamper_partition: bool = False
    tamper_oplog: bool = False
    users: bool = True
    admins: tuple[Role, ...] = (Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN, Role.SECURITY_ADMIN)
    logins: bool = True
    blank_oplog_outcome: bool = False
    management_cidr: bool = True
    api_host: str = "127.0.0.1"
    tls: str = "client_cert"  # or "tls", "plain"
    rules: bool = True
    rule_failed: bool = False
    correlation: bool = True
    detection_enabled: bool = True
    alerts: bool = True
    high_untriaged: int = 0
    incidents_complete: int = 1
    incidents_incomplete: int = 0
    responses: bool = True
    registered_assets: bool = True
    discovered_assets: bool = False


@dataclasses.dataclass
class Seeded:
    """The stores and settings of a seeded site."""

    events: EmbeddedEventStore
    state: StateStore
    settings: Settings
    data: Path


def _fw(n: int, when: dt.datetime, *, denied: bool, site: Site) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@timestamp": when.isoformat(),
        "event": {
            "kind": "event",
            "category": ["network"],
            "type": ["connection", "denied" if denied else "allowed"],
            "action": "POLICYDENY" if denied else "POLICYPERMIT",
            "outcome": "failure" if denied else "success",
            "dataset": "huawei.usg",
            "original": f"%%01POLICY/6/POLICY{'DENY' if denied else 'PERMIT'}(l): n={n}",
        },
        "observer": {"vendor": "Huawei", "product": "USG", "type": "firewall", "hostname": "fw-core"},
        "log": {"source_address": FW},
        "source": {"ip": f"203.0.113.{n % 200 + 1}", "port": 40000 + n},
        "destination": {"ip": "192.0.2.80", "port": 443},
        "network": {"transport": "tcp"},
    }
    if not site.firewall_five_tuple:
        del doc["destination"]["port"], doc["network"]
    if not site.device_fields:
        del doc["event"]["outcome"]
    return doc


def _proxy(n: int, when: dt.datetime, *, denied: bool) -> dict[str, Any]:
    return {
        "@timestamp": when.isoformat(),
        "event": {
            "kind": "event",
            "category": ["web"],
            "type": ["access", "denied" if denied else "allowed"],
            "action": "拒绝" if denied else "允许",
            "outcome": "failure" if denied else "success",
            "dataset": "sangfor.ac",
            "original": f"上网行为日志 用户:zhang{n} 动作:{'拒绝' if denied else '允许'}",
        },
        "observer": {"vendor": "Sangfor", "product": "AC", "type": "proxy", "hostname": "ac-1"},
        "log": {"source_address": PROXY},
        "user": {"name": f"zhang{n}"},
        "source": {"ip": f"10.20.0.{n % 200 + 1}"},
        "url": {"original": "http://www.example.com/"},
    }


def _waf(n: int, when: dt.datetime, *, denied: bool) -> dict[str, Any]:
    return {
        "@timestamp": when.isoformat(),
        "event": {
            "kind": "alert",
            "category": ["intrusion_detection", "web"],
            "type": ["denied" if denied else "allowed"],
            "action": "block" if denied else "detect",
            "outcome": "failure" if denied else "unknown",
            "dataset": "chaitin.safeline",
            "original": f'{{"attack_type":"sqli","n":{n}}}',
        },
        "observer": {"vendor": "Chaitin", "product": "SafeLine", "type": "waf", "hostname": "waf-1"},
        "log": {"source_address": WAF},
        "source": {"ip": "203.0.113.66"},
        "destination": {"ip": "192.0.2.80", "port": 80},
        "rule": {"name": "SQL 注入", "category": "sqli"},
        "url": {"original": "/login?id=1%20or%201=1"},
    }


def _ids(n: int, when: dt.datetime, *, source: str, complete: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@timestamp": when.isoformat(),
        "event": {
            "kind": "alert",
            "category": ["intrusion_detection", "network"],
            "type": ["info"],
            "action": "alert",
            "outcome": "unknown",
            "dataset": "suricata.eve",
            "original": f'{{"event_type":"alert","n":{n}}}',
        },
        "observer": {"vendor": "OISF", "product": "Suricata", "type": "ids", "hostname": SENSOR},
        "source": {"ip": source, "port": 50000 + n},
        "destination": {"ip": "192.0.2.80", "port": 80},
        "network": {"transport": "tcp"},
        "rule": {"id": "2024364", "name": "ET EXPLOIT Apache Struts RCE", "category": "Attempted Admin"},
    }
    if not complete:
        del doc["rule"], doc["destination"]
    return doc


def _flow(n: int, when: dt.datetime) -> dict[str, Any]:
    return {
        "@timestamp": when.isoformat(),
        "event": {
            "kind": "event",
            "category": ["network"],
            "type": ["connection"],
            "dataset": "network.flow",
        },
        "observer": {"vendor": "Shaowang", "product": "flow", "type": "sensor", "hostname": SENSOR},
        "source": {"ip": "10.20.0.5", "port": 51000 + n},
        "destination": {"ip": "192.0.2.80", "port": 443},
        "network": {"transport": "tcp"},
    }


def _malware(when: dt.datetime) -> dict[str, Any]:
    return {
        "@timestamp": when.isoformat(),
        "event": {
            "kind": "alert",
            "category": ["malware"],
            "type": ["info"],
            "action": "virus-detected",
            "outcome": "success",
            "dataset": "json.log",
            "original": "AV: Trojan.Generic blocked",
        },
        "observer": {"vendor": "Huawei", "product": "USG AV", "type": "firewall", "hostname": "fw-core"},
        "log": {"source_address": FW},
        "source": {"ip": "203.0.113.9", "port": 80},
        "destination": {"ip": "10.20.0.7", "port": 49152},
        "network": {"transport": "tcp"},
        "rule": {"name": "Trojan.Generic"},
    }


def _documents(site: Site) -> list[dict[str, Any]]:
    """Events of the period (the last one an hour before NOW when "recent"), plus old history."""
    docs: list[dict[str, Any]] = []
    old = NOW - dt.timedelta(days=site.history_days)

    def times(recent: bool) -> list[dt.datetime]:
        last = NOW - dt.timedelta(hours=1) if recent else NOW - dt.timedelta(days=3)
        return [old, START + dt.timedelta(days=1), last - dt.timedelta(minutes=5), last]

    if site.firewall:
        for i, when in enumerate(times(site.firewall_recent)):
            docs.append(_fw(i, when, denied=site.firewall_denied and i % 2 == 1, site=site))
    if site.proxy:
        for i, when in enumerate(times(site.proxy_recent)):
            docs.append(_proxy(i, when, denied=i == 3))
    if site.waf:
        for i, when in enumerate(times(site.waf_recent)):
            docs.append(_waf(i, when, denied=site.waf_denied and i >= 2))
    if site.intrusion:
        for i, when in enumerate(times(site.intrusion_recent and not site.silent_sensor)):
            source = "10.20.0.9" if site.internal_attacks and i == 3 else "203.0.113.77"
            docs.append(_ids(i, when, source=source, complete=site.intrusion_complete or i == 0))
    if site.mirror:
        docs += [_flow(i, when) for i, when in enumerate(times(not site.silent_sensor))]
    if site.malware:
        docs.append(_malware(NOW - dt.timedelta(days=2)))
    return docs


def _settings(site: Site, data: Path) -> Settings:
    sources = (
        [
            SourceMapping(match=FW, dataset="huawei.usg", expected_interval_s=3 * 3600),
            SourceMapping(match="192.0.2.4/30", dataset="sangfor.ac", expected_interval_s=3 * 3600),
            SourceMapping(match=WAF, dataset="chaitin.safeline", expected_interval_s=3 * 3600),
            SourceMapping(match=SENSOR, dataset="suricata.eve", expected_interval_s=3 * 3600),
        ]
        if site.registered_sources
        else []
    )
    tls: dict[str, Any] = {"enabled": site.tls != "plain", "require_client_cert": site.tls == "client_cert"}
    store: dict[str, Any] = {"retention_days": site.retention_days}
    if site.retention_days < 180:
        store["retention_override"] = "测试：缩短留存"
    return load_settings(
        data_dir=data,
        sources=sources,
        syslog={"tls": tls},
        store=store,
        api={"host": site.api_host},
        detection={"enabled": site.detection_enabled},
    )


def settings_toml(settings: Settings) -> str:
    """The parts of ``settings`` a site sets, as the ``shaowang.toml`` the CLI reads."""
    tls = settings.syslog.tls
    lines = [
        "[api]",
        f'host = "{settings.api.host}"',
        "[store]",
        f"retention_days = {settings.store.retention_days}",
    ]
    if settings.store.retention_override:
        lines.append(f'retention_override = "{settings.store.retention_override}"')
    lines += [
        "[detection]",
        f"enabled = {str(settings.detection.enabled).lower()}",
        "[syslog.tls]",
        f"enabled = {str(tls.enabled).lower()}",
        f"require_client_cert = {str(tls.require_client_cert).lower()}",
    ]
    for source in settings.sources:
        lines += ["[[sources]]", f'match = "{source.match}"', f'dataset = "{source.dataset}"']
        lines.append(f"expected_interval_s = {source.expected_interval_s}")
    return "\n".join(lines) + "\n"


def _users(state: StateStore, site: Site) -> None:
    if not site.users:
        return
    with state.session() as session:
        for role in (*site.admins, Role.ANALYST, Role.COMPLIANCE_OFFICER):
            create_user(session, username=role.value, password=PASSWORD, roles=[role], now=START)
    if site.logins:
        for role in (Role.ANALYST, Role.COMPLIANCE_OFFICER, *site.admins):
            with state.session() as session:
                authenticate(
                    session,
                    username=role.value,
                    password=PASSWORD,
                    source_ip="192.0.2.10",
                    now=NOW - dt.timedelta(days=2),
                )


def _rules(state: StateStore, site: Site) -> None:
    rows: list[RuleHealthEntry] = []
    if site.rules:
        rows += [
            RuleHealthEntry(rule_id="r-sqli", state="loaded", title="Web SQL injection", level="high"),
            RuleHealthEntry(rule_id="r-scan", state="loaded", title="Port scan", level="medium"),
        ]
        if site.malware_rule:
            rows.append(
                RuleHealthEntry(
                    rule_id="r-webshell", state="loaded", title="Webshell upload", level="critical"
                )
            )
        if site.correlation:
            rows.append(
                RuleHealthEntry(
                    rule_id="c-brute", state="loaded", title="Brute force", kind="correlation", level="high"
                )
            )
    if site.rule_failed:
        rows.append(
            RuleHealthEntry(rule_id="r-broken", state="failed", path="rules/broken.yml", reason="bad YAML")
        )
    with state.session() as session:
        record_rule_health(session, rows=rows, now=NOW)


def _alerts(state: StateStore, site: Site) -> None:
    if not site.alerts:
        return
    alerts = [
        Alert(
            id=f"a-{n}",
            rule_id="r-sqli",
            rule_name="Web SQL injection",
            severity=Severity.HIGH if n < 3 + site.high_untriaged else Severity.MEDIUM,
            timestamp=NOW - dt.timedelta(days=2, minutes=n),
            last_seen=NOW - dt.timedelta(days=2, minutes=n),
            source_ip="203.0.113.66",
            destination_ip="192.0.2.80",
            attack_type="SQL 注入",
            target="http://192.0.2.80/login",
            gb20986_category="NAI",
            tags=["attack.initial_access"],
        )
        for n in range(5 + site.high_untriaged)
    ]
    with state.session() as session:
        save_alerts(session, alerts=alerts, now=NOW - dt.timedelta(days=2))
        for record in session.scalars(select(AlertRecord)):
            untriaged = record.severity >= Severity.HIGH and int(record.id.split("-")[1]) >= 3
            record.status = "new" if untriaged else "in_progress"


def _incidents(state: StateStore, site: Site) -> None:
    when = NOW - dt.timedelta(days=1)
    with state.session() as session:
        for n in range(site.incidents_complete + site.incidents_incomplete):
            complete = n < site.incidents_complete
            incident = IncidentRecord(
                title=f"门户网站 SQL 注入事件 {n + 1}",
                category="NAI",
                level="IV",
                status="closed",
                owner="analyst",
                description="WAF 告警",
                cause_analysis="登录页参数未过滤" if complete else None,
                handling_record="封禁来源地址，修复代码",
                lessons_learned="上线前做代码审计" if complete else "",
                created_by="analyst",
                created_at=when - dt.timedelta(hours=5),
                updated_at=when,
                closed_at=when,
            )
            session.add(incident)
            session.flush()
            session.add(
                IncidentEvidence(
                    incident_id=incident.id, kind="alert", ref="a-0", added_by="analyst", added_at=when
                )
            )
        if site.responses:
            append_audit(
                session,
                actor="playbook:web-attack",
                action="notify.email",
                target="secops@example.gov.example",
                now=NOW - dt.timedelta(days=2),
            )


def _register(state: StateStore, site: Site) -> None:
    with state.session() as session:
        zone = session.get(ZoneRecord, DefaultZone.MANAGEMENT.value)
        assert zone is not None
        zone.cidrs = ["192.0.2.0/28"] if site.management_cidr else []
        rows = []
        if site.registered_assets:
            rows.append(("192.0.2.80", "import"))
        if site.discovered_assets:
            rows.append(("10.20.0.99", "discovered"))
        for ip, origin in rows:
            session.add(AssetRecord(ip=ip, services=[], origin=origin, created_at=START, updated_at=START))


@contextmanager
def seeded(tmp_path: Path, site: Site, state_url: str | None = None) -> Iterator[Seeded]:
    """The site's stores, open; closed on exit."""
    data = tmp_path / "data"
    settings = _settings(site, data)
    data.mkdir(parents=True, exist_ok=True)
    state = open_state(state_url or f"sqlite:///{data / 'state.db'}")
    events = EmbeddedEventStore.open_writer(data, settings.store)
    try:
        events.append([Event.from_dict(doc) for doc in _documents(site)])
        if site.seal:
            events.seal_now()
        if site.tamper_partition:
            # One partition swapped for another's (still a readable file): its digests no longer match.
            first, second = sorted((data / "events" / "sealed").rglob("*.parquet"))[:2]
            first.write_bytes(second.read_bytes())
        _users(state, site)
        _rules(state, site)
        _alerts(state, site)
        _incidents(state, site)
        _register(state, site)
        if site.tamper_oplog or site.blank_oplog_outcome:
            change = "actor = 'mallory'" if site.tamper_oplog else "outcome = ''"
            with state.engine.begin() as conn:
                conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
                conn.execute(text(f"UPDATE audit_log SET {change} WHERE seq = 2"))
        yield Seeded(events=events, state=state, settings=settings, data=data)
    finally:
        events.close()
        state.close()
