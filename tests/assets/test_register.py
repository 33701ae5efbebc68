"""Reading asset registers: CSV in UTF-8 / BOM / GB18030 / UTF-16, XLSX, Chinese headers, row errors."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from soc_core.assets.models import UNSET, AssetInput, default_zones, parse_criticality, parse_level
from soc_core.assets.register import RegisterRow, read_register
from soc_core.vocabulary import Criticality

ZONES = default_zones()
CN_HEADER = "IP地址,主机名,责任单位,安全域,设备类型,等保级别,重要程度,联系人"
CN_ROWS = (
    "192.0.2.10,web01.example.com,区大数据局,DMZ,Web服务器,三级,核心,张三\n"
    "198.51.100.0/24,,区财政局,专用网络区,,第二级,低,\n"
    "2001:DB8:0:0::1,dns01,区大数据局,management,DNS,3,中,李四\n"
)


def xlsx(rows: list[list[object]], *, sheet: str | None = None, before: tuple[str, ...] = ()) -> bytes:
    """A workbook holding ``rows`` on sheet ``sheet``; ``before`` names a cover sheet put in front."""
    book = Workbook()
    first = book.active
    assert first is not None
    if before:
        first.title = before[0]
        first.append(["说明", "这一页不是台账"])
        target = book.create_sheet(sheet or "Sheet2")
    else:
        target = first
        if sheet:
            target.title = sheet
    for row in rows:
        target.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


EXPECTED_CN = [
    RegisterRow(
        row=2,
        ip="192.0.2.10",
        cidr=None,
        fields=AssetInput(
            address="192.0.2.10",
            hostname="web01.example.com",
            owner_unit="区大数据局",
            zone="dmz",
            device_type="Web服务器",
            level=3,
            criticality=Criticality.CRITICAL,
            contact="张三",
        ),
    ),
    RegisterRow(
        row=3,
        ip=None,
        cidr="198.51.100.0/24",
        fields=AssetInput(
            address="198.51.100.0/24",
            owner_unit="区财政局",
            zone="private",
            level=2,
            criticality=Criticality.LOW,
        ),
    ),
    RegisterRow(
        row=4,
        ip="2001:db8::1",
        cidr=None,
        fields=AssetInput(
            address="2001:db8::1",
            hostname="dns01",
            owner_unit="区大数据局",
            zone="management",
            device_type="DNS",
            level=3,
            criticality=Criticality.MEDIUM,
            contact="李四",
        ),
    ),
]


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda t: t.encode("utf-8"), id="utf-8"),
        pytest.param(lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"), id="utf-8-bom"),
        pytest.param(lambda t: t.encode("gb18030"), id="gb18030"),
        pytest.param(lambda t: t.encode("gbk"), id="gbk"),
        pytest.param(lambda t: t.replace("\n", "\r\n").encode("gb18030"), id="gb18030-crlf"),
    ],
)
def test_csv_with_chinese_headers_in_every_encoding_excel_writes(encode: object) -> None:
    data = encode(CN_HEADER + "\n" + CN_ROWS)  # type: ignore[operator]
    result = read_register(data, "资产台账.csv", zones=ZONES)
    assert result.errors == []
    assert result.rows == EXPECTED_CN


def test_excel_unicode_text_is_tab_separated_utf16() -> None:
    text = (CN_HEADER + "\n" + CN_ROWS).replace(",", "\t")
    result = read_register(b"\xff\xfe" + text.encode("utf-16-le"), "assets.txt", zones=ZONES)
    assert result.errors == []
    assert result.rows == EXPECTED_CN


def test_english_headers_and_empty_cells_are_not_given() -> None:
    data = (
        b"Address,Hostname,Owner,Zone,Device type,Level,Criticality,Contact\n"
        b"203.0.113.7,mail.example.org,,public,,,high,\n"
    )
    result = read_register(data, "assets.csv", zones=ZONES)
    assert result.errors == []
    (row,) = result.rows
    assert row.fields == AssetInput(
        address="203.0.113.7", hostname="mail.example.org", zone="public", criticality=Criticality.HIGH
    )
    assert row.fields.owner_unit is UNSET and row.fields.level is UNSET
    assert row.fields.given() == {
        "hostname": "mail.example.org",
        "zone": "public",
        "criticality": Criticality.HIGH,
    }


def test_xlsx_sheet_named_register_with_title_row_and_numeric_cells() -> None:
    rows: list[list[object]] = [
        ["某区电子政务外网资产台账（2024年12月）"],
        ["IP地址（必填）", "主机名", "责任单位", "安全域", "等保级别", "重要程度", "联系人"],
        ["192.0.2.10", "web01.example.com", "区大数据局", "DMZ", 3, "核心", "张三"],
        ["192.0.2.11", "db01", "区大数据局", "专用网络区", 2.0, "高", None],
        [None, None, None, None, None, None, None],
        ["203.0.113.0/25", None, "区教育局", "public", "第一级", "low", 13800000000],
    ]
    data = xlsx(rows, sheet="资产台账", before=("封面",))
    result = read_register(data, "assets.xlsx", zones=ZONES)
    assert result.errors == []
    assert [(r.row, r.address, r.fields.given()) for r in result.rows] == [
        (
            3,
            "192.0.2.10",
            {
                "hostname": "web01.example.com",
                "owner_unit": "区大数据局",
                "zone": "dmz",
                "level": 3,
                "criticality": Criticality.CRITICAL,
                "contact": "张三",
            },
        ),
        (
            4,
            "192.0.2.11",
            {
                "hostname": "db01",
                "owner_unit": "区大数据局",
                "zone": "private",
                "level": 2,
                "criticality": Criticality.HIGH,
            },
        ),
        (
            6,
            "203.0.113.0/25",
            {
                "owner_unit": "区教育局",
                "zone": "public",
                "level": 1,
                "criticality": Criticality.LOW,
                "contact": "13800000000",
            },
        ),
    ]


def test_xlsx_without_register_sheet_reads_the_first() -> None:
    data = xlsx([["CIDR", "Zone"], ["198.51.100.0/24", "Private"]], sheet="Sheet1")
    result = read_register(data, "net.xlsx", zones=ZONES)
    assert result.errors == []
    assert [(r.cidr, r.fields.zone) for r in result.rows] == [("198.51.100.0/24", "private")]


def test_row_errors_name_file_and_row_and_good_rows_pass() -> None:
    rows: list[list[object]] = [
        ["IP", "主机名", "安全域", "等保级别", "重要程度"],
        ["192.0.2.1", "a", "dmz", "三级", "高"],
        ["192.0.2.2", "b", "办公区", None, None],
        ["192.0.2.3", "c", None, "五级", None],
        ["192.0.2.4", "d", None, None, "极高"],
        [None, "no-address", None, None, None],
        ["10.0.0.300", "e", None, None, None],
        ["192.0.2.1", "again", None, None, None],
        ["192.0.2.9", "x" * 256, None, None, None],
    ]
    result = read_register(xlsx(rows), "assets.xlsx", zones=ZONES)
    assert [r.address for r in result.rows] == ["192.0.2.1"]
    assert result.errors == [
        "assets.xlsx row 3: unknown zone '办公区' (known: dmz, internet, management, private, public)",
        "assets.xlsx row 4: '五级' is not a 等保 level (1–4, 三级, 第三级)",
        "assets.xlsx row 5: '极高' is not a criticality (低/中/高/核心 or low/medium/high/critical)",
        "assets.xlsx row 6: no IP address or network",
        "assets.xlsx row 7: '10.0.0.300' is not an IP address or network",
        "assets.xlsx row 8: 192.0.2.1 repeats row 2",
        "assets.xlsx row 9: hostname longer than 255 characters",
    ]


def test_addresses_are_canonical() -> None:
    data = b"IP\n192.0.2.77/24\n198.51.100.9/32\n2001:0DB8:0000::/48\n::ffff:192.0.2.1\n"
    result = read_register(data, "a.csv")
    assert result.errors == []
    assert [(r.ip, r.cidr) for r in result.rows] == [
        (None, "192.0.2.0/24"),
        ("198.51.100.9", None),
        (None, "2001:db8::/48"),
        ("::ffff:c000:201", None),
    ]


def test_without_zones_the_zone_text_is_passed_on() -> None:
    result = read_register("地址,安全域\n192.0.2.1,办公区\n".encode(), "a.csv")
    assert result.errors == []
    assert result.rows[0].fields.zone == "办公区"


@pytest.mark.parametrize(
    ("data", "filename", "error"),
    [
        (
            b"hostname,owner\nweb01,x\n",
            "a.csv",
            "a.csv: no address column (IP / 地址 / IP地址 / CIDR / 网段) in the first 10 rows",
        ),
        (b"IP\n", "a.csv", "a.csv: no asset rows below the header in row 1"),
        (
            b"",
            "empty.csv",
            "empty.csv: no address column (IP / 地址 / IP地址 / CIDR / 网段) in the first 10 rows",
        ),
        (
            b"PK\x03\x04 damaged",
            "a.xlsx",
            "a.xlsx: not a readable XLSX workbook (BadZipFile: File is not a zip file)",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
            "old.xls",
            "old.xls: old binary .xls workbooks are not supported; save the sheet as .xlsx or CSV",
        ),
        (b"IP\n192.0.2.1\x00\n", "nul.csv", "nul.csv: contains NUL characters: not a text (CSV) file"),
        (
            b"IP\n\x81\xff\n",
            "bad.csv",
            "bad.csv: neither UTF-8 nor GB18030 text (undecodable byte at offset 3)",
        ),
        (b"\xef\xbb\xbfIP\n\xff\n", "bom.csv", "bom.csv: invalid utf-8 at byte 6"),
    ],
)
def test_unreadable_files_are_one_clear_error(data: bytes, filename: str, error: str) -> None:
    result = read_register(data, filename, zones=ZONES)
    assert result.rows == []
    assert result.errors == [error]


@pytest.mark.parametrize(
    ("value", "level"),
    [
        (3, 3),
        (3.0, 3),
        ("3", 3),
        ("三级", 3),
        ("第三级", 3),
        ("等保三级", 3),
        ("第 二 级", 2),
        ("Level 4", 4),
        ("S3", 3),
        ("一级", 1),
        (5, None),
        (3.5, None),
        ("五级", None),
        ("", None),
        (True, None),
        (None, None),
    ],
)
def test_level_words(value: object, level: int | None) -> None:
    assert parse_level(value) == level


@pytest.mark.parametrize(
    ("value", "criticality"),
    [
        ("低", Criticality.LOW),
        ("中", Criticality.MEDIUM),
        ("中等", Criticality.MEDIUM),
        ("高", Criticality.HIGH),
        ("核心", Criticality.CRITICAL),
        ("关键", Criticality.CRITICAL),
        (" Critical ", Criticality.CRITICAL),
        ("LOW", Criticality.LOW),
        ("极高", None),
        (3, None),
    ],
)
def test_criticality_words(value: object, criticality: Criticality | None) -> None:
    assert parse_criticality(value) == criticality


@given(data=st.binary(max_size=2048), xlsx_name=st.booleans())
def test_any_bytes_give_a_result_not_an_exception(data: bytes, xlsx_name: bool) -> None:
    result = read_register(data, "fuzz.xlsx" if xlsx_name else "fuzz.csv", zones=ZONES)
    assert all(e.startswith("fuzz.") for e in result.errors)


@given(st.text(max_size=300))
def test_any_text_as_gb18030_csv_gives_a_result(text: str) -> None:
    result = read_register(("IP,安全域\n" + text).encode("gb18030"), "fuzz.csv", zones=ZONES)
    assert all(r.address for r in result.rows)
