"""A hand-built, realistic 等保 compliance report for the renderer tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from compliance.models import ComplianceReport, ItemResult, Link, RetentionRow, RoleHolder, SourceRow
from soc_core.vocabulary import ComplianceStatus

UTC = dt.UTC
GENERATED_AT = dt.datetime(2025, 3, 31, 16, 5, 0, tzinfo=UTC)  # 2025-04-01 00:05 Beijing time
PERIOD_START = dt.datetime(2024, 12, 31, 16, 0, 0, tzinfo=UTC)
PERIOD_END = dt.datetime(2025, 3, 31, 16, 0, 0, tzinfo=UTC)

INCIDENT_TITLE = "门户网站遭受SQL注入攻击"
SOURCE_MATCH = "198.51.100.0/24"


def _item(
    clause: str,
    item: str,
    control: str,
    text: str,
    status: ComplianceStatus,
    summary: str,
    evidence: dict[str, Any],
    *,
    high_risk_note: str | None = None,
    measure: str = "manual",
    evidenced_by: str = "平台自身数据",
    method: str = "人工核查",
) -> ItemResult:
    return ItemResult(
        clause=clause,
        item=item,
        control=control,
        text=text,
        evidenced_by=evidenced_by,
        method=method,
        measure=measure,
        high_risk=high_risk_note is not None,
        high_risk_note=high_risk_note,
        status=status,
        status_zh=status.label_zh,
        summary=summary,
        evidence=evidence,
        links=[Link(label="检索", href="#/search?q=event.kind:alert")],
    )


def _items() -> list[ItemResult]:
    c, p, n, u = (
        ComplianceStatus.COMPLIANT,
        ComplianceStatus.PARTIAL,
        ComplianceStatus.NON_COMPLIANT,
        ComplianceStatus.UNDETERMINED,
    )
    return [
        _item(
            "8.1.4.3",
            "a",
            "安全审计",
            "应启用安全审计功能，审计覆盖到每个用户，对重要的用户行为和重要安全事件进行审计。",
            c,
            "操作日志覆盖全部 6 个账户，期间共记录 30 条管理操作。",
            {"accounts": 6, "accounts_audited": 6, "entries": 30},
            measure="operation_log_coverage",
            evidenced_by="操作日志",
            method="统计期间内有操作记录的账户占全部账户的比例",
        ),
        _item(
            "8.1.3.3",
            "d",
            "入侵防范",
            "应在检测到攻击行为时，记录攻击源IP、攻击类型、攻击目标、攻击时间，在发生严重入侵事件时应提供报警。",
            n,
            "412 条告警中有 17 条缺少攻击类型，3 条缺少攻击源IP。",
            {
                "alerts": 412,
                "missing": {"source.ip": 3, "threat.technique.name": 17},
                "sample_alert_ids": [f"A-2025-{i:04d}" for i in range(1, 31)],
            },
            high_risk_note="关键网络节点无法检测、记录攻击行为",
            measure="alert_fields",
            evidenced_by="告警记录",
            method="检查每条告警是否具备攻击源IP、攻击类型、攻击目标和时间",
        ),
        _item(
            "8.1.5.4",
            "d",
            "集中管控",
            "应对分散在各个设备上的审计数据进行收集汇总和集中分析，并保证审计记录的留存时间符合法律法规要求。",
            p,
            "3 个数据集中 1 个已留存满 180 天，其余预计于 2025-05-20 达到。",
            {"datasets": 3, "meeting_minimum": 1, "policy_days": 180, "oldest": {"huawei.usg": "2024-09-12"}},
            high_risk_note="网络设备、安全设备等的日志留存不满六个月",
            measure="retention",
            evidenced_by="事件存储分区",
            method="比较每个数据集最早留存日期与 180 天要求",
        ),
        _item(
            "8.1.5.4",
            "f",
            "集中管控",
            "应能对网络中发生的各类安全事件进行识别、报警和分析。",
            c,
            "已加载 3 条规则中 2 条在期间内产生告警。",
            {"rules_loaded": 2, "rules_fired": 2, "alerts": 412},
            high_risk_note="无法对网络中的安全事件进行识别和报警",
            measure="detection_active",
            evidenced_by="告警规则与告警记录",
            method="统计已加载并在期间内触发过的规则",
        ),
        _item(
            "8.1.10.12",
            "c",
            "安全事件处置",
            "应在安全事件报告和响应处理过程中，分析和鉴定事件产生的原因，收集证据，记录处理过程，总结经验教训。",
            p,
            "1 起已关闭事件记录了原因分析与处置过程，但未填写经验教训。",
            {"incidents": 1, "closed": 1, "with_cause": 1, "with_lessons": 0},
            measure="incident_records",
            evidenced_by="安全事件",
            method="检查已关闭事件的原因分析、处置记录和经验教训字段",
        ),
        _item(
            "8.1.10.12",
            "b",
            "安全事件处置",
            "应制定安全事件报告和处置管理制度，明确不同安全事件的报告、处置和响应流程。",
            u,
            "管理制度文件不在平台数据范围内，需人工核查。",
            {},
        ),
        _item(
            "8.1.5.1",
            "a",
            "系统管理",
            "应对系统管理员进行身份鉴别，只允许其通过特定的命令或操作界面进行系统管理操作，并对这些操作进行审计。",
            n,
            "1 个系统管理员账户同时持有审计管理员角色。",
            {"conflicting_accounts": ["ops-li"], "system_admins": 2},
            measure="separation_of_duties",
            evidenced_by="角色持有人",
            method="检查三员角色是否由不同账户持有",
        ),
    ]


def _sources() -> list[SourceRow]:
    return [
        SourceRow(
            match=SOURCE_MATCH,
            dataset="huawei.usg",
            registered=True,
            events_in_period=1_284_311,
            first_retained=dt.datetime(2024, 9, 11, 16, 0, 2, tzinfo=UTC),
            last_seen=dt.datetime(2025, 3, 31, 15, 59, 58, tzinfo=UTC),
            expected_interval_s=300,
            silent=False,
            silent_for_s=None,
        ),
        SourceRow(
            match="192.0.2.30",
            dataset="sangfor.af",
            registered=True,
            events_in_period=88_020,
            first_retained=dt.datetime(2025, 1, 20, 2, 11, 0, tzinfo=UTC),
            last_seen=dt.datetime(2025, 3, 30, 8, 0, 0, tzinfo=UTC),
            expected_interval_s=3600,
            silent=True,
            silent_for_s=115200.0,
        ),
        SourceRow(
            match="203.0.113.40",
            dataset=None,
            registered=False,
            events_in_period=57,
            first_retained=None,
            last_seen=dt.datetime(2025, 3, 29, 4, 30, 0, tzinfo=UTC),
            expected_interval_s=0,
            silent=False,
            silent_for_s=None,
        ),
    ]


def _retention() -> list[RetentionRow]:
    return [
        RetentionRow(
            dataset="huawei.usg",
            events=2_410_002,
            oldest_day="2024-09-12",
            days_retained=201,
            meets_minimum=True,
            projected_date=None,
        ),
        RetentionRow(
            dataset="sangfor.af",
            events=88_020,
            oldest_day="2025-01-20",
            days_retained=71,
            meets_minimum=False,
            projected_date="2025-07-19",
        ),
        RetentionRow(
            dataset="nsfocus.waf",
            events=9_113,
            oldest_day="2024-11-21",
            days_retained=131,
            meets_minimum=False,
            projected_date="2025-05-20",
        ),
    ]


def _samples() -> list[dict[str, Any]]:
    return [
        {
            "@timestamp": "2025-03-30T08:00:00+00:00",
            "event": {
                "dataset": "sangfor.af",
                "original": "日志类型:WAF应用防护日志, 源IP:203.0.113.9, 源端口:51234, 目的IP:192.0.2.15, "
                "目的端口:80, 攻击类型:SQL注入, 严重级别:高, 系统动作:拒绝, URL:/portal/news?id=1%27",
            },
            "observer": {"vendor": "Sangfor", "product": "AF"},
            "source": {"ip": "203.0.113.9", "port": 51234},
        },
        {
            "@timestamp": "2025-03-31T15:40:12+00:00",
            "event": {
                "dataset": "nsfocus.waf",
                "original": "WAF: 站点=门户网站 事件=跨站脚本攻击 源地址=198.51.100.77 目标=192.0.2.15 "
                "动作=阻断 " + "请求头=" + "A" * 400,
            },
            "observer": {"vendor": "NSFOCUS", "product": "WAF"},
        },
    ]


def _rules() -> list[dict[str, Any]]:
    return [
        {
            "rule_id": "sw-web-sqli",
            "title": "Web 应用 SQL 注入尝试",
            "state": "loaded",
            "reason": None,
            "matches": 398,
            "last_fired": dt.datetime(2025, 3, 30, 8, 0, 1, tzinfo=UTC),
            "path": "rules/web/sqli.yml",
        },
        {
            "rule_id": "sw-fw-portscan",
            "title": "外部端口扫描",
            "state": "loaded",
            "reason": None,
            "matches": 14,
            "last_fired": dt.datetime(2025, 3, 28, 1, 2, 3, tzinfo=UTC),
            "path": "rules/network/portscan.yml",
        },
        {
            "rule_id": "sw-vpn-bruteforce",
            "title": "VPN 口令暴力破解",
            "state": "unrouted",
            "reason": "没有接入 VPN 日志源",
            "matches": 0,
            "last_fired": None,
            "path": "rules/auth/vpn_bruteforce.yml",
        },
    ]


def _alerts() -> list[dict[str, Any]]:
    return [
        {
            "id": f"A-2025-{i:04d}",
            "timestamp": dt.datetime(2025, 3, 30, 8, 0, 1, tzinfo=UTC) - dt.timedelta(hours=i),
            "rule_name": "Web 应用 SQL 注入尝试" if i % 3 else "外部端口扫描",
            "severity": 4 if i % 3 else 3,
            "status": "closed" if i > 2 else "new",
            "source_ip": f"203.0.113.{9 + i}",
            "destination_ip": "192.0.2.15",
            "attack_type": "SQL注入" if i % 3 else "端口扫描",
            "assignee": "analyst-wang" if i > 2 else None,
            "disposition": "true_positive" if i > 2 else None,
        }
        for i in range(1, 6)
    ]


def _incidents() -> list[dict[str, Any]]:
    return [
        {
            "id": "INC-2025-0007",
            "title": INCIDENT_TITLE,
            "category": "网络攻击事件",
            "level": "IV",
            "status": "closed",
            "owner": "secadmin-zhao",
            "created_at": dt.datetime(2025, 3, 30, 8, 10, 0, tzinfo=UTC),
            "closed_at": dt.datetime(2025, 3, 30, 11, 45, 0, tzinfo=UTC),
            "cause_analysis": "新闻栏目 id 参数未做参数化查询，攻击者自 203.0.113.9 批量探测。",
            "handling_record": "WAF 已阻断；封禁源地址 24 小时；开发修复后复测通过。",
            "lessons_learned": "",
            "evidence_count": 4,
        }
    ]


def _role_holders() -> list[RoleHolder]:
    holders = [
        ("sysadmin-qian", "钱系统", ["system_admin"], False, False),
        ("secadmin-zhao", "赵安全", ["security_admin"], False, False),
        ("audit-sun", "孙审计", ["audit_admin"], False, False),
        ("ops-li", "李运维", ["system_admin", "audit_admin"], False, True),
        ("analyst-wang", "王分析", ["analyst"], False, False),
        ("former-zhou", None, ["analyst"], True, False),
    ]
    return [
        RoleHolder(username=user, display_name=name, roles=roles, disabled=disabled, locked=locked)
        for user, name, roles, disabled, locked in holders
    ]


def _operation_log() -> list[dict[str, Any]]:
    actions = [
        ("analyst-wang", ["analyst"], "alert.triage", "alert:A-2025-{n:04d}", "success", "状态 new → closed"),
        ("secadmin-zhao", ["security_admin"], "rule.reload", "rules/web/sqli.yml", "success", ""),
        ("sysadmin-qian", ["system_admin"], "user.create", "user:analyst-{n}", "success", "角色 analyst"),
        ("audit-sun", ["audit_admin"], "audit.export", "operation_log", "success", ""),
        ("ops-li", ["system_admin", "audit_admin"], "auth.login", "session", "failure", "口令错误"),
    ]
    start = dt.datetime(2025, 3, 1, 1, 0, 0, tzinfo=UTC)
    rows: list[dict[str, Any]] = []
    for seq in range(1, 31):
        actor, roles, action, target, outcome, detail = actions[seq % len(actions)]
        rows.append(
            {
                "seq": seq,
                "ts": start + dt.timedelta(hours=17 * seq),
                "actor": actor,
                "actor_roles": roles,
                "source_ip": f"10.20.1.{10 + seq % 5}",
                "action": action,
                "target": target.format(n=seq),
                "outcome": outcome,
                "detail": detail,
            }
        )
    return rows


def sample_report() -> ComplianceReport:
    """A report with every status, high-risk items both ways and a little of every data kind."""
    items = _items()
    totals = {status.value: sum(1 for i in items if i.status is status) for status in ComplianceStatus}
    return ComplianceReport(
        generated_at=GENERATED_AT,
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        platform="哨望 Shaowang · 电子政务外网安全运营平台 (soc.gov.example)",
        items=items,
        totals=totals,
        sources=_sources(),
        retention_days_policy=180,
        retention=_retention(),
        samples=_samples(),
        rules=_rules(),
        alerts=_alerts(),
        incidents=_incidents(),
        role_matrix={
            "alerts:read": ["security_admin", "analyst", "audit_admin"],
            "alerts:triage": ["security_admin", "analyst"],
            "audit:read": ["audit_admin"],
            "users:manage": ["system_admin"],
            "incidents:manage": ["security_admin"],
        },
        role_holders=_role_holders(),
        operation_log=_operation_log(),
        operation_log_truncated=False,
        checks={
            "store": {"ok": True, "partitions": 412, "problems": []},
            "operation_log": {"ok": True, "entries": 30, "reason": None},
        },
    )
