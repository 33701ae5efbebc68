"""The register, enrichment and the graph through the real commands: an imported register
enriches events, a first edge into a level-3 asset alerts once, and the graph ingested
offline survives in its aggregates for ``soc graph``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from soc_api.testing import run_soc, search_count

pytestmark = pytest.mark.slow

REGISTER = (
    "IP地址,主机名,责任单位,安全域,等保级别,重要程度\n"
    "198.51.100.10,社保数据库,人社局,专用网络区,三级,高\n"
    "198.51.100.20,门户网站,大数据局,DMZ,二级,核心\n"
)


def _session(i: int, src: str, dst: str, port: int) -> str:
    return (
        f"<190>Nov 27 2026 16:00:{i % 60:02d} USG6650-A %%01SECLOG/6/SESSION_TEARDOWN(l):"
        "IPVer=4,Protocol=tcp,"
        f"SourceIP={src},DestinationIP={dst},SourcePort={40000 + i},DestinationPort={port},"
        f"BeginTime=1795766000,EndTime=1795766400,SendPkts=10,SendBytes=1000,RcvPkts=10,RcvBytes=9000,"
        f"SourceVpnID=0,DestinationVpnID=0,PolicyName=default."
    )


def _ingest(data_dir: Path, lines: list[str], tmp_path: Path, name: str) -> dict[str, int]:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {**os.environ, "SOC_GRAPH__LEARNING_DAYS": "0"}
    done = run_soc("ingest", "--data", str(data_dir), str(path), env=env)
    assert done.returncode == 0, done.stderr
    summary: dict[str, int] = json.loads(done.stdout.strip().splitlines()[-1])
    return summary


def test_register_enrichment_new_edges_and_the_saved_graph(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    register = tmp_path / "资产台账.csv"
    register.write_bytes(REGISTER.encode("gb18030"))  # as Excel in China saves it
    done = run_soc("assets", "import", str(register), "--data", str(data_dir))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["created"] == 2

    # fifty sessions on one edge into the level-3 database, one into the critical portal, one elsewhere
    lines = [_session(i, "192.0.2.5", "198.51.100.10", 3306) for i in range(50)]
    lines += [_session(50, "192.0.2.6", "198.51.100.20", 443), _session(51, "192.0.2.7", "203.0.113.9", 80)]
    summary = _ingest(data_dir, lines, tmp_path, "fw1.log")
    assert summary["events"] == 52 and summary["alerts"] == 2

    assert search_count(data_dir, "shaowang.destination_asset.level:3") == 50
    assert search_count(data_dir, 'shaowang.destination_asset.owner_unit:"人社局"') == 50
    assert search_count(data_dir, "shaowang.destination_asset.criticality:critical") == 1
    assert search_count(data_dir, "shaowang.destination_asset.zone:private") == 50
    alerts = "event.kind:alert AND rule.id:shaowang.graph.new_communication"
    assert search_count(data_dir, alerts) == 2
    assert search_count(data_dir, f"{alerts} AND destination.ip:198.51.100.10 AND source.ip:192.0.2.5") == 1

    # a second run over the same edges: the graph was restored from its aggregates, nothing is new
    again = _ingest(data_dir, lines[:10], tmp_path, "fw2.log")
    assert again["alerts"] == 0
    assert search_count(data_dir, alerts) == 2

    exported = run_soc("graph", "export", "--data", str(data_dir))
    assert exported.returncode == 0, exported.stderr
    graph = json.loads(exported.stdout)
    edge = next(e for e in graph["edges"] if e["target"] == "198.51.100.10")
    assert (edge["source"], edge["port"], edge["transport"], edge["count"]) == ("192.0.2.5", 3306, "tcp", 60)
    assert edge["bytes"] == 60 * 10_000
    database = next(n for n in graph["nodes"] if n.get("ip") == "198.51.100.10")
    assert database["zone"] == "private" and database["kind"] == "asset"

    graphml = run_soc("graph", "export", "--data", str(data_dir), "--format", "graphml")
    assert graphml.returncode == 0 and graphml.stdout.startswith("<?xml")
    neighbours = run_soc("graph", "neighbours", "198.51.100.10", "--data", str(data_dir), "--direction", "in")
    assert [n["ip"] for n in json.loads(neighbours.stdout)] == ["192.0.2.5"]

    # discovery: the extranet's own hosts seen in flows joined the register
    listed = run_soc("assets", "list", "--data", str(data_dir), "--json")
    hosts = {a.get("ip") for a in json.loads(listed.stdout)["assets"]}
    assert {"192.0.2.5", "192.0.2.6", "192.0.2.7", "198.51.100.10"} <= hosts


def test_soc_run_feeds_the_graph_and_serves_the_map(tmp_path: Path) -> None:
    from soc_api.testing import PlatformProcess, add_user, send_tcp, wait_for

    data_dir = tmp_path / "data"
    register = tmp_path / "assets.csv"
    register.write_text(REGISTER, encoding="utf-8")
    assert run_soc("assets", "import", str(register), "--data", str(data_dir)).returncode == 0
    add_user(data_dir, "ana", "analyst")
    env = {"SOC_GRAPH__LEARNING_DAYS": "0", "SOC_GRAPH__SAVE_INTERVAL_S": "1"}
    with PlatformProcess(data_dir, env=env) as soc:
        lines = [_session(i, "192.0.2.5", "198.51.100.10", 3306).encode() for i in range(20)]
        send_tcp(soc.syslog_port, lines)
        alerts = "event.kind:alert AND rule.id:shaowang.graph.new_communication"
        wait_for(lambda: search_count(data_dir, alerts) == 1, timeout=60, interval=0.5)
        assert search_count(data_dir, "shaowang.destination_asset.name:社保数据库") == 20
        soc.login("ana")
        graph = soc.get("/api/v1/graph", zone="private")
        assert [(e["source"], e["target"], e["count"]) for e in graph["edges"]] == [
            ("192.0.2.5", "198.51.100.10", 20)
        ]
        assert soc.stats()["graph"]["new_communication_alerts"] == 1
        assert soc.stop() == 0
    exported = run_soc("graph", "export", "--data", str(data_dir), "--zone", "private")
    assert json.loads(exported.stdout)["edges"][0]["count"] == 20  # saved at shutdown
