"""The evidence pack on disk: report.pdf, evidence.xlsx, evidence.json and a MANIFEST of their digests."""

from __future__ import annotations

import json
import os
from pathlib import Path

from compliance.models import ComplianceReport
from soc_core.digests import file_digests
from soc_core.errors import ConfigError

PDF_NAME = "report.pdf"
XLSX_NAME = "evidence.xlsx"
JSON_NAME = "evidence.json"
MANIFEST_NAME = "MANIFEST"
PACK_FILES = (PDF_NAME, XLSX_NAME, JSON_NAME)
_MANIFEST_HEADER = (
    "# 哨望 Shaowang 等保 evidence pack: one line per file, SHA-256 and SM3 (GB/T 32905) hex digests.\n"
    "# Check with `soc compliance verify DIR` or: sha256sum / gmssl sm3 on each file.\n"
)


def write_json(report: ComplianceReport, path: Path) -> None:
    """``evidence.json``: ``{"items": [{"clause", "item", "status", "evidence", …}], …}``."""
    doc = report.model_dump(mode="json")
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=False) + "\n", encoding="utf-8")


def write_pack(report: ComplianceReport, out_dir: Path, *, font: Path | None = None) -> list[Path]:
    """Write the four files into ``out_dir`` (created; existing pack files are replaced)."""
    # The renderers pull in reportlab and openpyxl; the status API does not need them.
    from compliance.export.pdf import write_pdf
    from compliance.export.xlsx import write_xlsx

    out_dir.mkdir(parents=True, exist_ok=True)
    write_pdf(report, out_dir / PDF_NAME, font=font)
    write_xlsx(report, out_dir / XLSX_NAME)
    write_json(report, out_dir / JSON_NAME)
    lines = []
    for name in PACK_FILES:
        sha256, sm3 = file_digests(out_dir / name)
        lines.append(f"{sha256}  {sm3}  {name}\n")
    manifest = out_dir / MANIFEST_NAME
    manifest.write_text(_MANIFEST_HEADER + "".join(lines), encoding="utf-8")
    for name in (*PACK_FILES, MANIFEST_NAME):
        with open(out_dir / name, "rb") as handle:
            os.fsync(handle.fileno())
    return [out_dir / name for name in (*PACK_FILES, MANIFEST_NAME)]


def verify_pack(out_dir: Path) -> list[str]:
    """Problems found checking every MANIFEST line against its file (empty when the pack is intact)."""
    manifest = out_dir / MANIFEST_NAME
    try:
        text = manifest.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the manifest: {exc.strerror}", where=str(manifest)) from None
    problems: list[str] = []
    listed: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) != 3:
            problems.append(f"{MANIFEST_NAME}:{number}: expected 'SHA256  SM3  NAME'")
            continue
        sha256, sm3, name = parts
        listed.add(name)
        target = out_dir / name
        if "/" in name or name.startswith(".") or not target.is_file():
            problems.append(f"{MANIFEST_NAME}:{number}: {name}: file missing")
            continue
        got_sha, got_sm3 = file_digests(target)
        if got_sha != sha256:
            problems.append(f"{MANIFEST_NAME}:{number}: {name}: SHA-256 differs")
        if got_sm3 != sm3:
            problems.append(f"{MANIFEST_NAME}:{number}: {name}: SM3 differs")
    problems += [f"{MANIFEST_NAME}: {name} is not listed" for name in PACK_FILES if name not in listed]
    return problems
