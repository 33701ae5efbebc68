"""FileTailer: append, rotation (rename and copytruncate), restart, confirmed offsets."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from transport_support import nothing_more, take

from collectors.intake import IntakeQueue, IntakeStats
from collectors.transports.filetail import FileTailer, LineSplitter
from soc_core.config import FileSource
from soc_core.records import RawRecord

pytestmark = pytest.mark.timeout(60)

POLL = 0.02


async def eventually(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


def append(path: Path, data: bytes) -> None:
    with path.open("ab") as fh:
        fh.write(data)


@asynccontextmanager
async def tailing(
    path: Path, state: Path, queue: IntakeQueue | None = None, **kwargs: object
) -> AsyncIterator[tuple[FileTailer, IntakeQueue, IntakeStats]]:
    queue = queue if queue is not None else IntakeQueue(10_000)
    stats = IntakeStats()
    source = FileSource(path=path, dataset="linux.auth", timezone="Asia/Shanghai")
    tailer = FileTailer([source], queue, stats, state, poll_interval=POLL, save_interval=0.05, **kwargs)  # type: ignore[arg-type]
    task = asyncio.create_task(tailer.run())
    try:
        yield tailer, queue, stats
    finally:
        tailer.stop()
        await asyncio.wait_for(task, 10)


def run(coro: object) -> None:
    asyncio.run(asyncio.wait_for(coro, 50))  # type: ignore[arg-type]


def test_append_and_partial_lines(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_bytes(b"first\r\nsecond\n")

    async def main() -> None:
        async with tailing(log, tmp_path / "state.json") as (_, queue, stats):
            records = await take(queue, 2)
            assert [r.data for r in records] == [b"first", b"second"]
            assert [r.offset for r in records] == [7, 14]
            origin = f"file:{log}"
            assert all(r.origin == origin and r.hint == "linux.auth" for r in records)
            assert all(r.timezone == "Asia/Shanghai" and r.peer is None for r in records)
            append(log, b"thi")
            await nothing_more(queue)  # an unterminated line waits for its LF
            append(log, b"rd\n\nfourth\n")
            records = await take(queue, 2)
            assert [(r.data, r.offset) for r in records] == [(b"third", 20), (b"fourth", 28)]
            assert stats.totals()["received"] == 4

    run(main())


def test_restart_resumes_from_confirmed_offset_without_duplicates(tmp_path: Path) -> None:
    log, state = tmp_path / "app.log", tmp_path / "state.json"
    log.write_bytes(b"a\nb\nc\n")

    async def main() -> None:
        async with tailing(log, state) as (tailer, queue, _):
            records = await take(queue, 3)
            tailer.mark_records_stored(records)
            assert tailer.committed(f"file:{log}") == 6
        saved = json.loads(state.read_bytes())["files"][str(log)]
        assert saved["offset"] == 6 and saved["inode"] == log.stat().st_ino
        assert not list(tmp_path.glob(".*tmp"))  # atomic write leaves no temp file behind
        append(log, b"d\n")
        async with tailing(log, state) as (_, queue, _):
            (record,) = await take(queue, 1)
            assert (record.data, record.offset) == (b"d", 8)
            await nothing_more(queue)

    run(main())


def test_unconfirmed_lines_are_replayed_after_restart(tmp_path: Path) -> None:
    log, state = tmp_path / "app.log", tmp_path / "state.json"
    log.write_bytes(b"one\ntwo\nthree\n")

    async def main() -> None:
        async with tailing(log, state) as (tailer, queue, _):
            records = await take(queue, 3)
            tailer.mark_stored(records[0].origin, records[0].offset or 0)  # only "one" was stored
        assert json.loads(state.read_bytes())["files"][str(log)]["offset"] == 4
        async with tailing(log, state) as (_, queue, _):
            records = await take(queue, 2)
            assert [r.data for r in records] == [b"two", b"three"]
            await nothing_more(queue)

    run(main())


def test_offsets_not_persisted_before_confirmation(tmp_path: Path) -> None:
    log, state = tmp_path / "app.log", tmp_path / "state.json"
    log.write_bytes(b"x\ny\n")

    async def main() -> None:
        async with tailing(log, state) as (tailer, queue, _):
            records = await take(queue, 2)
            await asyncio.sleep(0.2)  # several save intervals
            assert not state.exists()  # nothing confirmed, nothing to persist
            tailer.mark_stored(f"file:{log}", records[-1].offset or 0)
            await eventually(
                lambda: state.exists() and json.loads(state.read_bytes())["files"][str(log)]["offset"] == 4
            )
            tailer.mark_stored(f"file:{log}", 10_000)  # beyond what was read: clamped
            assert tailer.committed(f"file:{log}") == 4
            tailer.mark_stored("syslog/tcp", 5)  # other origins are ignored

    run(main())


def test_rename_rotation_finishes_old_file_then_reads_new(tmp_path: Path) -> None:
    log, state = tmp_path / "app.log", tmp_path / "state.json"
    log.write_bytes(b"old-1\nold-2\n")

    async def main() -> None:
        async with tailing(log, state) as (tailer, queue, _):
            first = await take(queue, 2)
            log.rename(tmp_path / "app.log.1")
            append(tmp_path / "app.log.1", b"old-3 late write\nold-4 unterminated")
            log.write_bytes(b"new-1\n")
            late = await take(queue, 1)
            assert late[0].data == b"old-3 late write"
            # Not everything from the old file is confirmed: the new file must wait.
            await nothing_more(queue, 0.2)
            tailer.mark_records_stored(first + late)
            rest = await take(queue, 1)
            assert (rest[0].data, rest[0].offset) == (b"old-4 unterminated", 47)
            await nothing_more(queue, 0.2)
            tailer.mark_records_stored(rest)
            (new,) = await take(queue, 1)
            assert (new.data, new.offset) == (b"new-1", 6)
            tailer.mark_records_stored([new])
            append(log, b"new-2\n")
            (new2,) = await take(queue, 1)
            assert (new2.data, new2.offset) == (b"new-2", 12)
            tailer.mark_records_stored([new2])
        saved = json.loads(state.read_bytes())["files"][str(log)]
        assert saved["inode"] == log.stat().st_ino and saved["offset"] == 12

    run(main())


def test_copytruncate_restarts_at_zero(tmp_path: Path) -> None:
    log, state = tmp_path / "app.log", tmp_path / "state.json"
    log.write_bytes(b"line one is long\nline two is long\n")

    async def main() -> None:
        async with tailing(log, state) as (tailer, queue, _):
            records = await take(queue, 2)
            tailer.mark_records_stored(records)
            shutil.copyfile(log, tmp_path / "app.log.1")
            with log.open("r+b") as fh:
                fh.truncate(0)
            append(log, b"after\n")
            (record,) = await take(queue, 1)
            assert (record.data, record.offset) == (b"after", 6)
            tailer.mark_records_stored([record])
            await nothing_more(queue)

    run(main())


def test_truncated_and_regrown_while_down_detected_by_fingerprint(tmp_path: Path) -> None:
    log, state = tmp_path / "app.log", tmp_path / "state.json"
    log.write_bytes(b"2024 original a\n2024 original b\n")

    async def main() -> None:
        async with tailing(log, state) as (tailer, queue, _):
            tailer.mark_records_stored(await take(queue, 2))
        inode = log.stat().st_ino
        with log.open("r+b") as fh:  # same inode, different content, now longer than the offset
            fh.truncate(0)
            fh.write(b"2025 replaced content line 1\n2025 replaced content line 2\n")
        assert log.stat().st_ino == inode
        async with tailing(log, state) as (_, queue, _):
            records = await take(queue, 2)
            assert [r.data for r in records] == [
                b"2025 replaced content line 1",
                b"2025 replaced content line 2",
            ]

    run(main())


def test_rotated_while_down_reads_unconfirmed_tail_of_old_file_first(tmp_path: Path) -> None:
    log, state = tmp_path / "app.log", tmp_path / "state.json"
    log.write_bytes(b"a\nb\n")

    async def main() -> None:
        async with tailing(log, state) as (tailer, queue, _):
            records = await take(queue, 2)
            tailer.mark_records_stored(records[:1])  # "b" never got stored
        log.rename(tmp_path / "app.log.1")
        append(tmp_path / "app.log.1", b"c\n")
        log.write_bytes(b"fresh\n")
        async with tailing(log, state) as (tailer, queue, _):
            old = await take(queue, 2)
            assert [(r.data, r.offset) for r in old] == [(b"b", 4), (b"c", 6)]
            tailer.mark_records_stored(old)
            (new,) = await take(queue, 1)
            assert (new.data, new.offset) == (b"fresh", 6)

    run(main())


def test_file_created_later_read_from_start(tmp_path: Path) -> None:
    log, state = tmp_path / "later.log", tmp_path / "state.json"

    async def main() -> None:
        async with tailing(log, state) as (_, queue, _):
            await nothing_more(queue, 0.1)
            log.write_bytes(b"hello\nworld\n")
            records = await take(queue, 2)
            assert [r.data for r in records] == [b"hello", b"world"]

    run(main())


def test_oversized_line_in_file(tmp_path: Path) -> None:
    log, state = tmp_path / "big.log", tmp_path / "state.json"
    big = b"B" * 250
    log.write_bytes(b"small\n" + big + b"\nafter\n")

    async def main() -> None:
        async with tailing(log, state, max_record_bytes=100) as (_, queue, stats):
            records = await take(queue, 3)
            assert [r.data for r in records] == [b"small", big[:101], b"after"]
            assert [r.offset for r in records] == [6, 257, 263]
            assert stats.totals()["errors"] == 1

    run(main())


def test_large_backlog_with_tiny_queue_stops_promptly(tmp_path: Path) -> None:
    log, state = tmp_path / "backlog.log", tmp_path / "state.json"
    log.write_bytes(b"".join(b"line %d\n" % i for i in range(20_000)))

    async def main() -> None:
        queue = IntakeQueue(50)
        async with tailing(log, state, queue=queue) as (tailer, _, _):
            got: list[RawRecord] = []
            while len(got) < 20_000:
                assert len(queue) <= 50
                batch = await queue.get_batch(37, timeout=5)
                assert batch, "tailer stalled"
                got += batch
                tailer.mark_records_stored(batch)
            assert got[-1].data == b"line 19999"
            assert [int(r.data.split()[1]) for r in got] == list(range(20_000))
            append(log, b"".join(b"more %d\n" % i for i in range(5_000)))
            await eventually(lambda: len(queue) == 50)
        # stop() returned although the tailer was blocked on the full queue.

    run(main())


def test_corrupt_state_file_reads_from_start(tmp_path: Path) -> None:
    log, state = tmp_path / "app.log", tmp_path / "state.json"
    log.write_bytes(b"kept\n")
    state.write_bytes(b"{not json")

    async def main() -> None:
        async with tailing(log, state) as (_, queue, _):
            (record,) = await take(queue, 1)
            assert record.data == b"kept"

    run(main())


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64])
def test_line_splitter_offsets_independent_of_chunking(size: int) -> None:
    data = b"a\r\nbb\n\nccc\n" + b"D" * 30 + b"\nee\nunterm"
    whole = LineSplitter(10)
    expected = whole.feed(data)
    pieces = LineSplitter(10)
    lines: list[bytes] = []
    ends: list[int] = []
    for i in range(0, len(data), size):
        got_lines, got_ends = pieces.feed(data[i : i + size])
        lines += got_lines
        ends += got_ends
    assert (lines, ends) == expected
    assert expected == ([b"a", b"bb", b"ccc", b"D" * 11, b"ee"], [3, 6, 11, 42, 45])
    assert pieces.errors == whole.errors == 1
    assert pieces.flush() == ([b"unterm"], [len(data)])
