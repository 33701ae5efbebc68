"""Follow log files like ``tail -F``, with offsets that only advance to what is stored.

Each record is one LF-terminated line (a CR before the LF is stripped, empty lines skipped):
``RawRecord(origin=f"file:{path}", offset=<byte offset just past the line's LF>,
hint=source.dataset, timezone=source.timezone)``. A partial last line is not read until it is
terminated, except at the end of a file that was rotated away (it will never be completed).
Lines over ``max_record_bytes`` are handled like TCP: the first ``max_record_bytes + 1`` bytes
are emitted as one record (the pipeline dead-letters it), the rest of the line is skipped and
an error is counted.

Durability: the offset written to the state file is the *committed* offset — what the
pipeline confirmed with :meth:`FileTailer.mark_stored` after its store's fsync. A crash (or a
stop before confirmation) therefore replays unconfirmed lines instead of losing them
(at-least-once). A graceful stop after everything was confirmed resumes with no duplicates.

Rotation:

* rename (``logrotate`` default): the old descriptor is read to EOF, then — once every line
  from it is confirmed — the new file at the path is opened from offset 0. Waiting for the
  confirmations keeps a single file generation in flight per origin, so an ``end_offset``
  passed to ``mark_stored`` is never ambiguous between the old and the new file. If the
  service was down during a rename, the old file is looked up by inode in the same directory
  and its unread tail is read first.
* copytruncate: size below our offset, or a changed fingerprint (hash of the first 1 KiB),
  restarts the file at 0. Lines written between our last read and the copy are only in the
  copy — an inherent limit of copytruncate.

State file (JSON, written atomically: tmp + fsync + rename + directory fsync)::

    {"version": 1, "files": {"/var/log/x.log": {"inode": 12, "device": 2049, "offset": 4096,
                                                "fingerprint": "<sha256 hex>", "fingerprint_len": 1024}}}

Files are read with plain ``os.read`` on the event loop: local, page-cached, bounded chunks,
with a yield after every chunk so sockets are never starved.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterable, Sequence
from itertools import accumulate
from pathlib import Path
from typing import Any

from collectors.intake import IntakeQueue, IntakeStats
from collectors.transports.common import put_within_bound
from soc_core.config import FileSource
from soc_core.records import RawRecord
from soc_core.vocabulary import MAX_RECORD_BYTES

__all__ = ["FileTailer", "LineSplitter"]

log = logging.getLogger(__name__)

TRANSPORT = "file"
READ_SIZE = 256 * 1024
FINGERPRINT_BYTES = 1024
STATE_VERSION = 1


class LineSplitter:
    """LF-terminated lines of a file, each with the offset just past its LF.

    ``start`` is the file offset of the first byte not yet part of a returned line.
    """

    __slots__ = ("_head", "_max", "_pending", "_skipping", "errors", "start")

    def __init__(self, max_record_bytes: int = MAX_RECORD_BYTES, start: int = 0) -> None:
        self._max = max_record_bytes
        self.start = start
        self._pending = b""
        self._skipping = False  # inside an oversized line: ``_head`` holds its first max+1 bytes
        self._head = b""
        self.errors = 0

    def feed(self, data: bytes) -> tuple[list[bytes], list[int]]:
        """Complete lines in ``data`` (plus what was pending) and their end offsets."""
        lines: list[bytes] = []
        ends: list[int] = []
        if not data:
            return lines, ends
        if self._skipping:
            i = data.find(b"\n")
            if i < 0:
                self.start += len(data)
                return lines, ends
            self.start += i + 1
            lines.append(self._head)
            ends.append(self.start)
            self._skipping = False
            self._head = b""
            data = data[i + 1 :]
        buf = self._pending + data if self._pending else data
        parts = buf.split(b"\n")
        rest = parts.pop()
        if parts:
            base = self.start
            new_ends = [base + total + i for i, total in enumerate(accumulate(map(len, parts)), 1)]
            self.start = new_ends[-1]
            limit = self._max + 1
            if b"\r" in buf or b"" in parts or len(buf) > limit:
                for line, end in zip(parts, new_ends, strict=True):
                    if line.endswith(b"\r"):
                        line = line[:-1]
                    if not line:
                        continue
                    if len(line) > self._max:
                        self.errors += 1
                        line = line[:limit]
                    lines.append(line)
                    ends.append(end)
            else:
                lines.extend(parts)
                ends.extend(new_ends)
        if len(rest) > self._max + 1:  # +1: a legal max-length line may still get its CR
            self.errors += 1
            self._head = rest[: self._max + 1]
            self._skipping = True
            self.start += len(rest)
            self._pending = b""
        else:
            self._pending = rest
        return lines, ends

    def flush(self) -> tuple[list[bytes], list[int]]:
        """The unterminated last line, for a file that will not grow any more."""
        lines: list[bytes] = []
        ends: list[int] = []
        if self._skipping:
            lines.append(self._head)
            ends.append(self.start)
        elif self._pending:
            self.start += len(self._pending)
            line = self._pending[:-1] if self._pending.endswith(b"\r") else self._pending
            if len(line) > self._max:
                self.errors += 1
                line = line[: self._max + 1]
            if line:
                lines.append(line)
                ends.append(self.start)
        self._pending = b""
        self._skipping = False
        self._head = b""
        return lines, ends

    @property
    def pending_bytes(self) -> int:
        """Bytes read but not yet part of a returned line."""
        return len(self._pending)


def _fingerprint(fd: int) -> tuple[int, str]:
    head = os.pread(fd, FINGERPRINT_BYTES, 0)
    return len(head), hashlib.sha256(head).hexdigest()


def _fingerprint_matches(fd: int, length: int, digest: str) -> bool:
    if length == 0:
        return True
    head = os.pread(fd, length, 0)
    return len(head) == length and hashlib.sha256(head).hexdigest() == digest


class _Follower:
    """One followed path: the open descriptor, its splitter and its offsets."""

    def __init__(self, tailer: FileTailer, source: FileSource) -> None:
        self.tailer = tailer
        self.source = source
        self.path = str(source.path)
        self.origin = f"file:{self.path}"
        self.fd: int | None = None
        self.inode = 0
        self.device = 0
        self.read_pos = 0  # bytes of the current file consumed into the splitter
        self.emitted = 0  # end offset of the last line handed to the queue
        self.committed = 0  # end offset confirmed stored by the pipeline
        self.fp_len = 0
        self.fp_digest = hashlib.sha256(b"").hexdigest()
        self.splitter = LineSplitter(tailer.max_record_bytes)
        self.errors_seen = 0
        self.rotated = False  # the path now names another file; finish this one first
        self.truncated = False  # copytruncate seen; restart at 0 once confirmed

    # -- opening --------------------------------------------------------------------------

    def open_initial(self, saved: dict[str, Any] | None) -> None:
        """Open at start-up, resuming from the saved state when it still names this file."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            fd = None
        if saved is not None and fd is not None and self._resumable(fd, saved):
            self._adopt(fd, int(saved["offset"]))
            return
        if saved is not None:
            old = self._find_rotated(saved)
            if old is not None:
                # Rotated while we were down: read the old file's unconfirmed tail first.
                if fd is not None:
                    os.close(fd)
                self._adopt(old, int(saved["offset"]))
                self.rotated = True
                return
        if fd is not None:
            self._adopt(fd, 0)

    def open_new(self) -> bool:
        """Open the file now at the path from the beginning (a new generation)."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return False
        self._adopt(fd, 0)
        return True

    def _adopt(self, fd: int, offset: int) -> None:
        st = os.fstat(fd)
        self.fd = fd
        self.inode, self.device = st.st_ino, st.st_dev
        os.lseek(fd, offset, os.SEEK_SET)
        self.read_pos = self.emitted = self.committed = offset
        self.splitter = LineSplitter(self.tailer.max_record_bytes, offset)
        self.errors_seen = 0
        self.fp_len, self.fp_digest = _fingerprint(fd)
        self.rotated = self.truncated = False

    @staticmethod
    def _resumable(fd: int, saved: dict[str, Any]) -> bool:
        st = os.fstat(fd)
        return (
            st.st_ino == saved.get("inode")
            and st.st_dev == saved.get("device")
            and st.st_size >= int(saved.get("offset", 0))
            and _fingerprint_matches(fd, int(saved.get("fingerprint_len", 0)), str(saved.get("fingerprint")))
        )

    def _find_rotated(self, saved: dict[str, Any]) -> int | None:
        directory = os.path.dirname(self.path) or "."
        try:
            entries = list(os.scandir(directory))
        except OSError:
            return None
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if st.st_ino != saved.get("inode") or st.st_dev != saved.get("device"):
                continue
            try:
                fd = os.open(entry.path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                return None
            if self._resumable(fd, saved):
                return fd
            os.close(fd)
            return None
        return None

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    # -- polling --------------------------------------------------------------------------

    @property
    def settled(self) -> bool:
        """Every emitted line is confirmed, so a new generation may start."""
        return self.committed >= self.emitted

    async def poll(self) -> None:
        """Read what is new; handle rotation and truncation."""
        if self.fd is None and not self.open_new():
            return
        fd = self.fd
        assert fd is not None
        st: os.stat_result | None = None
        if not self.rotated:
            try:
                st = os.stat(self.path)
            except FileNotFoundError:
                st = None
            if st is not None and (st.st_ino, st.st_dev) != (self.inode, self.device):
                self.rotated = True
        if not self.rotated and not self.truncated:
            size = os.fstat(fd).st_size
            if size < self.read_pos or not _fingerprint_matches(fd, self.fp_len, self.fp_digest):
                log.info("%s: truncated (copytruncate?); restarting at 0", self.path)
                self.truncated = True
        if not self.truncated:
            await self._drain()
            if self.fp_len < FINGERPRINT_BYTES:
                self.fp_len, self.fp_digest = _fingerprint(fd)
        if self.rotated:
            if not self.settled or self.tailer.stopping:
                return  # keep reading late writes to the old file until it is all confirmed
            # Old descriptor is at EOF and confirmed: its unterminated last line will never be
            # completed, so emit it now (and switch on a later poll, once that is confirmed).
            lines, ends = self.splitter.flush()
            self._count_errors()
            if lines:
                await self._emit(lines, ends)
                return
            log.info("%s: rotated; following the new file", self.path)
            self.close()
            if self.open_new():
                await self._drain()
        elif self.truncated:
            if self.settled and not self.tailer.stopping:
                self._adopt(fd, 0)
                await self._drain()
        elif st is None and os.fstat(fd).st_nlink == 0 and self.settled:
            self.close()  # deleted and fully read: release the descriptor

    async def _drain(self) -> None:
        fd = self.fd
        assert fd is not None
        while not self.tailer.stopping:
            data = os.read(fd, READ_SIZE)
            if not data:
                return
            self.read_pos += len(data)
            lines, ends = self.splitter.feed(data)
            self.tailer.stats.received(TRANSPORT, self.path, len(lines), len(data))
            self._count_errors()
            if lines:
                await self._emit(lines, ends)
            await asyncio.sleep(0)  # a large backlog must not starve the sockets

    def _count_errors(self) -> None:
        errors = self.splitter.errors
        for _ in range(errors - self.errors_seen):
            self.tailer.stats.error(TRANSPORT, self.path)
        self.errors_seen = errors

    async def _emit(self, lines: list[bytes], ends: list[int]) -> None:
        now = time.time()
        origin, hint, tz = self.origin, self.source.dataset, self.source.timezone
        records = [
            RawRecord(data=line, received_at=now, origin=origin, offset=end, hint=hint, timezone=tz)
            for line, end in zip(lines, ends, strict=True)
        ]
        self.emitted = ends[-1]
        if self.tailer.auto_commit:
            self.committed = self.emitted
            self.tailer.dirty = True
        await self.tailer.put(records)

    def state(self) -> dict[str, Any] | None:
        if self.fd is None:
            return None
        return {
            "inode": self.inode,
            "device": self.device,
            "offset": self.committed,
            "fingerprint": self.fp_digest,
            "fingerprint_len": self.fp_len,
        }


class FileTailer:
    """Follow ``sources`` into ``queue``; persist confirmed offsets in ``state_path``.

    The pipeline calls :meth:`mark_stored` (or :meth:`mark_records_stored`) for file records
    once they are durably stored *or dead-lettered*; only then may the offset be persisted.
    With ``auto_commit=True`` (tools without a durable store) offsets advance on emission.
    """

    def __init__(
        self,
        sources: list[FileSource],
        queue: IntakeQueue,
        stats: IntakeStats,
        state_path: Path,
        poll_interval: float = 0.2,
        *,
        max_record_bytes: int = MAX_RECORD_BYTES,
        save_interval: float = 1.0,
        auto_commit: bool = False,
    ) -> None:
        self.queue = queue
        self.stats = stats
        self.state_path = Path(state_path)
        self.poll_interval = poll_interval
        self.save_interval = save_interval
        self.max_record_bytes = max_record_bytes
        self.auto_commit = auto_commit
        self.stopping = False
        self.dirty = False
        self._followers = [_Follower(self, s) for s in sources]
        self._by_origin = {f.origin: f for f in self._followers}
        self._wake = asyncio.Event()
        self._stop_event = asyncio.Event()
        self._other_state: dict[str, Any] = {}

    # -- pipeline interface ---------------------------------------------------------------

    def mark_stored(self, origin: str, end_offset: int) -> None:
        """Everything from ``origin`` up to ``end_offset`` is durably stored.

        Call it in order, after the store's fsync, with the ``offset`` of the last stored
        record of that origin (per batch is enough). Unknown origins are ignored, so the
        pipeline may call it for every origin it stores.
        """
        follower = self._by_origin.get(origin)
        if follower is None or end_offset <= follower.committed:
            return
        # Never beyond what was emitted: a stray confirmation must not skip unread lines.
        follower.committed = min(end_offset, follower.emitted)
        self.dirty = True
        if follower.rotated or follower.truncated:
            self._wake.set()  # a waiting generation switch may proceed now

    def mark_records_stored(self, records: Iterable[RawRecord]) -> None:
        """:meth:`mark_stored` for the last record of each file origin in ``records``."""
        last: dict[str, int] = {}
        for record in records:
            if record.offset is not None and record.origin in self._by_origin:
                last[record.origin] = record.offset
        for origin, offset in last.items():
            self.mark_stored(origin, offset)

    def committed(self, origin: str) -> int | None:
        """The confirmed offset of ``origin`` in its current file (None if not followed)."""
        follower = self._by_origin.get(origin)
        return None if follower is None else follower.committed

    # -- running --------------------------------------------------------------------------

    async def run(self) -> None:
        """Follow the files until :meth:`stop`; saves the state on the way out."""
        saved = self._load_state()
        for follower in self._followers:
            try:
                follower.open_initial(saved.get(follower.path))
            except OSError as exc:
                self.stats.error(TRANSPORT, follower.path)
                log.warning("%s: cannot open: %s", follower.path, exc)
        last_save = time.monotonic()
        try:
            while not self.stopping:
                for follower in self._followers:
                    try:
                        await follower.poll()
                    except OSError as exc:  # permissions, I/O errors: count, keep following others
                        self.stats.error(TRANSPORT, follower.path)
                        log.warning("%s: %s", follower.path, exc)
                if self.dirty and time.monotonic() - last_save >= self.save_interval:
                    snapshot = self._snapshot()
                    self.dirty = False
                    await asyncio.to_thread(self._write_state, snapshot)
                    last_save = time.monotonic()
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_interval)
        finally:
            self.stopping = True
            try:
                self._write_state(self._snapshot())
                self.dirty = False
            finally:
                for follower in self._followers:
                    follower.close()

    def stop(self) -> None:
        """Ask :meth:`run` to finish (it persists the confirmed offsets)."""
        self.stopping = True
        self._wake.set()
        self._stop_event.set()

    def save_state(self) -> None:
        """Persist the confirmed offsets now (blocking; fsyncs)."""
        self._write_state(self._snapshot())
        self.dirty = False

    async def put(self, records: Sequence[RawRecord]) -> None:
        """Queue records, waiting while the queue is full but giving up on :meth:`stop`.

        Records not queued because of a stop are simply not confirmed: they are re-read on
        the next start.
        """
        queue = self.queue
        if len(queue) + len(records) <= queue.max_records or queue.closed:
            await queue.put_many(records)  # room for all: returns without suspending
            return
        put = asyncio.ensure_future(put_within_bound(queue, records))
        stop = asyncio.ensure_future(self._stop_event.wait())
        try:
            await asyncio.wait({put, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            if not put.done():
                put.cancel()

    # -- state file -----------------------------------------------------------------------

    def _load_state(self) -> dict[str, dict[str, Any]]:
        try:
            raw = json.loads(self.state_path.read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            # A corrupt state file must not stop intake: start over (re-reading, not losing).
            log.warning("%s: unreadable tail state (%s); files are read from the start", self.state_path, exc)
            return {}
        files = raw.get("files") if isinstance(raw, dict) else None
        if not isinstance(files, dict):
            return {}
        ours = {f.path for f in self._followers}
        self._other_state = {k: v for k, v in files.items() if k not in ours}
        return {k: v for k, v in files.items() if isinstance(v, dict)}

    def _snapshot(self) -> dict[str, Any]:
        files = dict(self._other_state)
        for follower in self._followers:
            entry = follower.state()
            if entry is not None:
                files[follower.path] = entry
        return {"version": STATE_VERSION, "files": files}

    def _write_state(self, snapshot: dict[str, Any]) -> None:
        path = self.state_path
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        data = json.dumps(snapshot, indent=1, sort_keys=True).encode()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        # The rename itself must survive a crash too.
        dir_fd = os.open(path.parent, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
