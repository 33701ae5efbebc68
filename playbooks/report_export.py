"""A 通报 record as the 网络安全事件报告 form: A4 PDF (CJK font embedded) and DOCX.

Both carry the same rows, every field of 《国家网络安全事件报告管理办法》 in Chinese, with times
in Beijing time (Asia/Shanghai), as the receiving authority reads them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.styles.style import CharacterStyle, ParagraphStyle
from docx.text.run import Run
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle as PdfParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from playbooks.reports import UNIT_TYPE_LABELS_ZH
from soc_core.fonts import find_cjk_font
from soc_core.state.models import utc
from soc_core.state.response import ReportRecord
from soc_core.vocabulary import REPORT_STATUS_LABELS_ZH, IncidentLevel, ReportStatus, UnitType

__all__ = ["GB20986_LABELS_ZH", "TITLE", "report_rows", "write_report_docx", "write_report_pdf"]

TITLE = "网络安全事件报告"
SHANGHAI = ZoneInfo("Asia/Shanghai")
DOCX_EAST_ASIAN_FONT = "宋体"  # what Word on a government desktop has for Chinese text
EMPTY = "—"

# Names of the GB/Z 20986-2007 codes the platform classifies with (detectors/data/gb20986.yml);
# a code not listed here is shown on its own.
GB20986_LABELS_ZH: dict[str, str] = {
    "MI": "有害程序事件",
    "CVI": "计算机病毒事件",
    "WI": "蠕虫事件",
    "THI": "特洛伊木马事件",
    "BI": "僵尸网络事件",
    "BAI": "混合攻击程序事件",
    "WBPI": "网页内嵌恶意代码事件",
    "NAI": "网络攻击事件",
    "DOSAI": "拒绝服务攻击事件",
    "BDAI": "后门攻击事件",
    "VAI": "漏洞攻击事件",
    "NSEI": "网络扫描窃听事件",
    "PI": "网络钓鱼事件",
    "II": "干扰事件",
    "IDI": "信息破坏事件",
    "IAI": "信息篡改事件",
    "IMI": "信息假冒事件",
    "ILEI": "信息泄漏事件",
    "III": "信息窃取事件",
    "ILOI": "信息丢失事件",
    "ICSI": "信息内容安全事件",
    "FF": "设备设施故障",
    "SHF": "软硬件自身故障",
    "PSFF": "外围保障设施故障",
    "MDA": "人为破坏事故",
    "DI": "灾害性事件",
    "OI": "其他信息安全事件",
}


def _time(value: dt.datetime | None) -> str:
    if value is None:
        return EMPTY
    return utc(value).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") + "（北京时间）"


def _text(value: str | None) -> str:
    return value.strip() if value and value.strip() else EMPTY


def _unit_type(code: str) -> str:
    try:
        return UNIT_TYPE_LABELS_ZH[UnitType(code)]
    except ValueError:
        return code


def _category(code: str) -> str:
    name = GB20986_LABELS_ZH.get(code.upper())
    return f"{code} {name}" if name else code


def _level(code: str) -> str:
    try:
        return f"{IncidentLevel(code).label_zh}（{code} 级）"
    except ValueError:
        return code


def _status(code: str) -> str:
    try:
        return REPORT_STATUS_LABELS_ZH[ReportStatus(code)]
    except ValueError:
        return code


def _deadline(record: ReportRecord) -> str:
    hours = (utc(record.deadline_at) - utc(record.discovered_at)).total_seconds() / 3600
    return f"{_time(record.deadline_at)}，发现后 {hours:g} 小时内"


def report_rows(record: ReportRecord) -> list[tuple[str, str]]:
    """(field, value) rows of the form, in the 办法's order, values as a reader sees them."""
    return [
        ("报告单位", _text(record.unit)),
        ("单位类型", _unit_type(record.unit_type)),
        ("涉事系统", _text(record.affected_system)),
        ("发现时间", _time(record.discovered_at)),
        ("发生地点", _text(record.place)),
        ("事件分类", _category(record.category)),
        ("事件级别", _level(record.level)),
        ("影响范围与危害", _text(record.impact)),
        ("已采取的措施", _text(record.measures)),
        ("初步原因", _text(record.preliminary_cause)),
        ("调查线索", _text(record.investigation_leads)),
        ("下一步工作", _text(record.next_steps)),
        ("联系人", _text(record.contact)),
        ("报告时限", _deadline(record)),
        ("上报时间", _time(record.reported_at)),
        ("状态", _status(record.status)),
    ]


def _register_font(font: Path) -> str:
    name = f"ShaowangCJK-{font.stem}"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(font), subfontIndex=0))
    return name


def _cell(text: str, style: PdfParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def write_report_pdf(record: ReportRecord, path: Path, *, font: Path | None = None) -> None:
    """Write the record as an A4 PDF form at ``path``; ``font`` defaults to an installed CJK font."""
    font_name = _register_font(find_cjk_font(font))
    title = PdfParagraphStyle("title", fontName=font_name, fontSize=18, leading=26, alignment=TA_CENTER)
    note = PdfParagraphStyle("note", fontName=font_name, fontSize=9, leading=13, textColor=colors.dimgrey)
    label = PdfParagraphStyle("label", fontName=font_name, fontSize=10.5, leading=15)
    body = PdfParagraphStyle("body", fontName=font_name, fontSize=10.5, leading=15, wordWrap="CJK")
    reference = f"编号：{record.id}" + (f"　关联事件：{record.incident_id}" if record.incident_id else "")
    table = Table(
        [[_cell(name, label), _cell(value, body)] for name, value in report_rows(record)],
        colWidths=(38 * mm, 132 * mm),
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#EEF1F5")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=TITLE,
        author=record.unit,
        subject="《国家网络安全事件报告管理办法》",
    )
    doc.build(
        [
            Paragraph(TITLE, title),
            Spacer(1, 4 * mm),
            Paragraph(escape(reference), note),
            Spacer(1, 3 * mm),
            table,
        ]
    )


def _east_asian(target: Run | ParagraphStyle | CharacterStyle, name: str) -> None:
    """Make Word use ``name`` for Chinese characters (w:eastAsia), not only for Latin ones."""
    target.font.name = name
    element = target.element
    fonts = element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)


def write_report_docx(record: ReportRecord, path: Path) -> None:
    """Write the record as a DOCX form (one two-column table) at ``path``."""
    document = Document()
    for style_name in ("Normal", "Title", "Table Grid"):
        style = document.styles[style_name]
        if isinstance(style, ParagraphStyle | CharacterStyle):
            _east_asian(style, DOCX_EAST_ASIAN_FONT)
    heading = document.add_paragraph(style="Title")
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading_run = heading.add_run(TITLE)
    _east_asian(heading_run, DOCX_EAST_ASIAN_FONT)
    reference = f"编号：{record.id}" + (f"　关联事件：{record.incident_id}" if record.incident_id else "")
    _east_asian(document.add_paragraph().add_run(reference), DOCX_EAST_ASIAN_FONT)
    rows = report_rows(record)
    table = document.add_table(rows=len(rows), cols=2)
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for row, (name, value) in zip(table.rows, rows, strict=True):
        label_cell, value_cell = row.cells
        label_cell.width, value_cell.width = Cm(4), Cm(12)
        label_run = label_cell.paragraphs[0].add_run(name)
        label_run.bold = True
        value_run = value_cell.paragraphs[0].add_run(value)
        for run in (label_run, value_run):
            run.font.size = Pt(10.5)
            _east_asian(run, DOCX_EAST_ASIAN_FONT)
    document.core_properties.title = TITLE
    document.core_properties.author = record.unit
    document.save(str(path))
