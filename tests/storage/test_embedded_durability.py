"""Embedded store across processes: readers in another process, kill -9 of the writer, torn frames."""

from __future__ import annotations

import json
import os
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from embedded_support import fw_event, run_py, settings, spawn_py

from soc_core.storage.embedded import EmbeddedEventStore
from soc_core.storage.embedded_seal import PAUSE_ENV
from soc_core.storage.embedded_segments import MAGIC, encode_frame, list_segments, scan_frames, segment_name

pytestmark = pytest.mark.slow

READER = """
import json, sys
from soc_core.storage.embedded import EmbeddedEventStore
s = EmbeddedEventStore.open_reader({data!r})
docs = s.search("event.id:ev-000003")
doc = docs[0]["event"]["id"] if docs else None
counts = {{"count": s.count(), "deny": s.count("event.action:deny")}}
print(json.dumps({{**counts, "doc": doc, "ok": s.verify().ok}}))
s.close()
"""

WRITER = """
import sys
sys.path.insert(0, {tests!r})
from embedded_support import fw_event, settings
from soc_core.storage.embedded import EmbeddedEventStore
s = EmbeddedEventStore.open_writer({data!r}, settings(seal_max_events={seal_max}, seal_interval_s=0.05))
b = 0
while True:
    batch = [fw_event(b * 1000 + i) for i in range({batch})]
    s.append(batch)
    print(f"ACK {{b}}", flush=True)
    b += 1
"""


def read_in_other_process(data: Path) -> dict[str, object]:
    proc = run_py(READER.format(data=str(data)))
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def test_reader_in_another_process_before_and_after_sealing(tmp_path: Path) -> None:
    with EmbeddedEventStore.open_writer(tmp_path, settings()) as s:
        s.append([fw_event(i) for i in range(20)])
        assert read_in_other_process(tmp_path) == {"count": 20, "deny": 5, "doc": "ev-000003", "ok": True}
        s.seal_now()
        s.append([fw_event(i) for i in range(20, 24)])
        assert read_in_other_process(tmp_path) == {"count": 24, "deny": 6, "doc": "ev-000003", "ok": True}
    assert read_in_other_process(tmp_path)["count"] == 24  # and after the writer is gone


def all_ids(data: Path) -> Counter[str]:
    with EmbeddedEventStore.open_writer(data, settings()) as s:
        docs = s.search(limit=1_000_000)
        assert s.verify().ok
        return Counter(d["event"]["id"] for d in docs)


def acked_ids(lines: list[str], batch: int) -> set[str]:
    out: set[str] = set()
    for line in lines:
        if line.startswith("ACK "):
            b = int(line.split()[1])
            out.update(fw_event(b * 1000 + i).event.id or "" for i in range(batch))
    return out


def test_kill_9_during_appends_loses_nothing_acknowledged(tmp_path: Path) -> None:
    batch = 37
    code = WRITER.format(tests=str(Path(__file__).parent), data=str(tmp_path), seal_max=150, batch=batch)
    proc = spawn_py(code)
    assert proc.stdout is not None
    lines: list[str] = []
    while len(lines) < 40:  # several rotations and background seals happen meanwhile
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else ""
        lines.append(line.strip())
    os.kill(proc.pid, signal.SIGKILL)
    rest, _ = proc.communicate()
    lines += rest.splitlines()
    acked = acked_ids(lines, batch)
    got = all_ids(tmp_path)
    assert acked <= set(got), sorted(acked - set(got))[:5]
    assert max(got.values()) == 1  # nothing duplicated, sealed or not


def test_kill_9_between_parquet_write_and_manifest_commit(tmp_path: Path) -> None:
    batch = 20
    signal_file = tmp_path / "paused"
    code = WRITER.format(
        tests=str(Path(__file__).parent), data=str(tmp_path / "data"), seal_max=50, batch=batch
    )
    proc = spawn_py(code, env={PAUSE_ENV: str(signal_file)})
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while not signal_file.exists():
        assert time.monotonic() < deadline, "the sealer never reached the pause point"
        line = proc.stdout.readline()
        if line:
            lines.append(line.strip())
    time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    rest, _ = proc.communicate()
    lines += rest.splitlines()
    data = tmp_path / "data"
    written = list((data / "events" / "sealed").rglob("*.parquet"))
    assert written, "the kill should leave uncommitted parquet files behind"
    manifest = (data / "events" / "manifest.jsonl").read_text().splitlines()
    assert [json.loads(x)["op"] for x in manifest] == ["retention_policy"]
    acked = acked_ids(lines, batch)
    got = all_ids(data)
    assert acked <= set(got) and max(got.values()) == 1
    # The orphans were deleted (their part numbers may be reused by the re-seal): every file on
    # disk is now one the manifest committed, and verify() in all_ids() found nothing unexpected.
    reader = EmbeddedEventStore.open_reader(data)
    live = set(reader.manifest.refresh().live)
    reader.close()
    events = data / "events"
    on_disk = {p.relative_to(events).as_posix() for p in (events / "sealed").rglob("*.parquet")}
    assert on_disk == live


def test_torn_and_corrupt_tail_frames_are_truncated(tmp_path: Path) -> None:
    with EmbeddedEventStore.open_writer(tmp_path, settings()) as s:
        s.append([fw_event(i) for i in range(5)])
        s.append([fw_event(i) for i in range(5, 9)])
        seg = s.layout.segments / segment_name(list_segments(s.layout.segments)[0])
    good_size = seg.stat().st_size
    with open(seg, "ab") as fh:
        fh.write(encode_frame(b'{"@timestamp":"2026-01-01T00:00:00Z"}\n')[:-7])  # torn mid-payload
    reader = EmbeddedEventStore.open_reader(tmp_path)
    assert reader.count() == 9  # readers stop at the torn frame
    reader.close()
    with EmbeddedEventStore.open_writer(tmp_path, settings()) as s:
        assert seg.stat().st_size == good_size
        assert s.count() == 9
        s.append([fw_event(100)])
        assert s.count() == 10
    # A frame whose CRC does not match is cut too, with everything after it.
    data = bytearray(seg.read_bytes())
    frames, end = scan_frames(bytes(data))
    assert len(frames) == 2 and end == len(data)
    second = len(encode_frame(frames[0]))
    data[second + 20] ^= 0xFF
    seg.write_bytes(bytes(data))
    with EmbeddedEventStore.open_writer(tmp_path, settings()) as s:
        assert seg.stat().st_size == second
        assert s.count() == 5 + 1


def test_frame_format() -> None:
    frame = encode_frame(b"abc")
    assert frame.startswith(MAGIC) and len(frame) == 12 + 3
    assert scan_frames(frame + frame) == ([b"abc", b"abc"], 30)
    assert scan_frames(frame + b"SWF1\x00") == ([b"abc"], 15)
    assert scan_frames(b"junk" + frame) == ([], 0)


def test_torn_manifest_line_is_not_committed(tmp_path: Path) -> None:
    with EmbeddedEventStore.open_writer(tmp_path, settings()) as s:
        s.append([fw_event(i) for i in range(6)])
        s.seal_now()
    manifest = tmp_path / "events" / "manifest.jsonl"
    committed = manifest.read_bytes()
    with open(manifest, "ab") as fh:
        fh.write(b'{"seq":3,"op":"seal","added":[{"path":"sealed/x.parquet"')  # crash mid-write
    reader = EmbeddedEventStore.open_reader(tmp_path)
    assert reader.count() == 6 and reader.verify().ok  # an unterminated line is not an entry yet
    reader.close()
    with EmbeddedEventStore.open_writer(tmp_path, settings()) as s:
        assert manifest.read_bytes() == committed
        s.append([fw_event(10)])
        s.seal_now()
        assert s.count() == 7 and s.verify().ok


POLLER = """
import json, time
from soc_core.storage.embedded import EmbeddedEventStore
s = EmbeddedEventStore.open_reader({data!r})
sizes, bad = set(), []
print("READY", flush=True)
deadline = time.monotonic() + {seconds}
while time.monotonic() < deadline:
    ids = [d["event"]["id"] for d in s.search(limit=100_000, order="asc")]
    # Appends are in id order, so a consistent snapshot holds exactly ev-0 .. ev-(n-1).
    if ids != [f"ev-{{i:06d}}" for i in range(len(ids))]:
        bad.append(ids)
    sizes.add(len(ids))
print(json.dumps({{"sizes": sorted(sizes), "bad": bad[:2]}}))
"""


def test_reader_process_sees_consistent_snapshots_while_writer_seals(tmp_path: Path) -> None:
    writer = EmbeddedEventStore.open_writer(tmp_path, settings(compact_min_files=3))
    try:
        writer.append([fw_event(i) for i in range(60)])
        proc = spawn_py(POLLER.format(data=str(tmp_path), seconds=4))
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "READY"
        n = 60
        rounds = 0
        while proc.poll() is None:
            writer.append([fw_event(i) for i in range(n, n + 7)])
            n += 7
            writer.seal_now(compact=rounds % 3 == 2)  # seals and compactions race the reader
            rounds += 1
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        result = json.loads(out.strip().splitlines()[-1])
        assert result["bad"] == []
        assert len(result["sizes"]) > 1 and all(size <= n for size in result["sizes"])
    finally:
        writer.close()
