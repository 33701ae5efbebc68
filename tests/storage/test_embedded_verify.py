"""Tamper evidence: verify() and ``soc store verify`` against real files."""

from __future__ import annotations

import hashlib
import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest
from embedded_support import REPO, fw_event, settings

from soc_core.digests import PureSM3, file_digests, sm3_hex
from soc_core.storage.embedded import EmbeddedEventStore
from soc_core.storage.embedded_manifest import GENESIS, entry_hash


@pytest.fixture
def data(tmp_path: Path) -> Path:
    with EmbeddedEventStore.open_writer(tmp_path, settings()) as s:
        for day in range(3):
            s.append(
                [fw_event(day * 100 + i, when=fw_event(0).timestamp.replace(day=10 + day)) for i in range(5)]
            )
            s.seal_now()
    return tmp_path


def parts(data: Path) -> list[Path]:
    return sorted((data / "events" / "sealed").rglob("*.parquet"))


def rel(data: Path, path: Path) -> str:
    return path.relative_to(data / "events").as_posix()


def verify(data: Path) -> list[tuple[str, str]]:
    store = EmbeddedEventStore.open_reader(data)
    try:
        return [(p.problem, p.partition) for p in store.verify().problems]
    finally:
        store.close()


def soc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "soc_api.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "SOC_CONFIG": "/dev/null", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )


def test_intact_store_verifies(data: Path) -> None:
    assert verify(data) == []
    manifest = [json.loads(x) for x in (data / "events" / "manifest.jsonl").read_text().splitlines()]
    assert manifest[0]["prev_hash"] == GENESIS
    for prev, entry in itertools.pairwise(manifest):
        assert entry["prev_hash"] == prev["hash"] and entry["hash"] == entry_hash(entry)
    added = [a for e in manifest for a in e["added"]]
    assert len(added) == 3
    for a in added:
        assert (a["sha256"], a["sm3"]) == file_digests(data / "events" / a["path"])


def test_flipped_byte_is_modified(data: Path) -> None:
    target = parts(data)[1]
    raw = bytearray(target.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    target.write_bytes(bytes(raw))
    assert verify(data) == [("modified", rel(data, target))]


def test_deleted_file_is_missing(data: Path) -> None:
    target = parts(data)[0]
    target.unlink()
    assert verify(data) == [("missing", rel(data, target))]


def test_edited_manifest_line_is_out_of_chain(data: Path) -> None:
    path = data / "events" / "manifest.jsonl"
    lines = path.read_text().splitlines()
    entry = json.loads(lines[2])
    entry["detail"]["rows"] = 4  # hide one event
    lines[2] = json.dumps(entry, sort_keys=True, separators=(",", ":"))
    path.write_text("\n".join(lines) + "\n")
    problems = verify(data)
    assert problems == [("out_of_chain", entry["added"][0]["path"])]


def test_removed_manifest_line_breaks_the_chain(data: Path) -> None:
    path = data / "events" / "manifest.jsonl"
    lines = path.read_text().splitlines()
    removed = json.loads(lines[1])
    del lines[1]
    path.write_text("\n".join(lines) + "\n")
    problems = verify(data)
    # The following entry no longer links; the file its removed entry listed is now unknown.
    assert ("out_of_chain", json.loads(lines[1])["added"][0]["path"]) in problems
    assert ("unexpected", removed["added"][0]["path"]) in problems


def test_stray_file_is_unexpected(data: Path) -> None:
    stray = parts(data)[0].parent / "part-000000000001-copy.parquet"
    stray.write_bytes(parts(data)[0].read_bytes())
    assert verify(data) == [("unexpected", rel(data, stray))]


def test_cli_verify_and_stats(data: Path) -> None:
    ok = soc("store", "verify", "--data", str(data))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK: 3 sealed partition files")
    stats = soc("store", "stats", "--data", str(data))
    assert stats.returncode == 0, stats.stderr
    doc = json.loads(stats.stdout)
    assert (
        doc["events"] == 15 and doc["sealed_files"] == 3 and doc["segments"] == 0 and doc["bytes_on_disk"] > 0
    )
    target = parts(data)[2]
    target.write_bytes(target.read_bytes()[:-1] + b"X")
    bad = soc("store", "verify", "--data", str(data))
    assert bad.returncode == 1
    lines = bad.stdout.splitlines()
    assert lines[0].split()[:2] == ["MODIFIED", rel(data, target)]
    assert lines[-1].startswith("FAILED: 1 problem(s)")


def test_sm3_known_answers_and_fallback() -> None:
    # GB/T 32905-2016 Appendix A examples.
    abc = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    long = "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    assert sm3_hex(b"abc") == abc
    assert sm3_hex(b"abcd" * 16) == long
    pure = PureSM3()
    pure.update(b"ab")
    pure.update(b"c")
    assert pure.hexdigest() == abc
    assert PureSM3(b"abcd" * 16).hexdigest() == long
    assert hashlib.sha256(b"abc").hexdigest() == file_digests.__globals__["sha256_hex"](b"abc")
