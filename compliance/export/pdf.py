"""The 等保 evidence pack as an A4 PDF, Chinese throughout, with the CJK font embedded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from compliance.models import ComplianceReport, ItemResult
from soc_core.fonts import find_cjk_font
from soc_core.vocabulary import ADMIN_ROLES, ComplianceStatus, IncidentLevel, Role

SHANGHAI = ZoneInfo("Asia/Shanghai")
STATUS_COLOURS: dict[ComplianceStatus, str] = {
    ComplianceStatus.NON_COMPLIANT: "#F4A6A6",
    ComplianceStatus.PARTIAL: "#FFD27F",
    ComplianceStatus.COMPLIANT: "#B6E0A4",
    ComplianceStatus.UNDETERMINED: "#D9D9D9",
}
GOOD, BAD = STATUS_COLOURS[ComplianceStatus.COMPLIANT], STATUS_COLOURS[ComplianceStatus.NON_COMPLIANT]
WARN = STATUS_COLOURS[ComplianceStatus.PARTIAL]
TITLE = "网络安全等级保护（第三级）测评证据报告"
FOOTER = "哨望 Shaowang"
ALERT_CAP, OPERATION_LOG_CAP, LIST_CAP, ORIGINAL_CAP, CELL_CAP = 200, 500, 20, 300, 600
# (dict key, column header, relative width); the XLSX sheets use the same columns.
Column = tuple[str, str, float]
RULE_COLUMNS: tuple[Column, ...] = (
    ("rule_id", "规则编号", 30),
    ("title", "名称", 40),
    ("state", "状态", 16),
    ("reason", "原因", 40),
    ("matches", "命中数", 14),
    ("last_fired", "最近触发", 38),
    ("path", "路径", 60),
)
ALERT_COLUMNS: tuple[Column, ...] = (
    ("id", "编号", 22),
    ("timestamp", "时间", 38),
    ("rule_name", "规则", 34),
    ("severity", "级别", 10),
    ("status", "状态", 16),
    ("source_ip", "源IP", 26),
    ("destination_ip", "目的IP", 26),
    ("attack_type", "攻击类型", 22),
    ("assignee", "处理人", 24),
    ("disposition", "结论", 22),
)
OPERATION_LOG_COLUMNS: tuple[Column, ...] = (
    ("seq", "序号", 10),
    ("ts", "时间", 38),
    ("actor", "操作者", 24),
    ("actor_roles", "角色", 34),
    ("source_ip", "来源IP", 26),
    ("action", "操作", 24),
    ("target", "对象", 34),
    ("outcome", "结果", 14),
    ("detail", "详情", 63),
)
_FAILING = (ComplianceStatus.NON_COMPLIANT, ComplianceStatus.PARTIAL)
_HEADER_BG = colors.HexColor("#2F4F6F")
_LABEL_BG = colors.HexColor("#EEF1F4")
_MARGIN = 15 * mm
_PORTRAIT, _LANDSCAPE = A4, landscape(A4)


def to_shanghai(value: dt.datetime) -> dt.datetime:
    """Beijing time; a naive datetime is taken to be UTC, as the platform stores them."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(SHANGHAI)


def parse_time(value: Any) -> dt.datetime | None:
    """``value`` as a datetime when it is one or an ISO 8601 string, else None."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and value[10:11] in "T ":
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def format_time(value: Any) -> str:
    """``2025-04-01 00:05:00 +08:00``, or the empty string when there is no time."""
    when = parse_time(value)
    return to_shanghai(when).strftime("%Y-%m-%d %H:%M:%S +08:00") if when else ""


def format_value(value: Any) -> str:
    """A cell's text: times in Beijing time, booleans as 是/否, lists joined, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime) or parse_time(value):
        return format_time(value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return capped_join(value)
    return str(value)


def capped_join(values: Sequence[Any]) -> str:
    """At most ``LIST_CAP`` entries, then how many there are in all."""
    shown = "、".join(format_value(v) for v in values[:LIST_CAP])
    return f"{shown} …共 {len(values)} 项" if len(values) > LIST_CAP else shown


def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Nested evidence numbers as ``a.b`` → text rows; long lists are capped."""
    if isinstance(value, Mapping):
        rows: list[tuple[str, str]] = []
        for key, inner in value.items():
            rows.extend(flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return rows
    if isinstance(value, list | tuple) and any(isinstance(v, Mapping | list | tuple) for v in value):
        rows = []
        for index, inner in enumerate(value[:LIST_CAP]):
            rows.extend(flatten(inner, f"{prefix}[{index}]"))
        if len(value) > LIST_CAP:
            rows.append((prefix, f"…共 {len(value)} 项"))
        return rows
    return [(prefix, format_value(value))]


def dig(doc: Mapping[str, Any], dotted: str) -> Any:
    """``doc['event']['original']`` or ``doc['event.original']``, whichever the document has."""
    if dotted in doc:
        return doc[dotted]
    node: Any = doc
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def summary_order(items: Iterable[ItemResult]) -> list[ItemResult]:
    """High-risk failing items first (不符合 before 部分符合), the rest in catalogue order."""

    def rank(item: ItemResult) -> int:
        failing = item.high_risk and item.status in _FAILING
        return _FAILING.index(item.status) if failing else len(_FAILING)

    return sorted(items, key=rank)


def role_label(role: str) -> str:
    try:
        return f"{Role(role).label_zh}({role})"
    except ValueError:
        return role


def status_of_total(key: str) -> ComplianceStatus | None:
    """The status a ``totals`` key counts, whether keyed by value (``partial``) or label (部分符合)."""
    for status in ComplianceStatus:
        if key in (status.value, status.label_zh):
            return status
    return None


class _Styles:
    """Paragraph styles in the registered CJK font."""

    def __init__(self, font: str) -> None:
        base = ParagraphStyle("body", fontName=font, fontSize=9, leading=13, wordWrap="CJK")
        self.body = base
        self.cell = ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9.5)
        self.head = ParagraphStyle("head", parent=self.cell, textColor=colors.white)
        self.h1 = ParagraphStyle("h1", parent=base, fontSize=15, leading=20, spaceBefore=6, spaceAfter=8)
        self.h2 = ParagraphStyle("h2", parent=base, fontSize=11, leading=15, spaceBefore=8, spaceAfter=4)
        self.note = ParagraphStyle("note", parent=base, fontSize=8, leading=11, textColor=colors.dimgrey)
        self.title = ParagraphStyle("title", parent=base, fontSize=20, leading=28, alignment=TA_CENTER)
        self.cover = ParagraphStyle("cover", parent=base, fontSize=11, leading=18, alignment=TA_CENTER)


class _Builder:
    """Turns a report into platypus flowables."""

    def __init__(self, report: ComplianceReport, font: str) -> None:
        self.report = report
        self.s = _Styles(font)
        self.story: list[Any] = []
        self.width = _PORTRAIT[0] - 2 * _MARGIN

    def new_page(self, *, wide: bool = False) -> None:
        """Start a page; wide tables (alerts, operation log) get landscape pages."""
        self.story.append(NextPageTemplate("landscape" if wide else "portrait"))
        self.story.append(PageBreak())
        self.width = (_LANDSCAPE if wide else _PORTRAIT)[0] - 2 * _MARGIN

    def keep_together_from(self, start: int) -> None:
        """Keep a heading with the tables under it."""
        self.story[start:] = [KeepTogether(self.story[start:])]

    def para(self, text: str, style: ParagraphStyle | None = None) -> None:
        self.story.append(Paragraph(escape(text), style or self.s.body))

    def table(
        self,
        headers: Sequence[str] | None,
        rows: Sequence[Sequence[Any]],
        widths_mm: Sequence[float],
        fills: Iterable[tuple[int, int, str]] = (),
    ) -> None:
        """A wrapped table, full width, with a repeated header; ``fills`` are (column, data row, colour).

        Without headers it is a label/value table: the first column is shaded instead.
        """
        scale = self.width / (sum(widths_mm) * mm)
        data = [[Paragraph(escape(h), self.s.head) for h in headers]] if headers else []
        top = 1 if headers else 0
        for row in rows:
            cells = [format_value(v) for v in row]
            data.append([Paragraph(escape(_clip(c)).replace("\n", "<br/>"), self.s.cell) for c in cells])
        commands: list[tuple[Any, ...]] = [
            ("BACKGROUND", (0, 0), (-1, 0), _HEADER_BG)
            if headers
            else ("BACKGROUND", (0, 0), (0, -1), _LABEL_BG),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9AA5B1")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ]
        commands += [
            ("BACKGROUND", (c, r + top), (c, r + top), colors.HexColor(fill)) for c, r, fill in fills
        ]
        widths = [w * mm * scale for w in widths_mm]
        table = Table(data, colWidths=widths, repeatRows=top, style=TableStyle(commands), hAlign="LEFT")
        self.story.append(table)
        self.story.append(Spacer(1, 3 * mm))

    def column_table(self, columns: Sequence[Column], rows: Sequence[Mapping[str, Any]]) -> None:
        """Dict rows under fixed columns; a key a row lacks is an empty cell."""
        headers = [header for _, header, _ in columns]
        self.table(
            headers, [[row.get(key) for key, _, _ in columns] for row in rows], [w for _, _, w in columns]
        )

    def build(self) -> list[Any]:
        for section in (
            self.cover,
            self.conclusions,
            self.item_details,
            self.sources,
            self.retention,
            self.samples,
            self.rules_and_alerts,
            self.incidents,
            self.roles,
            self.operation_log,
            self.checks,
        ):
            section()
        return self.story

    def cover(self) -> None:
        r = self.report
        self.story.append(Spacer(1, 50 * mm))
        self.para(TITLE, self.s.title)
        self.para("GB/T 22239-2019《信息安全技术 网络安全等级保护基本要求》第三级", self.s.cover)
        self.story.append(Spacer(1, 18 * mm))
        self.para(f"被测平台：{r.platform}", self.s.cover)
        self.para(f"证据期间：{format_time(r.period_start)} 至 {format_time(r.period_end)}", self.s.cover)
        self.para(f"生成时间：{format_time(r.generated_at)}", self.s.cover)
        self.story.append(Spacer(1, 12 * mm))
        statuses = [status_of_total(k) for k in r.totals]
        totals = [(s.label_zh if s else k, v) for s, (k, v) in zip(statuses, r.totals.items(), strict=True)]
        fills = [(0, n, STATUS_COLOURS[s]) for n, s in enumerate(statuses) if s]
        self.table(("结论", "测评项数"), totals, (90, 90), fills)
        self.para("本报告由平台依据自身留存数据自动生成；“无法判定”项须由测评人员人工核查。", self.s.note)
        self.new_page()

    def conclusions(self) -> None:
        self.para("1 结论摘要", self.s.h1)
        ordered = summary_order(self.report.items)
        rows = [(i.key, i.control, i.status_zh, "高风险" if i.high_risk else "—", i.summary) for i in ordered]
        fills = [(2, n, STATUS_COLOURS[i.status]) for n, i in enumerate(ordered)]
        fills += [(3, n, BAD) for n, i in enumerate(ordered) if i.high_risk and i.status in _FAILING]
        self.table(("条款", "控制点", "状态", "高风险", "说明"), rows, (22, 22, 18, 15, 103), fills)
        self.para("高风险：该项不符合时依《网络安全等级保护测评高风险判定指引》构成高风险。", self.s.note)

    def item_details(self) -> None:
        self.new_page()
        self.para("2 逐项说明", self.s.h1)
        for item in self.report.items:
            start = len(self.story)
            marker = "（高风险项）" if item.high_risk else ""
            self.para(f"{item.key} {item.control} —— {item.status_zh}{marker}", self.s.h2)
            pairs: list[tuple[str, Any]] = [
                ("要求", item.text),
                ("证据来源", item.evidenced_by),
                ("测评方法", item.method),
                ("结论", f"{item.status_zh}：{item.summary}"),
            ]
            if item.high_risk_note:
                pairs.append(("高风险情形", item.high_risk_note))
            self.table(None, pairs, (25, 155))
            numbers = flatten(item.evidence)
            if numbers:
                self.table(("证据数值", "值"), numbers, (60, 120))
            else:
                self.para("（无数值证据）", self.s.note)
            self.keep_together_from(start)

    def sources(self) -> None:
        self.new_page()
        self.para("3 日志源清单", self.s.h1)
        rows, fills = [], []
        for n, s in enumerate(self.report.sources):
            silence = "正常"
            if s.silent:
                silence = f"静默 {s.silent_for_s / 3600:.1f} 小时" if s.silent_for_s else "静默"
                fills.append((7, n, BAD))
            if not s.registered:
                fills.append((2, n, WARN))
            interval = f"{s.expected_interval_s} 秒" if s.expected_interval_s else ""
            registered = "已登记" if s.registered else "未登记"
            first, last = s.first_retained, s.last_seen
            rows.append(
                (s.match, s.dataset, registered, f"{s.events_in_period:,}", first, last, interval, silence)
            )
        headers = ("来源", "数据集", "登记", "期间事件数", "最早留存", "最近接收", "预期间隔", "状态")
        self.table(headers, rows, (28, 22, 13, 18, 27, 27, 15, 20), fills)

    def retention(self) -> None:
        self.para("4 留存证明", self.s.h1)
        days = self.report.retention_days_policy
        self.para(f"留存策略：{days} 天（《网络安全法》第二十一条要求网络日志留存不少于六个月）。")
        rows, fills = [], []
        for n, r in enumerate(self.report.retention):
            rows.append(
                (r.dataset, f"{r.events:,}", r.oldest_day, r.days_retained, r.meets_minimum, r.projected_date)
            )
            fills.append((4, n, GOOD if r.meets_minimum else BAD))
        headers = ("数据集", "事件数", "最早留存日", "已留存天数", f"满足 {days} 天", "预计达标日期")
        self.table(headers, rows, (35, 28, 28, 25, 27, 37), fills)

    def samples(self) -> None:
        self.para("5 样例记录", self.s.h1)
        self.para("每个数据集最新一条已存储事件的原始日志（event.original），截取前 300 字。", self.s.note)
        if not self.report.samples:
            self.para("（无样例记录）")
        for doc in self.report.samples:
            start = len(self.story)
            original = format_value(dig(doc, "event.original"))
            if len(original) > ORIGINAL_CAP:
                original = original[:ORIGINAL_CAP] + "…"
            vendor = " ".join(
                format_value(dig(doc, k)) for k in ("observer.vendor", "observer.product")
            ).strip()
            pairs = [
                ("数据集", dig(doc, "event.dataset") or dig(doc, "data_stream.dataset")),
                ("时间", dig(doc, "@timestamp")),
                ("设备厂商/型号", vendor),
                ("原始日志", original),
            ]
            self.table(None, pairs, (30, 150))
            self.keep_together_from(start)

    def rules_and_alerts(self) -> None:
        self.new_page(wide=True)
        self.para("6 告警规则与告警记录", self.s.h1)
        self.para("6.1 告警规则", self.s.h2)
        self.column_table(RULE_COLUMNS, self.report.rules)
        alerts = self.report.alerts
        self.para("6.2 告警记录", self.s.h2)
        shown = alerts[:ALERT_CAP]
        extra = f"，以下列出前 {ALERT_CAP} 条" if len(alerts) > ALERT_CAP else ""
        self.para(f"期间共 {len(alerts)} 条告警{extra}。", self.s.note)
        self.column_table(ALERT_COLUMNS, shown)

    def incidents(self) -> None:
        self.new_page()
        self.para("7 安全事件", self.s.h1)
        if not self.report.incidents:
            self.para("期间无安全事件记录。")
        for inc in self.report.incidents:
            start = len(self.story)
            self.para(f"{format_value(inc.get('id'))} {format_value(inc.get('title'))}", self.s.h2)
            level = format_value(inc.get("level"))
            if level in {lv.value for lv in IncidentLevel}:
                level = f"{IncidentLevel(level).label_zh}（{level} 级）"
            pairs: list[tuple[str, Any]] = [
                ("类别", inc.get("category")),
                ("级别", level),
                ("状态", inc.get("status")),
                ("负责人", inc.get("owner")),
                ("创建时间", inc.get("created_at")),
                ("关闭时间", inc.get("closed_at")),
                ("证据数", inc.get("evidence_count")),
                ("原因分析", inc.get("cause_analysis") or "（未填写）"),
                ("处置记录", inc.get("handling_record") or "（未填写）"),
                ("经验教训", inc.get("lessons_learned") or "（未填写）"),
            ]
            self.table(None, pairs, (25, 155))
            self.keep_together_from(start)

    def roles(self) -> None:
        self.para("8 角色与权限（三员分立）", self.s.h1)
        self.para("8.1 角色矩阵", self.s.h2)
        matrix = [
            (perm, "、".join(role_label(r) for r in roles)) for perm, roles in self.report.role_matrix.items()
        ]
        self.table(("权限", "持有该权限的角色"), matrix, (45, 135))
        self.para("8.2 角色持有人", self.s.h2)
        admin_values = {r.value for r in ADMIN_ROLES}
        rows, fills = [], []
        for n, h in enumerate(self.report.role_holders):
            state = "已停用" if h.disabled else "已锁定" if h.locked else "正常"
            conflict = len(admin_values.intersection(h.roles)) > 1
            if conflict:
                fills.append((4, n, BAD))
            roles = "、".join(role_label(r) for r in h.roles)
            rows.append((h.username, h.display_name, roles, state, "三员角色冲突" if conflict else "—"))
        self.table(("账户", "姓名", "角色", "账户状态", "三员分立"), rows, (32, 22, 70, 22, 34), fills)

    def operation_log(self) -> None:
        self.new_page(wide=True)
        self.para("9 操作日志", self.s.h1)
        log = self.report.operation_log
        note = f"本报告收录 {len(log)} 条操作日志"
        if len(log) > OPERATION_LOG_CAP:
            note += f"，以下列出前 {OPERATION_LOG_CAP} 条（完整记录见 XLSX 证据表）"
        self.para(note + "。", self.s.note)
        if self.report.operation_log_truncated:
            self.para(
                "注意：生成报告时操作日志超出收录上限，已截断；完整日志请在平台审计页面查询。", self.s.note
            )
        self.column_table(OPERATION_LOG_COLUMNS, log[:OPERATION_LOG_CAP])

    def checks(self) -> None:
        self.new_page()
        self.para("10 完整性校验", self.s.h1)
        names = {"store": "事件存储分区封存校验", "operation_log": "操作日志哈希链校验"}
        for key, result in self.report.checks.items():
            self.para(names.get(key, key), self.s.h2)
            if isinstance(result, Mapping) and "ok" in result:
                verdict = "通过" if result["ok"] else "未通过"
                rest = {k: v for k, v in result.items() if k != "ok"}
                rows = [("校验结果", verdict), *flatten(rest)]
                self.table(None, rows, (45, 135), [(1, 0, GOOD if result["ok"] else BAD)])
            else:
                self.table(None, flatten(result, key) or [(key, "")], (45, 135))


def _clip(text: str) -> str:
    # A single table cell cannot be split across pages, so it must stay well below a page's height.
    return text if len(text) <= CELL_CAP else text[:CELL_CAP] + "…"


def register_font(font: Path) -> str:
    """Register the CJK font with reportlab (once per file) and return its name."""
    name = f"ShaowangCJK-{font.stem}"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(font), subfontIndex=0))
    return name


def write_pdf(report: ComplianceReport, path: Path, *, font: Path | None = None) -> None:
    """Write the evidence pack as a PDF at ``path``."""
    font_name = register_font(find_cjk_font(font))

    def footer(canvas: Any, doc: Any) -> None:
        width = canvas._pagesize[0]
        canvas.saveState()
        canvas.setFont(font_name, 8)
        canvas.setFillColor(colors.dimgrey)
        canvas.drawString(_MARGIN, 10 * mm, FOOTER)
        canvas.drawRightString(width - _MARGIN, 10 * mm, f"第 {doc.page} 页")
        canvas.restoreState()

    def template(name: str, size: tuple[float, float]) -> Any:
        frame = Frame(
            _MARGIN, 18 * mm, size[0] - 2 * _MARGIN, size[1] - 33 * mm, id=name, leftPadding=0, rightPadding=0
        )
        return PageTemplate(id=name, frames=[frame], pagesize=size, onPage=footer)

    doc = BaseDocTemplate(
        str(path),
        pagesize=_PORTRAIT,
        pageTemplates=[template("portrait", _PORTRAIT), template("landscape", _LANDSCAPE)],
        title=TITLE,
        author=FOOTER,
        subject="GB/T 22239-2019",
    )
    doc.build(_Builder(report, font_name).build())
