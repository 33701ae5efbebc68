"""Append-only segment log: one CRC-checked frame per ``append`` batch (group commit).

Frame: ``MAGIC | u32 length | u32 crc32(payload) | payload``; the payload is NDJSON of
msgspec-encoded events. A batch is acknowledged only after the frame is written and fsync'd.
A torn or corrupt tail frame (crash mid-write) is truncated when a writer opens the log;
readers simply stop at it.
"""

from __future__ import annotations

import os
import re
import struct
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from soc_core.errors import StoreError

MAGIC = b"SWF1"
_HEADER = struct.Struct(">4sII")
HEADER_SIZE = _HEADER.size
_SEG_RE = re.compile(r"^seg-(\d{12})\.log$")


def segment_name(seg_id: int) -> str:
    """File name of segment ``seg_id``."""
    return f"seg-{seg_id:012d}.log"


def list_segments(directory: Path) -> list[int]:
    """Segment ids present in ``directory``, ascending."""
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    ids = [int(m.group(1)) for n in names if (m := _SEG_RE.match(n))]
    return sorted(ids)


def fsync_dir(path: Path) -> None:
    """fsync a directory so a created/renamed/deleted entry is durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def encode_frame(payload: bytes) -> bytes:
    """One frame around ``payload``."""
    return _HEADER.pack(MAGIC, len(payload), zlib.crc32(payload)) + payload


def scan_frames(data: bytes, start: int = 0) -> tuple[list[bytes], int]:
    """Complete, valid frames of ``data`` from ``start``; returns (payloads, end of last good frame)."""
    out: list[bytes] = []
    pos = start
    size = len(data)
    while pos + HEADER_SIZE <= size:
        magic, length, crc = _HEADER.unpack_from(data, pos)
        end = pos + HEADER_SIZE + length
        if magic != MAGIC or end > size:
            break
        payload = data[pos + HEADER_SIZE : end]
        if zlib.crc32(payload) != crc:
            break
        out.append(payload)
        pos = end
    return out, pos


def read_segment(path: Path, start: int = 0) -> tuple[list[bytes], int]:
    """Valid frames of a segment file from byte ``start``; raises FileNotFoundError if gone."""
    with open(path, "rb") as fh:
        fh.seek(start)
        data = fh.read()
    payloads, end = scan_frames(data)
    return payloads, start + end


@dataclass
class _Active:
    seg_id: int
    fd: int
    events: int
    opened: float


class SegmentWriter:
    """The writer side of the log. Not thread-safe by itself: the store serialises calls."""

    def __init__(self, directory: Path, first_id: int) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self._next_id = first_id
        self._active: _Active | None = None

    @staticmethod
    def recover(directory: Path, seg_ids: list[int]) -> dict[int, int]:
        """Truncate torn tails of the given segments; returns bytes cut per segment."""
        cut: dict[int, int] = {}
        for seg_id in seg_ids:
            path = directory / segment_name(seg_id)
            size = path.stat().st_size
            _, good = read_segment(path)
            if good < size:
                with open(path, "r+b") as fh:
                    fh.truncate(good)
                    fh.flush()
                    os.fsync(fh.fileno())
                cut[seg_id] = size - good
        return cut

    @property
    def active_id(self) -> int | None:
        """Id of the segment being appended to, if any."""
        return self._active.seg_id if self._active else None

    @property
    def open_floor(self) -> int:
        """Lowest id that may still be written: every segment below it is closed."""
        return self._active.seg_id if self._active else self._next_id

    @property
    def active_events(self) -> int:
        """Events in the active segment."""
        return self._active.events if self._active else 0

    def active_age(self) -> float:
        """Seconds since the active segment was created (0 when none)."""
        return time.monotonic() - self._active.opened if self._active else 0.0

    def _open_new(self) -> _Active:
        seg_id = self._next_id
        self._next_id += 1
        path = self.dir / segment_name(seg_id)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o640)
        except FileExistsError as exc:
            raise StoreError(f"segment {seg_id} already exists", where=str(path)) from exc
        # The new directory entry must be durable before any frame in it is acknowledged.
        fsync_dir(self.dir)
        self._active = _Active(seg_id, fd, 0, time.monotonic())
        return self._active

    def write(self, payload: bytes, events: int) -> int:
        """Append one frame and fsync it; returns the segment id written to."""
        active = self._active or self._open_new()
        frame = encode_frame(payload)
        view = memoryview(frame)
        while view:
            written = os.write(active.fd, view)
            view = view[written:]
        os.fsync(active.fd)
        active.events += events
        return active.seg_id

    def rotate(self) -> int | None:
        """Close the active segment (it becomes sealable); returns its id, None if nothing to close."""
        active = self._active
        if active is None:
            return None
        os.close(active.fd)
        self._active = None
        return active.seg_id

    def close(self) -> None:
        """Close the active segment without starting a new one."""
        self.rotate()


def iter_segment_payloads(directory: Path, seg_ids: list[int]) -> Iterator[tuple[int, list[bytes]]]:
    """(segment id, payloads) of each listed segment that still exists."""
    for seg_id in seg_ids:
        try:
            payloads, _ = read_segment(directory / segment_name(seg_id))
        except FileNotFoundError:
            continue
        yield seg_id, payloads
