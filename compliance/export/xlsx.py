"""The 等保 evidence pack as an XLSX workbook: one sheet per kind of evidence."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from compliance.export.pdf import (
    ALERT_COLUMNS,
    BAD,
    GOOD,
    OPERATION_LOG_COLUMNS,
    RULE_COLUMNS,
    STATUS_COLOURS,
    TITLE,
    WARN,
    Column,
    dig,
    flatten,
    parse_time,
    role_label,
    to_shanghai,
)
from compliance.models import ComplianceReport
from soc_core.vocabulary import ADMIN_ROLES

SHEETS = (
    "结论",
    "日志源",
    "留存",
    "样例记录",
    "告警规则",
    "告警记录",
    "安全事件",
    "角色",
    "操作日志",
    "校验",
)
TIME_NOTE = "(北京时间)"
EXCEL_CELL_LIMIT = 32_767
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")
Fill = tuple[int, int, str]  # (column, data row, colour), both 0-based
INCIDENT_COLUMNS: tuple[Column, ...] = (
    ("id", "编号", 18),
    ("title", "标题", 30),
    ("category", "类别", 16),
    ("level", "级别", 8),
    ("status", "状态", 10),
    ("owner", "负责人", 14),
    ("created_at", "创建时间", 22),
    ("closed_at", "关闭时间", 22),
    ("cause_analysis", "原因分析", 40),
    ("handling_record", "处置记录", 40),
    ("lessons_learned", "经验教训", 40),
    ("evidence_count", "证据数", 8),
)


def cell_value(value: Any) -> Any:
    """What Excel can hold: naive Beijing-time datetimes, 是/否, joined lists, JSON for mappings."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    when = parse_time(value)
    if when is not None:
        return to_shanghai(when).replace(tzinfo=None)
    if isinstance(value, int | float):
        return value
    if isinstance(value, Mapping):
        return _text(json.dumps(value, ensure_ascii=False, default=str))
    if isinstance(value, list | tuple):
        if any(isinstance(v, Mapping | list | tuple) for v in value):
            return _text(json.dumps(value, ensure_ascii=False, default=str))
        return _text(", ".join("" if v is None else str(cell_value(v)) for v in value))
    return _text(str(value))


def _text(text: str) -> str:
    # Log lines may carry control characters, which openpyxl refuses, and can exceed a cell's limit.
    cleaned: str = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)
    return cleaned[:EXCEL_CELL_LIMIT]


def _display_width(value: Any) -> int:
    if isinstance(value, dt.datetime):
        return 19
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text.split("\n")[0])


def _fill(colour: str) -> PatternFill:
    return PatternFill(fill_type="solid", fgColor=colour.lstrip("#"))


def write_table(
    sheet: Any,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    fills: Iterable[Fill] = (),
    *,
    first_row: int = 1,
) -> int:
    """Write a bold header and the rows from ``first_row``; return the next free row."""
    data = [[cell_value(v) for v in row] for row in rows]
    for col, header in enumerate(headers, start=1):
        is_time = any(len(r) >= col and isinstance(r[col - 1], dt.datetime) for r in data)
        cell = sheet.cell(row=first_row, column=col, value=f"{header}{TIME_NOTE}" if is_time else header)
        cell.font = _BOLD
    for r, row in enumerate(data, start=first_row + 1):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # a log line is never a formula
            elif isinstance(value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
            cell.alignment = _WRAP
    for col, r, colour in fills:
        sheet.cell(row=first_row + 1 + r, column=col + 1).fill = _fill(colour)
    for col, header in enumerate(headers, start=1):
        letter = get_column_letter(col)
        widest = max(
            [_display_width(header) + 2, *(_display_width(r[col - 1]) for r in data if len(r) >= col)]
        )
        current = sheet.column_dimensions[letter].width or 0
        sheet.column_dimensions[letter].width = max(current, min(max(widest + 2, 8), 60))
    return first_row + 1 + len(data)


def _dict_table(sheet: Any, columns: Sequence[Column], rows: Sequence[Mapping[str, Any]]) -> None:
    """Fixed columns first, then any other keys the rows carry; a missing key is an empty cell."""
    keys = [key for key, _, _ in columns]
    headers = [header for _, header, _ in columns]
    for row in rows:
        for key in row:
            if key not in keys:
                keys.append(key)
                headers.append(str(key))
    write_table(sheet, headers, [[row.get(k) for k in keys] for row in rows])


def _conclusions(sheet: Any, report: ComplianceReport) -> None:
    headers = ("条款", "项", "控制点", "要求", "状态", "高风险", "说明", "证据")
    rows, fills = [], []
    for n, item in enumerate(report.items):
        evidence = json.dumps(item.evidence, ensure_ascii=False, default=str)
        rows.append(
            (
                item.clause,
                item.item,
                item.control,
                item.text,
                item.status_zh,
                item.high_risk,
                item.summary,
                evidence,
            )
        )
        fills.append((4, n, STATUS_COLOURS[item.status]))
    write_table(sheet, headers, rows, fills)
    for letter in ("D", "G", "H"):
        sheet.column_dimensions[letter].width = 50


def _sources(sheet: Any, report: ComplianceReport) -> None:
    headers = (
        "来源",
        "数据集",
        "已登记",
        "期间事件数",
        "最早留存",
        "最近接收",
        "预期间隔(秒)",
        "静默",
        "静默时长(秒)",
    )
    rows, fills = [], []
    for n, s in enumerate(report.sources):
        rows.append(
            (
                s.match,
                s.dataset,
                s.registered,
                s.events_in_period,
                s.first_retained,
                s.last_seen,
                s.expected_interval_s,
                s.silent,
                s.silent_for_s,
            )
        )
        if not s.registered:
            fills.append((2, n, WARN))
        if s.silent:
            fills.append((7, n, BAD))
    write_table(sheet, headers, rows, fills)


def _retention(sheet: Any, report: ComplianceReport) -> None:
    days = report.retention_days_policy
    headers = (
        "数据集",
        "事件数",
        "最早留存日",
        "已留存天数",
        f"满足 {days} 天",
        "预计达标日期",
        "留存策略(天)",
    )
    rows, fills = [], []
    for n, r in enumerate(report.retention):
        rows.append(
            (r.dataset, r.events, r.oldest_day, r.days_retained, r.meets_minimum, r.projected_date, days)
        )
        fills.append((4, n, GOOD if r.meets_minimum else BAD))
    write_table(sheet, headers, rows, fills)


def _samples(sheet: Any, report: ComplianceReport) -> None:
    headers = ("数据集", "时间", "厂商", "型号", "原始日志", "存储文档")
    rows = [
        (
            dig(doc, "event.dataset") or dig(doc, "data_stream.dataset"),
            dig(doc, "@timestamp"),
            dig(doc, "observer.vendor"),
            dig(doc, "observer.product"),
            dig(doc, "event.original"),
            json.dumps(doc, ensure_ascii=False, default=str),
        )
        for doc in report.samples
    ]
    write_table(sheet, headers, rows)


def _roles(sheet: Any, report: ComplianceReport) -> None:
    roles: list[str] = []
    for holders in report.role_matrix.values():
        roles.extend(r for r in holders if r not in roles)
    grid = [[perm, *("✓" if r in held else "" for r in roles)] for perm, held in report.role_matrix.items()]
    next_row = write_table(sheet, ["权限", *(role_label(r) for r in roles)], grid)
    admin_values = {r.value for r in ADMIN_ROLES}
    rows, fills = [], []
    for n, h in enumerate(report.role_holders):
        conflict = len(admin_values.intersection(h.roles)) > 1
        if conflict:
            fills.append((5, n, BAD))
        rows.append(
            (
                h.username,
                h.display_name,
                "、".join(role_label(r) for r in h.roles),
                h.disabled,
                h.locked,
                conflict,
            )
        )
    headers = ("账户", "姓名", "角色", "已停用", "已锁定", "三员角色冲突")
    write_table(sheet, headers, rows, fills, first_row=next_row + 2)


def _checks(sheet: Any, report: ComplianceReport) -> None:
    names = {"store": "事件存储分区封存校验", "operation_log": "操作日志哈希链校验"}
    rows: list[tuple[str, str, Any]] = []
    fills: list[Fill] = []
    for key, result in report.checks.items():
        name = names.get(key, key)
        if isinstance(result, Mapping) and "ok" in result:
            fills.append((2, len(rows), GOOD if result["ok"] else BAD))
            rows.append((name, "校验结果", "通过" if result["ok"] else "未通过"))
            result = {k: v for k, v in result.items() if k != "ok"}
        rows.extend((name, k, v) for k, v in flatten(result))
    if report.operation_log_truncated:
        rows.append(("操作日志", "截断", "报告收录的操作日志已截断，完整日志请在平台审计页面查询"))
    write_table(sheet, ("校验项", "项目", "内容"), rows, fills)


def write_xlsx(report: ComplianceReport, path: Path) -> None:
    """Write the evidence pack as an XLSX workbook at ``path``."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    sheets = {name: workbook.create_sheet(name) for name in SHEETS}
    _conclusions(sheets["结论"], report)
    _sources(sheets["日志源"], report)
    _retention(sheets["留存"], report)
    _samples(sheets["样例记录"], report)
    _dict_table(sheets["告警规则"], RULE_COLUMNS, report.rules)
    _dict_table(sheets["告警记录"], ALERT_COLUMNS, report.alerts)
    _dict_table(sheets["安全事件"], INCIDENT_COLUMNS, report.incidents)
    _roles(sheets["角色"], report)
    _dict_table(sheets["操作日志"], OPERATION_LOG_COLUMNS, report.operation_log)
    _checks(sheets["校验"], report)
    for sheet in sheets.values():
        sheet.freeze_panes = "A2"
    start, end = (f"{to_shanghai(t):%Y-%m-%d %H:%M}" for t in (report.period_start, report.period_end))
    workbook.properties.title = TITLE
    workbook.properties.creator = "哨望 Shaowang"
    workbook.properties.subject = "GB/T 22239-2019"
    workbook.properties.description = f"{report.platform}；证据期间 {start} 至 {end} (北京时间)"
    workbook.save(path)
