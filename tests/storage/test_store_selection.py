"""Choosing the event store: ``soc ingest`` / ``soc search`` with ``--store`` and the settings.

The CLI runs as a real subprocess; the Elasticsearch wire-protocol stub runs in this process
and the subprocess reaches it over a socket on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from es_stub import EsStub

from soc_api.testing import PlatformProcess, add_user, send_tcp, wait_for

LINES = (
    "<190>Nov 27 16:00:01 fw01 src=192.0.2.10 dst=198.51.100.7 dport=443 action=deny\n"
    "<190>Nov 27 16:00:02 fw01 src=192.0.2.11 dst=198.51.100.7 dport=22 action=deny\n"
    "<190>Nov 27 16:00:03 fw01 src=192.0.2.12 dst=203.0.113.9 dport=53 action=allow\n"
)


@pytest.fixture
def stub() -> Iterator[EsStub]:
    server = EsStub().start()
    yield server
    server.stop()


def soc(cwd: Path, *args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``soc <args>`` in ``cwd``, with only ``config`` as settings (no inherited SOC_* variables)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOC_")}
    if config is not None:
        env["SOC_CONFIG"] = str(config)
    return subprocess.run(
        [sys.executable, "-m", "soc_api.cli", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def ingest(tmp_path: Path, *flags: str, config: Path | None = None) -> dict[str, Any]:
    raw = tmp_path / "fw.log"
    raw.write_text(LINES, encoding="utf-8")
    data = str(tmp_path / "data")
    args = ("ingest", "--data", data, "--format", "syslog.kv", "--timezone", "UTC", *flags, str(raw))
    proc = soc(tmp_path, *args, config=config)
    assert proc.returncode == 0, proc.stderr
    summary: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return summary


def search(tmp_path: Path, query: str, *flags: str, config: Path | None = None) -> list[dict[str, Any]]:
    proc = soc(tmp_path, "search", "--data", str(tmp_path / "data"), *flags, query, config=config)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def source_ips(docs: list[dict[str, Any]]) -> list[str]:
    return sorted(doc["source"]["ip"] for doc in docs)


def test_flags_select_elasticsearch_for_ingest_and_search(tmp_path: Path, stub: EsStub) -> None:
    flags = ("--store", "elasticsearch", "--es-url", stub.url)
    summary = ingest(tmp_path, *flags)
    assert summary["events"] == 3 and summary["dead_letter"] == 0
    assert len(stub.documents()) == 3  # in Elasticsearch, not only in the data directory

    assert source_ips(search(tmp_path, "*", *flags)) == ["192.0.2.10", "192.0.2.11", "192.0.2.12"]
    assert source_ips(search(tmp_path, "source.ip:192.0.2.11", *flags)) == ["192.0.2.11"]
    # no embedded store was made in the data directory
    embedded = soc(tmp_path, "search", "--data", str(tmp_path / "data"), "*")
    assert embedded.returncode != 0 and "no event store here" in embedded.stderr


def test_settings_file_selects_elasticsearch(tmp_path: Path, stub: EsStub) -> None:
    config = tmp_path / "shaowang.toml"
    config.write_text(
        '[store]\nbackend = "elasticsearch"\n\n'
        f'[store.elasticsearch]\nurl = "{stub.url}"\nnamespace = "site1"\n',
        encoding="utf-8",
    )
    assert ingest(tmp_path, config=config)["events"] == 3
    assert all(name.endswith("-site1") for name in stub.streams)

    assert source_ips(search(tmp_path, "destination.ip:198.51.100.7", config=config)) == [
        "192.0.2.10",
        "192.0.2.11",
    ]


def test_store_flag_uses_the_url_from_the_settings(tmp_path: Path, stub: EsStub) -> None:
    config = tmp_path / "shaowang.toml"
    config.write_text(f'[store.elasticsearch]\nurl = "{stub.url}"\n', encoding="utf-8")
    assert ingest(tmp_path, "--store", "elasticsearch", config=config)["events"] == 3
    assert len(search(tmp_path, "*", "--store", "elasticsearch", config=config)) == 3


@pytest.mark.parametrize("how", ["flag", "settings"])
def test_elasticsearch_without_url_is_refused(tmp_path: Path, how: str) -> None:
    config = tmp_path / "shaowang.toml"
    if how == "flag":
        config.write_text("[store]\nretention_days = 180\n", encoding="utf-8")
        flags: tuple[str, ...] = ("--store", "elasticsearch")
    else:
        config.write_text('[store]\nbackend = "elasticsearch"\n', encoding="utf-8")
        flags = ()
    for command in ("ingest", "search"):
        proc = soc(tmp_path, command, "--data", str(tmp_path / "data"), *flags, "-", config=config)
        assert proc.returncode != 0
        assert "store.elasticsearch.url" in proc.stderr, proc.stderr


def test_unreachable_url_is_named_without_credentials(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://soc:s3cret@127.0.0.1:{port}"
    for command in ("ingest", "search"):
        flags = ("--store", "elasticsearch", "--es-url", url)
        proc = soc(tmp_path, command, "--data", str(tmp_path / "data"), *flags, "-")
        assert proc.returncode != 0
        assert f"http://127.0.0.1:{port}" in proc.stderr, proc.stderr
        assert "s3cret" not in proc.stderr


def test_soc_run_stores_into_elasticsearch_when_asked(tmp_path: Path, stub: EsStub) -> None:
    """``soc run --store elasticsearch``: syslog in, documents in the data streams, nothing in
    the embedded store, the store figures from the cluster."""
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOC_")}
    env["SOC_CONFIG"] = str(tmp_path / "none.toml")
    (tmp_path / "none.toml").write_text("[detection]\nshipped = false\n", encoding="utf-8")
    add_user(data, "sec", "security_admin")
    platform = PlatformProcess(data, env=env, extra_args=("--store", "elasticsearch", "--es-url", stub.url))
    with platform:
        send_tcp(platform.syslog_port, [line.encode() for line in LINES.splitlines()])
        wait_for(lambda: len(stub.documents()) >= 3, timeout=60)
        platform.login("sec")
        figures = platform.stats()
        hits = platform.get("/api/v1/events", q="source.ip:192.0.2.11")
    assert "events   Elasticsearch http://127.0.0.1:" in platform.log()
    assert sorted(d["source"]["ip"] for d in stub.documents()) == ["192.0.2.10", "192.0.2.11", "192.0.2.12"]
    assert all(name.startswith("logs-syslog.kv-") for name in stub.streams)
    assert figures["store"]["backend"] == "elasticsearch"
    assert figures["store"]["events"] == 3
    assert figures["stored"] == 3
    assert [doc["source"]["ip"] for doc in hits["events"]] == ["192.0.2.11"]
    assert not (data / "events").exists()  # nothing went to the embedded store
