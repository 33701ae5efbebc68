"""The 网络安全事件报告 form: an A4 PDF with the CJK font embedded (read back with pdftotext) and a
DOCX whose table python-docx reads back, every field of the 办法 in Chinese, times in Beijing time."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn

from playbooks.report_export import report_rows, write_report_docx, write_report_pdf
from soc_core.state.response import ReportRecord

T0 = dt.datetime(2026, 11, 27, 1, 30, tzinfo=dt.UTC)  # 09:30 in Beijing

EXPECTED = {
    "报告单位": "某区政务服务数据管理局",
    "单位类型": "党政机关",
    "涉事系统": "政务服务门户 portal.gov.example（192.0.2.80）",
    "发现时间": "2026-11-27 09:30（北京时间）",
    "发生地点": "区政务云机房",
    "事件分类": "VAI 漏洞攻击事件",
    "事件级别": "较大事件（III 级）",
    "影响范围与危害": "登录接口遭 SQL 注入\n约 1200 条用户手机号可能泄露",
    "已采取的措施": "封禁 203.0.113.10，下线登录接口",
    "初步原因": "登录接口未做参数化查询",
    "调查线索": "攻击源 203.0.113.10",
    "下一步工作": "修复后复测并上线",
    "联系人": "王工 010-5550-0101",
    "报告时限": "2026-11-27 11:30（北京时间），发现后 2 小时内",
    "上报时间": "2026-11-27 10:45（北京时间）",
    "状态": "已上报",
}


def record() -> ReportRecord:
    """A reported 较大 incident of a 党政机关, every field filled."""
    return ReportRecord(
        id=7,
        incident_id=3,
        status="reported",
        unit="某区政务服务数据管理局",
        unit_type="party_government",
        affected_system="政务服务门户 portal.gov.example（192.0.2.80）",
        discovered_at=T0,
        place="区政务云机房",
        category="VAI",
        level="III",
        impact="登录接口遭 SQL 注入\n约 1200 条用户手机号可能泄露",
        measures="封禁 203.0.113.10，下线登录接口",
        preliminary_cause="登录接口未做参数化查询",
        investigation_leads="攻击源 203.0.113.10",
        next_steps="修复后复测并上线",
        contact="王工 010-5550-0101",
        deadline_at=T0 + dt.timedelta(hours=2),
        reported_at=T0 + dt.timedelta(hours=1, minutes=15),
        created_by="analyst",
        created_at=T0,
        updated_at=T0,
    )


def test_the_rows_are_the_fields_of_the_banfa_in_order() -> None:
    assert dict(report_rows(record())) == EXPECTED
    assert [name for name, _ in report_rows(record())] == list(EXPECTED)


def test_empty_fields_and_unknown_codes_show_as_such() -> None:
    draft = record()
    draft.place, draft.measures, draft.reported_at, draft.status, draft.category = (
        None,
        "  ",
        None,
        "draft",
        "X9",
    )
    rows = dict(report_rows(draft))
    assert (rows["发生地点"], rows["已采取的措施"], rows["上报时间"], rows["状态"], rows["事件分类"]) == (
        "—",
        "—",
        "—",
        "草稿",
        "X9",
    )


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext not found: install poppler-utils (apt-get install poppler-utils)")
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return re.sub(r"\s+", "", text)  # pdftotext spaces CJK and Latin text as it likes


def test_the_pdf_carries_the_title_and_every_field(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    write_report_pdf(record(), path)
    assert path.read_bytes().startswith(b"%PDF-")
    text = pdf_text(path)
    for expected in (
        "网络安全事件报告",
        "报告单位",
        "某区政务服务数据管理局",
        "较大事件（III级）",
        "VAI漏洞攻击事件",
    ):
        assert expected in text
    for name, value in EXPECTED.items():
        assert re.sub(r"\s+", "", name + value.split("\n")[0]) in text, name


def test_the_docx_table_has_every_field_and_an_east_asian_font(tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    write_report_docx(record(), path)
    document = Document(str(path))
    assert document.paragraphs[0].text == "网络安全事件报告"
    assert document.paragraphs[1].text == "编号：7　关联事件：3"
    [table] = document.tables
    assert {row.cells[0].text: row.cells[1].text for row in table.rows} == EXPECTED
    cell_run = table.rows[0].cells[1].paragraphs[0].runs[0]
    assert cell_run.element.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"
    normal = document.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "宋体"
    assert document.core_properties.title == "网络安全事件报告"
