"""The platform's network graph: first communications into key assets alert once, the
learning period holds them back, alerts feed the risk overlay, a restart restores the graph."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from detectors.graph import NodeInfo
from soc_api.runtime.graph import NEW_COMMUNICATION_RULE, GraphService
from soc_core.alerts import Alert
from soc_core.config import GraphSettings
from soc_core.vocabulary import Severity

T0 = 1_795_766_400.0  # 2026-11-27T08:00:00Z
REGISTER = {
    "198.51.100.10": NodeInfo(
        asset_id="a-10", name="社保数据库", zone="private", level=3, owner_unit="人社局"
    ),
    "198.51.100.20": NodeInfo(asset_id="a-20", name="门户", zone="dmz", level=2, criticality="critical"),
    "198.51.100.30": NodeInfo(asset_id="a-30", name="打印机", zone="private", level=1),
}


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _service(tmp_path: Path, clock: Clock, learning_days: float = 0.0) -> GraphService:
    settings = GraphSettings(learning_days=learning_days, risk_half_life_h=1.0)
    return GraphService(settings, data_dir=tmp_path, describe=REGISTER.get, clock=clock)


def _flow(src: str, dst: str, port: int, ts: float) -> tuple[str, str, int | None, str, int, int, float]:
    return (src, dst, port, "tcp", 1, 1200, ts)


def test_a_first_edge_into_a_level_3_or_critical_asset_alerts_once(tmp_path: Path) -> None:
    service = _service(tmp_path, Clock(T0))
    batch = [_flow("192.0.2.5", "198.51.100.10", 3306, T0 + i) for i in range(50)]  # fifty flows, one edge
    batch.append(_flow("192.0.2.5", "198.51.100.30", 9100, T0))  # level 1: no alert
    batch.append(_flow("192.0.2.6", "198.51.100.20", 443, T0 + 5))  # critical
    batch.append(_flow("192.0.2.7", "203.0.113.9", 80, T0))  # not in the register
    alerts = service.update(flows=batch, threats=[], alerts=[])
    assert sorted((a.source_ip, a.destination_ip, a.target, a.severity) for a in alerts) == [
        ("192.0.2.5", "198.51.100.10", "198.51.100.10:3306", Severity.MEDIUM),
        ("192.0.2.6", "198.51.100.20", "198.51.100.20:443", Severity.HIGH),
    ]
    assert {a.rule_id for a in alerts} == {NEW_COMMUNICATION_RULE}
    first = next(a for a in alerts if a.destination_ip == "198.51.100.10")
    assert first.timestamp == dt.datetime.fromtimestamp(T0 + 49, dt.UTC)  # the batch's last flow of it
    assert "社保数据库" in (first.description or "") and "等保3级" in (first.description or "")
    again = service.update(flows=[_flow("192.0.2.5", "198.51.100.10", 3306, T0 + 60)], threats=[], alerts=[])
    assert again == []
    other_port = service.update(
        flows=[_flow("192.0.2.5", "198.51.100.10", 22, T0 + 61)], threats=[], alerts=[]
    )
    assert [a.target for a in other_port] == ["198.51.100.10:22"]


def test_the_learning_period_holds_alerts_back(tmp_path: Path) -> None:
    clock = Clock(T0)
    service = _service(tmp_path, clock, learning_days=1.0)
    assert service.learning()
    assert service.update(flows=[_flow("192.0.2.5", "198.51.100.10", 3306, T0)], threats=[], alerts=[]) == []
    clock.now = T0 + 86_401
    assert not service.learning()
    # the edge learnt during the period stays quiet; a new one alerts
    assert (
        service.update(flows=[_flow("192.0.2.5", "198.51.100.10", 3306, clock.now)], threats=[], alerts=[])
        == []
    )
    late = service.update(flows=[_flow("192.0.2.8", "198.51.100.10", 3306, clock.now)], threats=[], alerts=[])
    assert [a.source_ip for a in late] == ["192.0.2.8"]


def test_alerts_raise_risk_that_decays(tmp_path: Path) -> None:
    service = _service(tmp_path, Clock(T0))
    alert = Alert(
        rule_id="r1",
        rule_name="SQL injection",
        severity=Severity.CRITICAL,
        timestamp=dt.datetime.fromtimestamp(T0, dt.UTC),
        source_ip="192.0.2.66",
        destination_ip="198.51.100.20",
    )
    service.update(flows=[_flow("192.0.2.66", "198.51.100.20", 80, T0)], threats=[], alerts=[alert])
    assert service.graph.risk("192.0.2.66", T0) == 100.0
    assert service.graph.risk("192.0.2.66", T0 + 3600) == 50.0  # half-life one hour
    service.update(flows=[], threats=[("203.0.113.5", "", 50.0, T0)], alerts=[])
    assert service.graph.risk("203.0.113.5", T0 + 7200) == 12.5


def test_a_restart_restores_the_graph_and_remembers_what_it_has_seen(tmp_path: Path) -> None:
    clock = Clock(T0)
    service = _service(tmp_path, clock)
    flows = [_flow(f"192.0.2.{i}", "198.51.100.10", 3306, T0) for i in range(1, 40)]
    assert len(service.update(flows=flows, threats=[("192.0.2.1", "", 75.0, T0)], alerts=[])) == 39
    service.save()
    before = service.graph.to_dict(now=T0 + 10)
    restarted = _service(tmp_path, clock)
    assert restarted.graph.to_dict(now=T0 + 10) == before
    assert restarted.started == service.started
    assert restarted.update(flows=flows, threats=[], alerts=[]) == []  # nothing is new after the restart


def test_a_damaged_graph_file_is_moved_aside_and_the_graph_starts_empty(tmp_path: Path) -> None:
    (tmp_path / "graph").mkdir()
    (tmp_path / "graph" / "graph.msgpack").write_bytes(b"\x00not a graph")
    service = _service(tmp_path, Clock(T0))
    assert service.graph.stats()["edges"] == 0
    assert [p.name for p in (tmp_path / "graph").glob("graph.damaged-*")] == [f"graph.damaged-{int(T0)}"]
