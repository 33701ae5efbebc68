"""A bounded ring of classic pcap files, so an alert can be pivoted to the packets behind it.

Files are ``ring-<UTC start yyyymmddTHHMMSS>-<seq>.pcap`` with nanosecond timestamps (magic
0xa1b23c4d): the start is the first packet's time (to the second), the sequence number orders
the files and goes on from the files already there after a restart. A file is closed at
``file_bytes``; the oldest closed files are deleted while the ring holds more than
``max_bytes``. Packets longer than ``snaplen`` are cut, their wire length kept.
"""

from __future__ import annotations

import calendar
import logging
import re
import struct
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from collectors.traffic.pcapfile import Packet

__all__ = ["PcapRing"]

log = logging.getLogger(__name__)

SECOND = 1_000_000_000
PCAP_MAGIC_NS = 0xA1B23C4D
HEADER_BYTES = 24
RECORD_BYTES = 16
_HEADER = struct.Struct("<IHHiIII")
_RECORD = struct.Struct("<IIII")
_NAME = re.compile(r"ring-(\d{8}T\d{6})-(\d{6,})\.pcap")
_WRITE_BUFFER = 1 << 20


class _RingFile:
    """One file: ``start_ns`` from its name (to the second); the exact first and last packet
    times when this ring wrote it (after a restart only the name is known)."""

    __slots__ = ("first_ns", "last_ns", "path", "seq", "size", "start_ns")

    def __init__(self, path: Path, seq: int, start_ns: int, size: int) -> None:
        self.path = path
        self.seq = seq
        self.start_ns = start_ns
        self.size = size
        self.first_ns: int | None = None
        self.last_ns: int | None = None


def _start_text(ts_ns: int) -> str:
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(max(ts_ns, 0) // SECOND))


def _start_ns(text: str) -> int:
    return calendar.timegm(time.strptime(text, "%Y%m%dT%H%M%S")) * SECOND


class PcapRing:
    """Bounded pcap files in ``directory``; safe to query from other threads while one writes."""

    def __init__(
        self,
        directory: Path,
        *,
        max_bytes: int,
        file_bytes: int = 64 << 20,
        linktype: int = 1,
        snaplen: int = 65535,
    ) -> None:
        if file_bytes <= HEADER_BYTES + RECORD_BYTES:
            raise ValueError(f"file_bytes {file_bytes} leaves no room for a packet")
        if max_bytes < file_bytes:
            raise ValueError(f"max_bytes {max_bytes} is smaller than file_bytes {file_bytes}")
        if snaplen <= 0:
            raise ValueError(f"snaplen {snaplen} must be positive")
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.file_bytes = file_bytes
        self.linktype = linktype
        self.snaplen = snaplen
        self._lock = threading.Lock()
        self._files: list[_RingFile] = []
        self._total = 0
        self._out: IO[bytes] | None = None
        self._closed = False
        self._packets = 0
        self._deleted = 0
        self._newest_ns: int | None = None
        self.directory.mkdir(parents=True, exist_ok=True)
        self._files = _existing(self.directory)
        self._total = sum(f.size for f in self._files)
        self._next_seq = self._files[-1].seq + 1 if self._files else 1
        self._trim()  # the bound may have been lowered since the files were written

    # -- writing ----------------------------------------------------------------------------

    def write(self, packet: Packet) -> None:
        """Append one packet, opening the next file or deleting the oldest as needed."""
        if packet.linktype != self.linktype:
            raise ValueError(f"packet of link type {packet.linktype} for a ring of link type {self.linktype}")
        data = packet.data
        caplen = len(data)
        if caplen > self.snaplen:
            caplen = self.snaplen
            data = data[:caplen]
        record = RECORD_BYTES + caplen
        ts_ns = max(packet.ts_ns, 0)
        with self._lock:
            if self._closed:
                raise ValueError("write to a closed PcapRing")
            current = self._files[-1] if self._out is not None else None
            if current is None or (current.size + record > self.file_bytes and current.size > HEADER_BYTES):
                current = self._open(ts_ns)
            out = self._out
            assert out is not None
            seconds, nanos = divmod(ts_ns, SECOND)
            out.write(_RECORD.pack(seconds & 0xFFFFFFFF, nanos, caplen, max(packet.wire_len, caplen)))
            out.write(data)
            current.size += record
            self._total += record
            self._packets += 1
            if current.first_ns is None or ts_ns < current.first_ns:
                current.first_ns = ts_ns
            if current.last_ns is None or ts_ns > current.last_ns:
                current.last_ns = ts_ns
            if self._newest_ns is None or ts_ns > self._newest_ns:
                self._newest_ns = ts_ns
            if self._total > self.max_bytes:
                self._trim()

    def _open(self, ts_ns: int) -> _RingFile:
        if self._out is not None:
            self._out.close()
            self._out = None
        seq = self._next_seq
        self._next_seq += 1
        path = self.directory / f"ring-{_start_text(ts_ns)}-{seq:06d}.pcap"
        out = path.open("xb", buffering=_WRITE_BUFFER)  # "x": never clobber a file we did not write
        out.write(_HEADER.pack(PCAP_MAGIC_NS, 2, 4, 0, 0, self.snaplen, self.linktype))
        self._out = out
        entry = _RingFile(path, seq, ts_ns // SECOND * SECOND, HEADER_BYTES)
        self._files.append(entry)
        self._total += HEADER_BYTES
        return entry

    def _trim(self) -> None:
        """Delete the oldest files until the bound holds, sparing the file being written."""
        spare = 1 if self._out is not None else 0
        while self._total > self.max_bytes and len(self._files) > spare:
            oldest = self._files.pop(0)
            self._total -= oldest.size
            self._deleted += 1
            try:
                oldest.path.unlink(missing_ok=True)
            except OSError as exc:
                log.error("pcap ring cannot delete %s: %s", oldest.path, exc)

    def flush(self) -> None:
        """Hand buffered packets to the file system, so readers of the files see them."""
        with self._lock:
            if self._out is not None:
                self._out.flush()

    def close(self) -> None:
        """Flush and close the file being written; the files stay."""
        with self._lock:
            self._closed = True
            if self._out is not None:
                self._out.close()
                self._out = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- reading ----------------------------------------------------------------------------

    def files(self) -> list[Path]:
        """The ring's files, oldest first."""
        with self._lock:
            return [f.path for f in self._files]

    def find(self, start_ns: int, end_ns: int) -> list[Path]:
        """The files that may hold packets timed from ``start_ns`` to ``end_ns`` (inclusive),
        oldest first; the file being written is flushed first so it can be read at once."""
        with self._lock:
            if self._out is not None:
                self._out.flush()
            return _overlapping(self._files, start_ns, end_ns)

    def stats(self) -> dict[str, Any]:
        """Files and bytes held, the time they span, packets written and files deleted."""
        with self._lock:
            newest = self._newest_ns
            if newest is None and self._files:
                newest = self._files[-1].start_ns
            return {
                "directory": str(self.directory),
                "files": len(self._files),
                "bytes": self._total,
                "oldest_ns": self._files[0].start_ns if self._files else None,
                "newest_ns": newest,
                "packets": self._packets,
                "deleted_files": self._deleted,
            }


def ring_files(directory: Path, start_ns: int, end_ns: int) -> list[Path]:
    """The ring files in ``directory`` that may hold packets timed from ``start_ns`` to
    ``end_ns``, oldest first, read from their names (for readers beside the writer)."""
    if not directory.is_dir():
        return []
    return _overlapping(_existing(directory), start_ns, end_ns)


def _existing(directory: Path) -> list[_RingFile]:
    files: list[_RingFile] = []
    for path in directory.iterdir():
        match = _NAME.fullmatch(path.name)
        if match is None or not path.is_file():
            continue
        try:
            start_ns = _start_ns(match[1])
        except ValueError:
            continue  # not a date: not one of ours
        files.append(_RingFile(path, int(match[2]), start_ns, path.stat().st_size))
    files.sort(key=lambda f: f.seq)
    return files


def _overlapping(files: list[_RingFile], start_ns: int, end_ns: int) -> list[Path]:
    found: list[Path] = []
    for index, entry in enumerate(files):
        first_ns = entry.start_ns if entry.first_ns is None else entry.first_ns
        last_ns: float
        if entry.last_ns is not None:
            last_ns = entry.last_ns
        elif index + 1 < len(files):
            # the next file's first packet is no older than this file's last; its name
            # gives that packet's time to the second
            last_ns = files[index + 1].start_ns + SECOND - 1
        else:
            last_ns = float("inf")  # the newest file from before a restart: its end is unknown
        if first_ns <= end_ns and start_ns <= last_ns:
            found.append(entry.path)
    return found
