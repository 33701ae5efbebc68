"""Evidence files (captures, screenshots, exported logs) kept beside the data, by content hash.

A file is streamed to a temporary name while its SHA-256 is computed, fsync'd, then renamed to
``evidence/<incident>/<sha256>``: the same bytes uploaded twice are stored once, and the name
proves the content.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from soc_api.errors import ApiError

EVIDENCE_DIR = "evidence"
MAX_EVIDENCE_BYTES = 512 * 1024 * 1024
_UNSAFE = re.compile(r"[\x00-\x1f/\\:*?\"<>|]+")


@dataclass(frozen=True, slots=True)
class StoredFile:
    """Where an uploaded file now lives (relative to the data directory), its hash and size."""

    relpath: str
    sha256: str
    size: int


def safe_name(filename: str) -> str:
    """A display name without directories or control characters (never empty)."""
    base = _UNSAFE.sub("_", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    return base[:120] or "upload.bin"


async def store_upload(data_dir: Path, incident_id: int, chunks: AsyncIterator[bytes]) -> StoredFile:
    """Stream ``chunks`` into the incident's evidence folder; 413 past ``MAX_EVIDENCE_BYTES``."""
    folder = data_dir / EVIDENCE_DIR / str(incident_id)
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle, temp_name = tempfile.mkstemp(dir=folder, prefix=".upload-")
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            async for chunk in chunks:
                size += len(chunk)
                if size > MAX_EVIDENCE_BYTES:
                    raise ApiError(f"evidence larger than {MAX_EVIDENCE_BYTES} bytes", status=413)
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise ApiError("empty upload")
        sha = digest.hexdigest()
        final = folder / sha
        os.replace(temp, final)
        return StoredFile(relpath=f"{EVIDENCE_DIR}/{incident_id}/{sha}", sha256=sha, size=size)
    finally:
        temp.unlink(missing_ok=True)


def upload_ref(stored: StoredFile, filename: str) -> str:
    """The evidence reference of an uploaded file: where it is stored, then its display name."""
    return f"{stored.relpath}/{safe_name(filename)}"


def evidence_path(data_dir: Path, ref: str) -> tuple[Path, str] | None:
    """The stored file and display name behind an uploaded file's reference, else None."""
    parts = ref.split("/", 3)
    if len(parts) != 4 or parts[0] != EVIDENCE_DIR or not parts[1].isdigit():
        return None
    if not re.fullmatch(r"[0-9a-f]{64}", parts[2]):
        return None
    path = data_dir / EVIDENCE_DIR / parts[1] / parts[2]
    return (path, parts[3]) if path.is_file() else None
