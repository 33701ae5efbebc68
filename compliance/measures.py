"""The measures: pure functions from :class:`~compliance.facts.Facts` to a verdict with its numbers.

``MEASURES`` maps the ids ``catalogue.yaml`` names to functions; the thresholds each applies are
written in the catalogue's ``method`` text and pinned by ``tests/compliance/test_measures.py``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from compliance.facts import Facts, Volume
from compliance.models import Finding
from soc_core.vocabulary import ADMIN_ROLES, MIN_RETENTION_DAYS, ComplianceStatus, Role

S = ComplianceStatus
Measure = Callable[[Facts], Finding]


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _volume(v: Volume) -> dict[str, Any]:
    return {"events": v.events, "events_last_24h": v.recent, "devices": v.devices}


def _reporting(v: Volume, what: str) -> Finding:
    """Logs of one device family: still arriving (符合), seen earlier in the period (部分), none (不符合)."""
    numbers = _volume(v)
    if v.recent:
        return Finding(
            status=S.COMPLIANT,
            summary=f"本期共 {v.events} 条{what}，来自 {v.devices} 台设备，最近24小时仍有 {v.recent} 条。",
            numbers=numbers,
        )
    if v.events:
        return Finding(
            status=S.PARTIAL,
            summary=f"本期有 {v.events} 条{what}，但最近24小时没有，设备可能已停止上报。",
            numbers=numbers,
        )
    return Finding(status=S.NON_COMPLIANT, summary=f"本期没有任何{what}。", numbers=numbers)


def boundary_firewall_logs(f: Facts) -> Finding:
    """8.1.3.1 a: boundary firewalls log their sessions to the platform."""
    return _reporting(f.firewall, "防火墙日志")


def outbound_behaviour_logs(f: Facts) -> Finding:
    """8.1.3.1 c / 8.1.3.5 d: behaviour-management and proxy logs of users going outside."""
    return _reporting(f.proxy, "上网行为管理/代理日志")


def unregistered_assets(f: Facts) -> Finding:
    """8.1.3.1 b: hosts seen on the network that nobody registered."""
    numbers: dict[str, Any] = {"registered": f.assets_registered, "unregistered": len(f.assets_discovered)}
    if f.assets_discovered:
        numbers["unregistered_hosts"] = f.assets_discovered[:50]
    if not f.assets_registered:
        return Finding(
            status=S.NON_COMPLIANT, summary="资产台账为空，无法识别非授权接入设备。", numbers=numbers
        )
    if f.assets_discovered:
        return Finding(
            status=S.PARTIAL,
            summary=(
                f"台账登记 {f.assets_registered} 项；"
                f"流量中发现 {len(f.assets_discovered)} 台未登记主机待确认。"
            ),
            numbers=numbers,
        )
    return Finding(
        status=S.COMPLIANT, summary=f"台账登记 {f.assets_registered} 项，未发现未登记主机。", numbers=numbers
    )


def firewall_deny_decisions(f: Facts) -> Finding:
    """8.1.3.2 a: the boundary denies what policy does not allow."""
    numbers = {"events": f.firewall.events, "allowed": f.firewall_allowed, "denied": f.firewall_denied}
    if not f.firewall.events:
        return Finding(
            status=S.NON_COMPLIANT, summary="本期没有防火墙日志，无法证明访问控制策略生效。", numbers=numbers
        )
    if f.firewall_denied:
        return Finding(
            status=S.COMPLIANT,
            summary=f"本期防火墙允许 {f.firewall_allowed} 次、拒绝 {f.firewall_denied} 次，拒绝策略在生效。",
            numbers=numbers,
        )
    return Finding(
        status=S.PARTIAL,
        summary="本期防火墙日志中没有拒绝记录，需核查默认拒绝策略或拒绝日志是否开启。",
        numbers=numbers,
    )


def firewall_five_tuple(f: Facts) -> Finding:
    """8.1.3.2 c: decisions on address, port and protocol, visible in the logs."""
    ratio = _ratio(f.firewall_five_tuple, f.firewall.events)
    numbers = {"events": f.firewall.events, "with_five_tuple": f.firewall_five_tuple, "ratio": ratio}
    if not f.firewall.events:
        return Finding(status=S.NON_COMPLIANT, summary="本期没有防火墙日志。", numbers=numbers)
    summary = (
        f"本期 {f.firewall.events} 条防火墙日志中 {f.firewall_five_tuple} 条带完整五元组（{ratio:.1%}）。"
    )
    if ratio >= 0.95:
        return Finding(status=S.COMPLIANT, summary=summary, numbers=numbers)
    return Finding(
        status=S.PARTIAL if f.firewall_five_tuple else S.NON_COMPLIANT, summary=summary, numbers=numbers
    )


def application_access_control(f: Facts) -> Finding:
    """8.1.3.2 e: application-layer control (WAF, behaviour management) blocks something."""
    events = f.waf.events + f.proxy.events
    numbers = {"waf_events": f.waf.events, "proxy_events": f.proxy.events, "denied": f.application_denied}
    if not events:
        return Finding(status=S.NON_COMPLIANT, summary="本期没有 WAF 或上网行为管理日志。", numbers=numbers)
    if f.application_denied:
        return Finding(
            status=S.COMPLIANT,
            summary=f"本期应用层设备日志 {events} 条，其中拦截 {f.application_denied} 次。",
            numbers=numbers,
        )
    return Finding(
        status=S.PARTIAL, summary=f"本期应用层设备日志 {events} 条，但没有拦截记录。", numbers=numbers
    )


def external_attack_detection(f: Facts) -> Finding:
    """8.1.3.3 a: sensors at key nodes detect attacks from outside."""
    found = _reporting(f.intrusion.volume, "入侵检测事件")
    found.numbers["from_external_sources"] = f.intrusion.external
    return found


def internal_attack_detection(f: Facts) -> Finding:
    """8.1.3.3 b: attacks from inside are seen too (mirror sensors or internal-source detections)."""
    numbers = {
        "intrusion_events": f.intrusion.volume.events,
        "from_internal_sources": f.intrusion.internal,
        "mirror_sensor_events": f.mirror_events,
        "internal_ranges": f.internal_cidrs,
    }
    if f.mirror_events or f.intrusion.internal:
        return Finding(
            status=S.COMPLIANT,
            summary=(
                f"镜像流量传感器记录 {f.mirror_events} 条；"
                f"本期检测到内部发起的攻击 {f.intrusion.internal} 次。"
            ),
            numbers=numbers,
        )
    if f.intrusion.volume.events:
        return Finding(
            status=S.PARTIAL,
            summary="只有边界入侵检测，没有覆盖内部流量的传感器或内部发起的检测记录。",
            numbers=numbers,
        )
    return Finding(status=S.NON_COMPLIANT, summary="本期没有任何入侵检测事件。", numbers=numbers)


def behaviour_analysis(f: Facts) -> Finding:
    """8.1.3.3 c: network behaviour is analysed (flows, correlation rules)."""
    numbers = {"flows": f.flows, "correlation_rules_loaded": f.rules.correlations_loaded}
    have = bool(f.flows) + bool(f.rules.correlations_loaded)
    summary = f"本期流量会话 {f.flows} 条，已加载关联分析规则 {f.rules.correlations_loaded} 条。"
    status = (S.NON_COMPLIANT, S.PARTIAL, S.COMPLIANT)[have]
    return Finding(status=status, summary=summary, numbers=numbers)


def intrusion_record_fields(f: Facts) -> Finding:
    """8.1.3.3 d: every intrusion record names source IP, attack type, target and time; serious ones alert."""
    total = f.intrusion.volume.events
    ratio = _ratio(f.intrusion.complete, total)
    numbers: dict[str, Any] = {
        "events": total,
        "with_all_four": f.intrusion.complete,
        "ratio": ratio,
        "missing": f.intrusion.missing,
        "high_rules_loaded": f.rules.high_loaded,
        "high_alerts": f.alerts.high,
    }
    if not total:
        return Finding(
            status=S.NON_COMPLIANT, summary="本期没有入侵检测事件，无法证明记录四要素。", numbers=numbers
        )
    summary = (
        f"本期 {total} 条入侵检测事件中 {f.intrusion.complete} 条四要素齐全（{ratio:.1%}）；"
        f"已加载高危及以上规则 {f.rules.high_loaded} 条，本期高危告警 {f.alerts.high} 条。"
    )
    if ratio >= 0.99 and f.rules.high_loaded and f.detection_enabled:
        return Finding(status=S.COMPLIANT, summary=summary, numbers=numbers)
    if ratio >= 0.80:
        return Finding(status=S.PARTIAL, summary=summary, numbers=numbers)
    return Finding(status=S.NON_COMPLIANT, summary=summary, numbers=numbers)


def malware_detection(f: Facts) -> Finding:
    """8.1.3.4 a: malicious code is detected at key nodes."""
    numbers = {"malware_events": f.malware_events, "malware_rules_loaded": f.malware_rules}
    if f.malware_events:
        return Finding(
            status=S.COMPLIANT, summary=f"本期恶意代码检测事件 {f.malware_events} 条。", numbers=numbers
        )
    if f.malware_rules:
        return Finding(
            status=S.PARTIAL,
            summary=(
                f"本期无恶意代码检测事件，已加载恶意代码相关规则 {f.malware_rules} 条；"
                "需核查防病毒网关日志接入。"
            ),
            numbers=numbers,
        )
    return Finding(
        status=S.NON_COMPLIANT, summary="没有恶意代码检测事件，也没有相关检测规则。", numbers=numbers
    )


def _registered(f: Facts) -> list[Any]:
    return [s for s in f.sources if s.registered]


def boundary_audit_coverage(f: Facts) -> Finding:
    """8.1.3.5 a: every registered boundary and key-node device is audited (logs in the period)."""
    registered = _registered(f)
    reporting = [s for s in registered if s.events_in_period]
    numbers = {
        "registered": len(registered),
        "with_logs": len(reporting),
        "without_logs": [s.match for s in registered if not s.events_in_period],
    }
    if not registered or not reporting:
        what = "未登记任何日志源" if not registered else "已登记的日志源本期都没有日志"
        return Finding(status=S.NON_COMPLIANT, summary=f"{what}。", numbers=numbers)
    summary = f"已登记日志源 {len(registered)} 个，本期有日志 {len(reporting)} 个。"
    return Finding(
        status=S.COMPLIANT if len(reporting) == len(registered) else S.PARTIAL,
        summary=summary,
        numbers=numbers,
    )


def audit_record_fields(f: Facts) -> Finding:
    """8.1.3.5 b: device records carry time, user (or source), type and outcome."""
    ratio = _ratio(f.device_complete, f.device_events)
    numbers = {"events": f.device_events, "complete": f.device_complete, "ratio": ratio}
    if not f.device_events:
        return Finding(status=S.NON_COMPLIANT, summary="本期没有网络安全设备日志。", numbers=numbers)
    summary = (
        f"本期 {f.device_events} 条设备日志中 {f.device_complete} 条"
        f"时间、用户/源地址、类型、结果齐全（{ratio:.1%}）。"
    )
    status = S.COMPLIANT if ratio >= 0.95 else S.PARTIAL if ratio >= 0.5 else S.NON_COMPLIANT
    return Finding(status=status, summary=summary, numbers=numbers)


def store_integrity(f: Facts) -> Finding:
    """8.1.3.5 c: stored records are protected: digests and the manifest chain verify."""
    numbers = {"partitions": f.store_partitions, "problems": f.store_problems[:50]}
    if f.store_ok and not f.store_partitions:
        return Finding(
            status=S.UNDETERMINED, summary="事件库还没有已封存的分区，无可校验的记录。", numbers=numbers
        )
    if f.store_ok:
        return Finding(
            status=S.COMPLIANT,
            summary=f"{f.store_partitions} 个已封存分区的 SHA-256/SM3 摘要与哈希链清单全部校验通过。",
            numbers=numbers,
        )
    return Finding(
        status=S.NON_COMPLIANT,
        summary=f"事件库校验发现 {len(f.store_problems)} 处问题（篡改、缺失或断链）。",
        numbers=numbers,
    )


def oplog_coverage(f: Facts) -> Finding:
    """8.1.4.3 a: the platform's operation log covers every user who signed in."""
    log = f.oplog
    numbers = {
        "entries": log.entries,
        "logins": log.logins,
        "users_signed_in": log.login_users,
        "actors": log.actors,
    }
    if not log.entries and not log.chain_entries:
        return Finding(status=S.NON_COMPLIANT, summary="操作日志为空。", numbers=numbers)
    missing = [u for u in log.login_users if u not in log.actors]
    numbers["users_without_entries"] = missing
    summary = f"本期操作日志 {log.entries} 条，其中登录 {log.logins} 次，涉及 {len(log.actors)} 个操作人。"
    return Finding(status=S.PARTIAL if missing else S.COMPLIANT, summary=summary, numbers=numbers)


def oplog_fields(f: Facts) -> Finding:
    """8.1.4.3 b: each entry says when, who, what and whether it succeeded."""
    log = f.oplog
    numbers = {"entries": log.entries, "incomplete": log.incomplete}
    if not log.entries:
        return Finding(status=S.UNDETERMINED, summary="本期没有操作日志记录。", numbers=numbers)
    if log.incomplete:
        return Finding(
            status=S.PARTIAL, summary=f"{log.incomplete} 条操作日志缺少必要字段。", numbers=numbers
        )
    return Finding(
        status=S.COMPLIANT,
        summary=f"本期 {log.entries} 条操作日志均含时间、操作人及角色、来源地址、操作、对象与结果。",
        numbers=numbers,
    )


def oplog_chain(f: Facts) -> Finding:
    """8.1.4.3 c: the operation log's hash chain verifies from the first entry to the last."""
    log = f.oplog
    numbers = {"entries_verified": log.chain_entries, "ok": log.chain_ok, "reason": log.chain_reason}
    if log.chain_ok and not log.chain_entries:
        return Finding(status=S.UNDETERMINED, summary="操作日志为空，无可校验的记录。", numbers=numbers)
    if log.chain_ok:
        return Finding(
            status=S.COMPLIANT,
            summary=f"操作日志哈希链 {log.chain_entries} 条全部校验通过。",
            numbers=numbers,
        )
    return Finding(
        status=S.NON_COMPLIANT, summary=f"操作日志哈希链校验失败：{log.chain_reason}", numbers=numbers
    )


def _admin_role(role: Role) -> Measure:
    def measure(f: Facts) -> Finding:
        holders = [h for h in f.holders if role in h.roles and not h.disabled]
        dual = [h.username for h in f.holders if len(ADMIN_ROLES & set(h.roles)) > 1]
        names = [h.username for h in holders]
        numbers: dict[str, Any] = {
            "holders": names,
            "accounts_with_two_admin_roles": dual,
            "entries_in_period": sum(f.oplog.actors.get(h.username, 0) for h in holders),
        }
        if dual:
            return Finding(
                status=S.NON_COMPLIANT,
                summary=f"账户 {', '.join(dual)} 兼任多个管理员角色，违反三员分立。",
                numbers=numbers,
            )
        if not holders:
            return Finding(
                status=S.NON_COMPLIANT, summary=f"没有启用的账户持有{role.label_zh}角色。", numbers=numbers
            )
        return Finding(
            status=S.COMPLIANT,
            summary=(
                f"{role.label_zh}由 {', '.join(names)} 担任，未兼任其他管理员角色；"
                f"本期其操作记录 {numbers['entries_in_period']} 条。"
            ),
            numbers=numbers,
        )

    measure.__name__ = f"role_{role.value}"
    measure.__doc__ = f"8.1.5.x: the {role.value} role is held, by someone holding no other admin role."
    return measure


def management_zone(f: Facts) -> Finding:
    """8.1.5.4 a: a management zone exists and the console listens inside it (or on this host only)."""
    numbers = {"management_cidrs": f.management_cidrs, "console_host": f.api_host}
    if not f.management_cidrs:
        return Finding(status=S.NON_COMPLIANT, summary="台账中没有登记安全管理区网段。", numbers=numbers)
    if _inside(f.api_host, f.management_cidrs) or f.api_host in ("127.0.0.1", "::1", "localhost"):
        return Finding(
            status=S.COMPLIANT,
            summary=f"安全管理区网段 {', '.join(f.management_cidrs)}；控制台监听 {f.api_host}。",
            numbers=numbers,
        )
    return Finding(
        status=S.PARTIAL, summary=f"控制台监听 {f.api_host}，不在安全管理区网段内。", numbers=numbers
    )


def _inside(host: str, cidrs: list[str]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(c, strict=False) for c in cidrs)


def secure_transport(f: Facts) -> Finding:
    """8.1.5.4 b: devices send to the platform over TLS, ideally with client certificates."""
    numbers = {"syslog_tls": f.syslog_tls, "client_certificates": f.syslog_tls_client_cert}
    if f.syslog_tls and f.syslog_tls_client_cert:
        return Finding(
            status=S.COMPLIANT, summary="启用 syslog over TLS 并验证设备客户端证书。", numbers=numbers
        )
    if f.syslog_tls:
        return Finding(
            status=S.PARTIAL, summary="启用了 syslog over TLS，但未验证客户端证书。", numbers=numbers
        )
    return Finding(status=S.NON_COMPLIANT, summary="日志仅以明文 UDP/TCP 接收，未启用 TLS。", numbers=numbers)


def sources_reporting(f: Facts) -> Finding:
    """8.1.5.4 c: every registered source reported within its expected interval."""
    registered = _registered(f)
    silent = [s for s in registered if s.silent]
    numbers = {
        "registered": len(registered),
        "reporting": len(registered) - len(silent),
        "silent": [
            {"source": s.match, "silent_for_s": s.silent_for_s, "expected_s": s.expected_interval_s}
            for s in silent
        ],
        "unregistered_senders": [s.match for s in f.sources if not s.registered],
    }
    if not registered:
        return Finding(
            status=S.UNDETERMINED,
            summary="未登记任何日志源（settings 的 [[sources]]），无法判定。",
            numbers=numbers,
        )
    summary = f"已登记日志源 {len(registered)} 个，在应报间隔内上报 {len(registered) - len(silent)} 个。"
    if not silent:
        return Finding(status=S.COMPLIANT, summary=summary, numbers=numbers)
    return Finding(
        status=S.PARTIAL if len(silent) < len(registered) else S.NON_COMPLIANT,
        summary=summary,
        numbers=numbers,
    )


def log_retention(f: Facts) -> Finding:
    """8.1.5.4 d: logs are collected centrally and kept at least six months.

    The proof is the deployment's oldest retained day under a policy of at least 180 days; a
    dataset younger than that (a device added later) is listed, not held against the site.
    """
    rows = [r for r in f.retention if not r.dataset.startswith("shaowang.")]
    oldest = min(rows, key=lambda r: r.oldest_day, default=None)
    numbers: dict[str, Any] = {
        "policy_days": f.retention_days_policy,
        "minimum_days": MIN_RETENTION_DAYS,
        "datasets": len(rows),
        "oldest_day": None if oldest is None else oldest.oldest_day,
        "days_retained": None if oldest is None else oldest.days_retained,
        "datasets_younger_than_minimum": [r.dataset for r in rows if not r.meets_minimum],
        "projected_date": None if oldest is None else oldest.projected_date,
    }
    if f.retention_days_policy < MIN_RETENTION_DAYS:
        return Finding(
            status=S.NON_COMPLIANT,
            summary=f"留存策略为 {f.retention_days_policy} 天，低于法定的 {MIN_RETENTION_DAYS} 天。",
            numbers=numbers,
        )
    if oldest is None:
        return Finding(status=S.NON_COMPLIANT, summary="事件库中没有任何设备日志。", numbers=numbers)
    if not oldest.meets_minimum:
        return Finding(
            status=S.PARTIAL,
            summary=(
                f"留存策略 {f.retention_days_policy} 天；"
                f"最早日志为 {oldest.oldest_day}（{oldest.days_retained} 天），"
                f"部署未满 {MIN_RETENTION_DAYS} 天，按现行策略预计 {oldest.projected_date} 满足。"
            ),
            numbers=numbers,
        )
    return Finding(
        status=S.COMPLIANT,
        summary=(
            f"留存策略 {f.retention_days_policy} 天，最早留存日志为 {oldest.oldest_day}，"
            f"已留存 {oldest.days_retained} 天。"
        ),
        numbers=numbers,
    )


def rule_health(f: Facts) -> Finding:
    """8.1.5.4 e: detection policy is managed centrally and loads cleanly."""
    r = f.rules
    numbers = {"loaded": r.loaded, "failed": r.failed, "unrouted": r.unrouted, "failures": r.failures[:50]}
    summary = f"已加载规则 {r.loaded} 条，加载失败 {r.failed} 条，无对应日志源 {r.unrouted} 条。"
    if not r.loaded:
        return Finding(status=S.NON_COMPLIANT, summary=summary, numbers=numbers)
    return Finding(status=S.PARTIAL if r.failed else S.COMPLIANT, summary=summary, numbers=numbers)


def alert_detection(f: Facts) -> Finding:
    """8.1.5.4 f: security events are identified and alerted on."""
    numbers = {
        "detection_enabled": f.detection_enabled,
        "rules_loaded": f.rules.loaded,
        "alerts": f.alerts.total,
        "by_severity": f.alerts.by_severity,
        "events": f.total_events,
    }
    if not f.detection_enabled or not f.rules.loaded:
        return Finding(status=S.NON_COMPLIANT, summary="检测引擎未启用或没有加载任何规则。", numbers=numbers)
    if f.alerts.total:
        return Finding(
            status=S.COMPLIANT,
            summary=f"检测引擎加载规则 {f.rules.loaded} 条，本期产生告警 {f.alerts.total} 条。",
            numbers=numbers,
        )
    if f.total_events:
        return Finding(
            status=S.PARTIAL,
            summary=f"本期有 {f.total_events} 条事件但没有任何告警，需核查规则覆盖。",
            numbers=numbers,
        )
    return Finding(status=S.UNDETERMINED, summary="本期没有事件，无法判定告警能力。", numbers=numbers)


def alert_triage(f: Facts) -> Finding:
    """8.1.10.12 a: serious alerts are picked up within a day."""
    a = f.alerts
    numbers = {"high_alerts": a.high, "untriaged_after_24h": a.high_untriaged}
    if not a.high:
        return Finding(status=S.UNDETERMINED, summary="本期没有高危及以上告警。", numbers=numbers)
    summary = f"本期高危及以上告警 {a.high} 条，产生24小时后仍未处理 {a.high_untriaged} 条。"
    if not a.high_untriaged:
        return Finding(status=S.COMPLIANT, summary=summary, numbers=numbers)
    return Finding(
        status=S.PARTIAL if a.high_untriaged * 2 <= a.high else S.NON_COMPLIANT,
        summary=summary,
        numbers=numbers,
    )


def incident_records(f: Facts) -> Finding:
    """8.1.10.12 c: closed incidents record cause, evidence, handling and lessons."""
    i = f.incidents
    numbers = {"closed": i.closed, "complete": i.complete, "incomplete": i.incomplete[:50]}
    if not i.closed:
        return Finding(status=S.UNDETERMINED, summary="本期没有结案的安全事件。", numbers=numbers)
    summary = f"本期结案事件 {i.closed} 起，原因分析、证据、处置记录、经验教训齐全 {i.complete} 起。"
    if i.complete == i.closed:
        return Finding(status=S.COMPLIANT, summary=summary, numbers=numbers)
    return Finding(status=S.PARTIAL if i.complete else S.NON_COMPLIANT, summary=summary, numbers=numbers)


def response_records(f: Facts) -> Finding:
    """8.1.10.13 b: serious alerts led to notifications or blocks on record."""
    numbers = {"high_alerts": f.alerts.high, "response_records": f.response_records}
    if f.response_records:
        return Finding(
            status=S.COMPLIANT, summary=f"本期通知、封禁等处置记录 {f.response_records} 条。", numbers=numbers
        )
    if f.alerts.high:
        return Finding(
            status=S.NON_COMPLIANT,
            summary=f"本期高危及以上告警 {f.alerts.high} 条，但没有任何通知或封禁处置记录。",
            numbers=numbers,
        )
    return Finding(status=S.UNDETERMINED, summary="本期没有高危告警，也没有处置记录。", numbers=numbers)


MEASURES: dict[str, Measure] = {
    "boundary_firewall_logs": boundary_firewall_logs,
    "unregistered_assets": unregistered_assets,
    "outbound_behaviour_logs": outbound_behaviour_logs,
    "firewall_deny_decisions": firewall_deny_decisions,
    "firewall_five_tuple": firewall_five_tuple,
    "application_access_control": application_access_control,
    "external_attack_detection": external_attack_detection,
    "internal_attack_detection": internal_attack_detection,
    "behaviour_analysis": behaviour_analysis,
    "intrusion_record_fields": intrusion_record_fields,
    "malware_detection": malware_detection,
    "boundary_audit_coverage": boundary_audit_coverage,
    "audit_record_fields": audit_record_fields,
    "store_integrity": store_integrity,
    "oplog_coverage": oplog_coverage,
    "oplog_fields": oplog_fields,
    "oplog_chain": oplog_chain,
    "role_system_admin": _admin_role(Role.SYSTEM_ADMIN),
    "role_audit_admin": _admin_role(Role.AUDIT_ADMIN),
    "role_security_admin": _admin_role(Role.SECURITY_ADMIN),
    "management_zone": management_zone,
    "secure_transport": secure_transport,
    "sources_reporting": sources_reporting,
    "log_retention": log_retention,
    "rule_health": rule_health,
    "alert_detection": alert_detection,
    "alert_triage": alert_triage,
    "incident_records": incident_records,
    "response_records": response_records,
}
