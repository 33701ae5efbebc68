"""The evidence pack's PDF and XLSX writers, checked with poppler and openpyxl on a hand-built report."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from compliance.export.pdf import write_pdf
from compliance.export.xlsx import write_xlsx
from compliance.models import ComplianceReport
from soc_core.errors import ConfigError
from soc_core.fonts import find_cjk_font
from tests.compliance.report_factory import INCIDENT_TITLE, SOURCE_MATCH, sample_report

TITLE = "网络安全等级保护（第三级）测评证据报告"
SHEETS = ["结论", "日志源", "留存", "样例记录", "告警规则", "告警记录", "安全事件", "角色"]
SHEETS += ["操作日志", "校验"]


def poppler(tool: str, *args: str) -> str:
    """Run a poppler-utils tool; its absence is a failure, since the PDF cannot be checked without it."""
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} not found: install poppler-utils (apt-get install poppler-utils)")
    return subprocess.run([tool, *args], check=True, capture_output=True, text=True).stdout


def pdf_text(path: Path) -> str:
    return poppler("pdftotext", "-layout", str(path), "-")


def squash(text: str) -> str:
    """Without whitespace: pdftotext -layout drops or adds spaces between CJK and Latin text."""
    return re.sub(r"\s+", "", text)


def read_pgm(path: Path) -> tuple[int, int, bytes]:
    """Width, height and pixels of a binary (P5) PGM as pdftoppm writes it."""
    data = path.read_bytes()
    magic, width, height, maxval, pixels = data.split(maxsplit=4)
    assert magic == b"P5" and maxval == b"255"
    return int(width), int(height), pixels


@pytest.fixture(scope="module")
def report() -> ComplianceReport:
    return sample_report()


@pytest.fixture(scope="module")
def pdf(report: ComplianceReport, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "evidence.pdf"
    write_pdf(report, path)
    return path


@pytest.fixture(scope="module")
def workbook(report: ComplianceReport, tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    path = tmp_path_factory.mktemp("xlsx") / "evidence.xlsx"
    write_xlsx(report, path)
    return openpyxl.load_workbook(path)


def test_pdf_pages_render_with_content(pdf: Path, tmp_path: Path) -> None:
    poppler("pdftoppm", "-png", "-r", "40", str(pdf), str(tmp_path / "png"))
    pngs = sorted(tmp_path.glob("png-*.png"))
    assert len(pngs) >= 2
    assert all(p.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") for p in pngs)

    poppler("pdftoppm", "-gray", "-r", "20", str(pdf), str(tmp_path / "gray"))
    pgms = sorted(tmp_path.glob("gray-*.pgm"))
    assert len(pgms) == len(pngs)
    for pgm in pgms:
        width, height, pixels = read_pgm(pgm)
        assert len(pixels) == width * height
        ink = sum(1 for value in pixels if value < 200) / len(pixels)
        # A page holding only the footer has well under 0.5 % ink; every page carries a heading and a table.
        assert ink > 0.005, f"{pgm.name} is (nearly) blank: {ink:.4f}"


def test_pdf_text_is_extractable_chinese(pdf: Path, report: ComplianceReport) -> None:
    text = pdf_text(pdf)
    for item in report.items:
        assert item.clause in text
        assert item.key in text
    for expected in (
        TITLE,
        "符合",
        "不符合",
        "部分符合",
        "无法判定",
        SOURCE_MATCH,
        INCIDENT_TITLE,
        "生成时间：2025-04-01 00:05:00 +08:00",
        "2025-03-30 19:45:00 +08:00",  # the incident's closing time, 11:45 UTC
        "哨望 Shaowang",
        "第 2 页",
        "日志类型:WAF应用防护日志",
        "没有接入 VPN 日志源",
        "三员角色冲突",
        "期间共 5 条告警。",
        "本报告收录 30 条操作日志。",
    ):
        assert squash(expected) in squash(text), expected


def test_pdf_summary_lists_high_risk_failures_first(pdf: Path) -> None:
    text = pdf_text(pdf)
    summary = text[text.index("1 结论摘要") : text.index("2 逐项说明")]
    keys = re.findall(r"^\s*(8\.1\.\d+\.\d+ [a-f]\))", summary, flags=re.MULTILINE)
    assert keys == [
        "8.1.3.3 d)",
        "8.1.5.4 d)",
        "8.1.4.3 a)",
        "8.1.5.4 f)",
        "8.1.10.12 c)",
        "8.1.10.12 b)",
        "8.1.5.1 a)",
    ]


def test_pdf_sample_original_is_cut_at_300_characters(pdf: Path, report: ComplianceReport) -> None:
    original = report.samples[1]["event"]["original"]
    head = original[: original.index("AAAA")]
    assert (len(original), len(head)) == (465, 65)
    # 300 characters are shown: the 65 before the run of A and 235 of the 400 A.
    run = max(re.findall(r"A+", squash(pdf_text(pdf))), key=len)
    assert len(run) == 235


def test_pdf_embeds_every_font_it_draws_with(pdf: Path) -> None:
    lines = poppler("pdffonts", str(pdf)).splitlines()
    spans, start = [], 0
    for dashes in lines[1].split(" "):
        spans.append((start, start + len(dashes)))
        start += len(dashes) + 1
    rows = [[line[a:b].strip() for a, b in spans] for line in lines[2:]]
    # reportlab always declares Helvetica as its initial canvas font; no text is drawn with it.
    cjk = [row for row in rows if row[0] != "Helvetica"]
    assert cjk
    assert {row[1] for row in cjk} == {"TrueType"}
    assert {row[3] for row in cjk} == {"yes"}


def test_pdf_caps_long_alert_and_operation_lists(report: ComplianceReport, tmp_path: Path) -> None:
    alert = report.alerts[0]
    entry = report.operation_log[0]
    big = report.model_copy(
        update={
            "alerts": [{**alert, "id": f"B-{n:04d}"} for n in range(240)],
            "operation_log": [{**entry, "seq": n, "target": f"T-{n:04d}"} for n in range(520)],
            "operation_log_truncated": True,
        }
    )
    path = tmp_path / "big.pdf"
    write_pdf(big, path)
    text = squash(pdf_text(path))
    assert "期间共240条告警，以下列出前200条。" in text
    assert "B-0199" in text and "B-0200" not in text
    assert "本报告收录520条操作日志，以下列出前500条" in text
    assert "T-0499" in text and "T-0500" not in text
    assert "已截断" in text


def test_xlsx_sheets_and_conclusions(workbook: openpyxl.Workbook, report: ComplianceReport) -> None:
    assert workbook.sheetnames == SHEETS
    sheet = workbook["结论"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("条款", "项", "控制点", "要求", "状态", "高风险", "说明", "证据")
    assert [(r[0], r[1], r[4], r[5]) for r in rows[1:]] == [
        ("8.1.4.3", "a", "符合", "否"),
        ("8.1.3.3", "d", "不符合", "是"),
        ("8.1.5.4", "d", "部分符合", "是"),
        ("8.1.5.4", "f", "符合", "是"),
        ("8.1.10.12", "c", "部分符合", "否"),
        ("8.1.10.12", "b", "无法判定", "否"),
        ("8.1.5.1", "a", "不符合", "否"),
    ]
    assert [json.loads(r[7]) for r in rows[1:]] == [item.evidence for item in report.items]
    fills = {
        cell.value: cell.fill.fgColor.rgb for (cell,) in sheet.iter_rows(min_row=2, min_col=5, max_col=5)
    }
    assert fills == {
        "不符合": "00F4A6A6",
        "部分符合": "00FFD27F",
        "符合": "00B6E0A4",
        "无法判定": "00D9D9D9",
    }


def test_xlsx_headers_are_bold_and_frozen(workbook: openpyxl.Workbook) -> None:
    for name in SHEETS:
        sheet = workbook[name]
        assert sheet.freeze_panes == "A2", name
        assert all(cell.font.bold for cell in sheet[1] if cell.value is not None), name


def test_xlsx_times_are_naive_beijing_time(workbook: openpyxl.Workbook) -> None:
    sheet = workbook["操作日志"]
    assert [c.value for c in sheet[1]] == [
        "序号",
        "时间(北京时间)",
        "操作者",
        "角色",
        "来源IP",
        "操作",
        "对象",
        "结果",
        "详情",
    ]
    # Entry 1 was written at 2025-03-01 18:00 UTC.
    assert [c.value for c in sheet[2]] == [
        1,
        dt.datetime(2025, 3, 2, 2, 0, 0),
        "secadmin-zhao",
        "security_admin",
        "10.20.1.11",
        "rule.reload",
        "rules/web/sqli.yml",
        "success",
        None,
    ]
    assert sheet.max_row == 31
    sources = workbook["日志源"]
    assert sources["E1"].value == "最早留存(北京时间)"
    assert sources["E2"].value == dt.datetime(2024, 9, 12, 0, 0, 2)


def test_xlsx_keeps_extra_keys_and_never_writes_formulas(report: ComplianceReport, tmp_path: Path) -> None:
    odd = {"id": "A-9", "rule_name": '=HYPERLINK("http://example.com")', "sensor": "dmz-1"}
    path = tmp_path / "odd.xlsx"
    write_xlsx(report.model_copy(update={"alerts": [odd]}), path)
    sheet = openpyxl.load_workbook(path)["告警记录"]
    assert [c.value for c in sheet[1]][-1] == "sensor"
    assert sheet["A2"].value == "A-9" and sheet["B2"].value is None
    assert sheet["C2"].data_type == "s"
    assert sheet["K2"].value == "dmz-1"


def test_find_cjk_font_names_the_package_when_none_is_installed(tmp_path: Path) -> None:
    missing = [tmp_path / "a.ttc", tmp_path / "b.ttf"]
    with pytest.raises(ConfigError) as caught:
        find_cjk_font(candidates=missing)
    assert "fonts-wqy-zenhei" in str(caught.value)
    assert all(str(path) in str(caught.value) for path in missing)


def test_find_cjk_font_takes_the_first_installed_candidate(tmp_path: Path) -> None:
    second, third = tmp_path / "b.ttc", tmp_path / "c.ttf"
    second.write_bytes(b"ttcf")
    third.write_bytes(b"\x00\x01\x00\x00")
    assert find_cjk_font(candidates=[tmp_path / "a.ttc", second, third]) == second
    assert find_cjk_font(third, candidates=[second]) == third
    with pytest.raises(ConfigError):
        find_cjk_font(tmp_path / "absent.ttf")
