"""Reading an asset register (资产台账) from CSV or XLSX: bytes in, rows and row errors out.

CSV may be UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030 (what Excel in China saves
as "CSV"). XLSX is read from the sheet named 资产台账, else the first sheet. Headers may be
Chinese or English; a title row above the header is skipped. An empty cell means "not given",
so an import never blanks a value it was not told about. Nothing here raises on bad input:
every problem becomes an error naming the file and the spreadsheet row.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from soc_core.assets.models import (
    MAX_TEXT,
    UNSET,
    AssetInput,
    Zone,
    parse_address,
    parse_criticality,
    parse_level,
)

__all__ = ["HEADER_ALIASES", "MAX_ROWS", "REGISTER_SHEET", "RegisterResult", "RegisterRow", "read_register"]

REGISTER_SHEET = "资产台账"
MAX_ROWS = 200_000
HEADER_SEARCH_ROWS = 10  # a title or notes may sit above the header
_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"  # OLE2: the old binary .xls

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "address": (
        "ip", "ip地址", "地址", "ipaddress", "address", "ipv4", "ipv6", "cidr", "网段", "ip段", "地址段",
        "ip/cidr", "ip/网段", "ip地址/网段", "network", "subnet", "子网",
    ),
    "hostname": ("主机名", "hostname", "host", "主机", "资产名称", "设备名称", "名称", "name", "计算机名"),
    "owner_unit": ("责任单位", "owner", "ownerunit", "所属单位", "使用单位", "单位", "责任部门", "部门"),
    "zone": ("安全域", "zone", "区域", "所属区域", "网络区域", "所属安全域", "securityzone"),
    "device_type": ("设备类型", "devicetype", "type", "类型", "资产类型", "设备种类"),
    "level": ("等保级别", "level", "等级", "等保等级", "保护等级", "安全保护等级", "定级", "等保定级"),
    "criticality": ("重要程度", "criticality", "重要性", "重要等级", "资产重要性"),
    "contact": ("联系人", "contact", "负责人", "联系方式", "联系电话"),
}  # fmt: skip
_FIELD_BY_HEADER = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
_TEXT_FIELDS = ("hostname", "owner_unit", "device_type", "contact")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),  # Excel's "Unicode text"
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_LEVEL_WORDS = "1–4, 三级, 第三级"
_CRITICALITY_WORDS = "低/中/高/核心 or low/medium/high/critical"
_PARENTHETICAL = re.compile(r"\(.*?\)|\[.*?\]|【.*?】")
_HEADER_NOISE = re.compile(r"[\s*_\-:：]")


@dataclass(frozen=True, slots=True)
class RegisterRow:
    """One accepted row: its spreadsheet row number and the fields it gives."""

    row: int
    ip: str | None
    cidr: str | None
    fields: AssetInput

    @property
    def address(self) -> str:
        """The host address or the network."""
        return self.ip or self.cidr or ""


@dataclass(slots=True)
class RegisterResult:
    """Rows that passed and one message per problem (``"assets.xlsx row 7: …"``)."""

    rows: list[RegisterRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class _Refused(Exception):
    """The file as a whole cannot be read; the message says why."""


def read_register(data: bytes, filename: str, *, zones: Iterable[Zone] | None = None) -> RegisterResult:
    """Parse an asset register file.

    ``zones`` resolves the zone column (zone id, any case, or zone name) to zone ids and
    refuses unknown zones; without it the cell text is passed on as given.
    """
    result = RegisterResult()
    name = filename or "upload"
    table: Generator[list[str]] | None = None
    try:
        table = _xlsx_rows(data) if _is_xlsx(data, name) else _csv_rows(data)
        _read_table(table, name, _zone_resolver(zones), result)
    except _Refused as exc:
        result.errors.append(f"{name}: {exc}")
    finally:
        if table is not None:
            table.close()  # a workbook left half-read keeps its zip open until collected
    return result


def _is_xlsx(data: bytes, filename: str) -> bool:
    if data.startswith(_XLS_MAGIC) or filename.lower().endswith(".xls"):
        raise _Refused("old binary .xls workbooks are not supported; save the sheet as .xlsx or CSV")
    return data.startswith(_XLSX_MAGIC) or filename.lower().endswith((".xlsx", ".xlsm"))


# -- file formats ------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise _Refused(f"invalid {encoding} at byte {exc.start + len(bom)}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise _Refused(f"neither UTF-8 nor GB18030 text (undecodable byte at offset {exc.start})") from None


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(data: bytes) -> Generator[list[str]]:
    text = _decode(data)
    if "\x00" in text:
        raise _Refused("contains NUL characters: not a text (CSV) file")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        yield from reader
    except csv.Error as exc:
        raise _Refused(f"CSV error in row {reader.line_num}: {exc}") from None


def _xlsx_rows(data: bytes) -> Generator[list[str]]:
    # openpyxl raises a zoo of types (BadZipFile, KeyError, XML errors …) for damaged files.
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise _Refused(f"not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
    try:
        sheet = book[REGISTER_SHEET] if REGISTER_SHEET in book.sheetnames else book.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_cell_text(v) for v in values]
    except _Refused:
        raise
    except Exception as exc:
        raise _Refused(f"not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
    finally:
        book.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 3 as 3.0
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


# -- rows --------------------------------------------------------------------------------------


def _header_key(text: str) -> str:
    normal = unicodedata.normalize("NFKC", text)  # full-width letters and brackets to ASCII
    return _HEADER_NOISE.sub("", _PARENTHETICAL.sub("", normal)).lower()


def _header_map(cells: list[str]) -> dict[int, str]:
    return {i: f for i, cell in enumerate(cells) if (f := _FIELD_BY_HEADER.get(_header_key(cell)))}


def _zone_resolver(zones: Iterable[Zone] | None) -> dict[str, str] | None:
    if zones is None:
        return None
    known = list(zones)
    resolve: dict[str, str] = {}
    for zone in known:
        resolve[zone.name.strip()] = zone.id
        resolve[zone.name.strip().lower()] = zone.id
    for zone in known:
        resolve[zone.id.lower()] = zone.id  # ids win over a name that spells another id
    return resolve


def _read_table(
    table: Iterator[list[str]], filename: str, zones: dict[str, str] | None, result: RegisterResult
) -> None:
    header: dict[int, str] | None = None
    header_row = 0
    seen: dict[str, int] = {}
    for number, cells in enumerate(table, start=1):
        if number > MAX_ROWS:
            result.errors.append(f"{filename} row {number}: more than {MAX_ROWS} rows; the rest was not read")
            return
        values = [c.strip() for c in cells]
        if header is None:
            candidate = _header_map(values)
            if "address" in candidate.values():
                header, header_row = candidate, number
            elif number >= HEADER_SEARCH_ROWS:
                break
            continue
        if not any(values):
            continue
        row = _read_row(values, header, number, filename, zones, result.errors)
        if row is None:
            continue
        earlier = seen.get(row.address)
        if earlier is not None:
            result.errors.append(f"{filename} row {number}: {row.address} repeats row {earlier}")
            continue
        seen[row.address] = number
        result.rows.append(row)
    if header is None:
        result.errors.append(
            f"{filename}: no address column (IP / 地址 / IP地址 / CIDR / 网段) in the first "
            f"{HEADER_SEARCH_ROWS} rows"
        )
    elif header_row and not result.rows and not result.errors:
        result.errors.append(f"{filename}: no asset rows below the header in row {header_row}")


def _read_row(
    values: list[str],
    header: dict[int, str],
    number: int,
    filename: str,
    zones: dict[str, str] | None,
    errors: list[str],
) -> RegisterRow | None:
    given: dict[str, str] = {}
    for index, name in header.items():
        if index < len(values) and values[index] and name not in given:
            given[name] = values[index]  # IP and CIDR columns both feed "address": first one wins
    where = f"{filename} row {number}"
    problems: list[str] = []
    address = given.pop("address", "")
    parsed = parse_address(address) if address else None
    if not address:
        problems.append(f"{where}: no IP address or network")
    elif parsed is None:
        problems.append(f"{where}: {address!r} is not an IP address or network")
    fields: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        if name in given:
            if len(given[name]) > MAX_TEXT:
                problems.append(f"{where}: {name} longer than {MAX_TEXT} characters")
            fields[name] = given[name]
    if "level" in given:
        level = parse_level(given["level"])
        if level is None:
            problems.append(f"{where}: {given['level']!r} is not a 等保 level ({_LEVEL_WORDS})")
        fields["level"] = level
    if "criticality" in given:
        criticality = parse_criticality(given["criticality"])
        if criticality is None:
            problems.append(f"{where}: {given['criticality']!r} is not a criticality ({_CRITICALITY_WORDS})")
        fields["criticality"] = criticality
    if "zone" in given:
        zone = given["zone"]
        if zones is not None:
            resolved = zones.get(zone) or zones.get(zone.lower())
            if resolved is None:
                known = ", ".join(sorted(set(zones.values())))
                problems.append(f"{where}: unknown zone {zone!r} (known: {known})")
            zone = resolved or zone
        fields["zone"] = zone
    if problems or parsed is None:
        errors.extend(problems)
        return None
    ip, cidr = parsed
    return RegisterRow(row=number, ip=ip, cidr=cidr, fields=AssetInput(address=ip or cidr or UNSET, **fields))
