"""Hash-chained manifest of sealed partitions (``manifest.jsonl``).

Each line is ``{seq, ts, op, added, removed, segments, detail, prev_hash, hash}`` with
``hash = SHA-256(canonical JSON of the entry without "hash")`` and ``prev_hash`` the previous
entry's hash (64 zeros for the first). Appending an entry (fsync'd) is the commit point of a
seal, compaction or drop. Replaying the chain gives the live file set and the sealed segments;
readers replay incrementally from the last offset they saw.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from soc_core.storage.embedded_segments import fsync_dir

GENESIS = "0" * 64
OPS = frozenset({"seal", "compact", "drop", "retention_policy"})


def canonical(entry: dict[str, Any]) -> bytes:
    """Canonical JSON bytes of an entry without its ``hash``."""
    body = {k: v for k, v in entry.items() if k != "hash"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: dict[str, Any]) -> str:
    """The chain hash of an entry."""
    return hashlib.sha256(canonical(entry)).hexdigest()


@dataclass(frozen=True)
class FileInfo:
    """A live sealed parquet file as recorded in the manifest."""

    path: str
    rows: int
    bytes: int
    sha256: str
    sm3: str
    day: str
    dataset: str
    min_ts: str | None = None
    max_ts: str | None = None

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> FileInfo:
        """Build from an ``added`` item; day/dataset fall back to the path components."""
        path = str(doc["path"])
        parts = {p.split("=", 1)[0]: p.split("=", 1)[1] for p in path.split("/") if "=" in p}
        return cls(
            path=path,
            rows=int(doc.get("rows", 0)),
            bytes=int(doc.get("bytes", 0)),
            sha256=str(doc.get("sha256", "")),
            sm3=str(doc.get("sm3", "")),
            day=str(doc.get("day") or parts.get("day", "")),
            dataset=str(doc.get("dataset") or parts.get("dataset", "")),
            min_ts=doc.get("min_ts"),
            max_ts=doc.get("max_ts"),
        )

    def to_json(self) -> dict[str, Any]:
        """The ``added`` item written to the manifest."""
        return {
            "path": self.path,
            "rows": self.rows,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "sm3": self.sm3,
            "day": self.day,
            "dataset": self.dataset,
            "min_ts": self.min_ts,
            "max_ts": self.max_ts,
        }


@dataclass
class ChainBreak:
    """An entry that does not fit the hash chain."""

    line: int
    seq: Any
    paths: list[str]
    detail: str


@dataclass
class ManifestState:
    """The replayed manifest."""

    live: dict[str, FileInfo] = field(default_factory=dict)
    sealed_segments: set[int] = field(default_factory=set)
    retired: set[str] = field(default_factory=set)  # removed by compaction or drop
    breaks: list[ChainBreak] = field(default_factory=list)
    last_hash: str = GENESIS
    last_seq: int = 0
    lines: int = 0
    max_part: int = 0
    retention: tuple[int, str | None] | None = None
    version: int = 0  # bumps whenever live files or sealed segments change


class Manifest:
    """Replays and (for the writer) appends to ``manifest.jsonl``. Thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._offset = 0
        self._ino: int | None = None
        self.state = ManifestState()
        self._fd: int | None = None

    # -- reading ---------------------------------------------------------------------------

    def refresh(self) -> ManifestState:
        """Apply lines appended since the last call (full reload if the file was replaced)."""
        with self._lock:
            try:
                st = os.stat(self.path)
            except FileNotFoundError:
                if self._offset:
                    self._reset()
                return self.state
            if self._ino is not None and (st.st_ino != self._ino or st.st_size < self._offset):
                self._reset()
            self._ino = st.st_ino
            if st.st_size == self._offset:
                return self.state
            with open(self.path, "rb") as fh:
                fh.seek(self._offset)
                data = fh.read()
            end = data.rfind(b"\n") + 1  # an incomplete last line is not committed yet
            for raw in data[:end].split(b"\n")[:-1]:
                self._apply_line(raw)
            self._offset += end
            return self.state

    def _reset(self) -> None:
        self._offset = 0
        self._ino = None
        self.state = ManifestState()

    def _apply_line(self, raw: bytes) -> None:
        st = self.state
        st.lines += 1
        try:
            entry = json.loads(raw)
            if not isinstance(entry, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            st.breaks.append(ChainBreak(st.lines, None, [], f"unreadable manifest line: {exc}"))
            return
        paths = [str(a.get("path")) for a in entry.get("added") or [] if isinstance(a, dict)]
        paths += [str(p) for p in entry.get("removed") or []]
        problems = []
        if entry.get("hash") != entry_hash(entry):
            problems.append("entry hash does not match its content")
        if entry.get("prev_hash") != st.last_hash:
            problems.append("prev_hash does not link to the previous entry (entry removed or reordered)")
        if entry.get("seq") != st.last_seq + 1:
            problems.append(f"seq {entry.get('seq')} follows {st.last_seq}")
        if entry.get("op") not in OPS:
            problems.append(f"unknown op {entry.get('op')!r}")
        if problems:
            st.breaks.append(ChainBreak(st.lines, entry.get("seq"), paths, "; ".join(problems)))
        st.last_hash = str(entry.get("hash"))
        seq = entry.get("seq")
        st.last_seq = seq if isinstance(seq, int) else st.last_seq + 1
        self._apply(entry)

    def _apply(self, entry: dict[str, Any]) -> None:
        st = self.state
        for path in entry.get("removed") or []:
            st.live.pop(str(path), None)
            st.retired.add(str(path))
        for item in entry.get("added") or []:
            if isinstance(item, dict) and "path" in item:
                info = FileInfo.from_json(item)
                st.live[info.path] = info
                st.max_part = max(st.max_part, part_number(info.path))
        for seg in entry.get("segments") or []:
            if isinstance(seg, int):
                st.sealed_segments.add(seg)
        if entry.get("op") == "retention_policy":
            detail = entry.get("detail") or {}
            st.retention = (int(detail.get("days", 0)), detail.get("reason"))
        st.version += 1

    # -- writing ---------------------------------------------------------------------------

    def open_for_append(self) -> None:
        """Writer only: drop an uncommitted (torn) last line and open the file for appends."""
        with self._lock:
            if self.path.exists():
                with open(self.path, "r+b") as fh:
                    data = fh.read()
                    end = data.rfind(b"\n") + 1
                    if end < len(data):
                        fh.truncate(end)
                        fh.flush()
                        os.fsync(fh.fileno())
            created = not self.path.exists()
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
            if created:
                fsync_dir(self.path.parent)
            self._reset()
            self.refresh()

    def append(
        self,
        op: str,
        *,
        added: list[FileInfo] | None = None,
        removed: list[str] | None = None,
        segments: list[int] | None = None,
        detail: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Append one entry durably (the commit point) and apply it."""
        with self._lock:
            if self._fd is None:
                raise RuntimeError("manifest not opened for append")
            self.refresh()
            st = self.state
            entry: dict[str, Any] = {
                "seq": st.last_seq + 1,
                "ts": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
                "op": op,
                "added": [f.to_json() for f in added or []],
                "removed": list(removed or []),
                "segments": list(segments or []),
                "detail": detail or {},
                "prev_hash": st.last_hash,
            }
            entry["hash"] = entry_hash(entry)
            line = (
                json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
            )
            view = memoryview(line)
            while view:
                view = view[os.write(self._fd, view) :]
            os.fsync(self._fd)
            self.refresh()
            return entry

    def close(self) -> None:
        """Close the append handle."""
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def part_number(path: str) -> int:
    """The sequence number in ``.../part-<n>.parquet`` (0 if the name does not match)."""
    name = path.rsplit("/", 1)[-1]
    if name.startswith("part-") and name.endswith(".parquet"):
        try:
            return int(name[5:-8])
        except ValueError:
            return 0
    return 0
