"""The ``soc`` commands as a user runs them: ingest, search, store verify, retention policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from soc_api.testing import PlatformProcess, firewall_line, run_soc
from soc_core.audit import list_audit
from soc_core.state.db import open_state

pytestmark = pytest.mark.slow


def _write_log(path: Path, lines: int) -> Path:
    path.write_bytes(b"".join(firewall_line(i) + b"\n" for i in range(lines)) + b"\xff\xfe not a log line\n")
    return path


def test_ingest_then_search_with_time_range_and_count(tmp_path: Path) -> None:
    data = tmp_path / "data"
    log = _write_log(tmp_path / "fw.log", 500)
    done = run_soc("ingest", "--data", str(data), str(log))
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary == {"lines": 501, "events": 500, "dead_letter": 1, "alerts": 0}

    count = run_soc("search", "--data", str(data), "--count", "event.action:deny")
    assert count.returncode == 0 and int(count.stdout) == 100
    # The lines carry "Nov 27 16:00:00" in Asia/Shanghai: 08:00:00Z on the receive year.
    hits = run_soc(
        "search",
        "--data",
        str(data),
        "--limit",
        "3",
        "--from",
        "2000-01-01T00:00:00Z",
        "source.ip:192.0.2.2 AND NOT event.action:deny",
    )
    docs = [json.loads(line) for line in hits.stdout.splitlines()]
    assert len(docs) == 2 and all(d["source"]["ip"] == "192.0.2.2" for d in docs)
    assert all(d["@timestamp"].endswith("08:00:00Z") for d in docs)
    future = run_soc("search", "--data", str(data), "--count", "--from", "2999-01-01T00:00:00Z", "*")
    assert int(future.stdout) == 0
    bad = run_soc("search", "--data", str(data), "source.ip:(")
    assert bad.returncode == 2 and "column" in bad.stderr


def test_store_verify_names_a_modified_partition(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run_soc("ingest", "--data", str(data), str(_write_log(tmp_path / "fw.log", 200))).returncode == 0
    ok = run_soc("store", "verify", "--data", str(data))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    parts = sorted((data / "events" / "sealed").rglob("*.parquet"))
    assert parts, "soc ingest seals what it stored on close"
    victim = parts[0]
    raw = bytearray(victim.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    victim.write_bytes(bytes(raw))
    bad = run_soc("store", "verify", "--data", str(data))
    assert bad.returncode != 0
    assert victim.name in bad.stdout + bad.stderr and "modified" in bad.stdout + bad.stderr


def test_retention_below_180_days_needs_a_recorded_reason(tmp_path: Path) -> None:
    data = tmp_path / "data"
    refused = PlatformProcess(data, env={"SOC_STORE__RETENTION_DAYS": "30"})
    with pytest.raises(RuntimeError, match="180"):
        refused.start()
    allowed = PlatformProcess(
        data,
        env={"SOC_STORE__RETENTION_DAYS": "30", "SOC_STORE__RETENTION_OVERRIDE": "test lab, no real data"},
    )
    with allowed:
        pass
    state = open_state(f"sqlite:///{(data / 'state.db').resolve()}")
    try:
        with state.session() as session:
            entries = [e for e in list_audit(session, limit=100) if e.action == "store.retention_override"]
            assert entries and entries[0].detail_value["reason"] == "test lab, no real data"
    finally:
        state.close()


def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    import socket

    from soc_api.testing import free_port

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_soc(
            "run",
            "--data",
            str(tmp_path / "data"),
            "--syslog",
            f"127.0.0.1:{free_port()}",
            "--api",
            f"127.0.0.1:{port}",
            timeout=60,
        )
    assert done.returncode == 2
    assert f"api: cannot listen on 127.0.0.1:{port}" in done.stderr


def test_ingest_dead_letters_an_over_long_line_and_keeps_the_rest(tmp_path: Path) -> None:
    data = tmp_path / "data"
    log = tmp_path / "big.log"
    log.write_bytes(
        firewall_line(1) + b"\n" + b"k=" + b"x" * (5 * 1024 * 1024) + b"\n" + firewall_line(2) + b"\r\n"
    )
    done = run_soc("ingest", "--data", str(data), str(log))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["dead_letter"] == 1
    assert int(run_soc("search", "--data", str(data), "--count", "error.type:record_too_long").stdout) == 1
    assert int(run_soc("search", "--data", str(data), "--count", "syslog.kv.seq:(1 OR 2)").stdout) == 2
