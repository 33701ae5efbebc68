"""Graph routes through the real FastAPI app: the role matrix, the map with its filters, the questions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from detectors.graph import NodeInfo
from soc_api.app import create_app
from soc_api.auth.permissions import MATRIX, Permission
from soc_api.context import AppContext
from soc_api.runtime.graph import GraphService
from soc_core.config import GraphSettings, load_settings
from soc_core.state.db import open_state
from soc_core.state.users import create_user
from soc_core.storage.embedded import EmbeddedEventStore
from soc_core.vocabulary import Role

PASSWORD = "Gongan-Lan-2024"
T0 = 1_795_766_400.0  # 2026-11-27T08:00:00Z
REGISTER = {
    "198.51.100.10": NodeInfo(asset_id="1", name="db", zone="private", level=3),
    "192.0.2.80": NodeInfo(asset_id="2", name="portal", zone="dmz", level=2),
    "203.0.113.7": NodeInfo(zone="internet"),
}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[TestClient, dict[Role, str]]]:
    settings = load_settings(data_dir=tmp_path / "data")
    state = open_state(f"sqlite:///{tmp_path / 'state.db'}")
    with state.session() as session:
        for role in Role:
            create_user(session, username=role.value, password=PASSWORD, roles=[role])
    graph = GraphService(
        GraphSettings(learning_days=0), data_dir=tmp_path / "data", describe=REGISTER.get, clock=lambda: T0
    )
    graph.update(
        flows=[
            ("203.0.113.7", "192.0.2.80", 443, "tcp", 1, 5000, T0),
            ("192.0.2.80", "198.51.100.10", 3306, "tcp", 1, 800, T0 + 60),
            ("192.0.2.80", "198.51.100.10", 3306, "tcp", 1, 700, T0 + 120),
        ],
        threats=[("203.0.113.7", "192.0.2.80", 100.0, T0)],
        alerts=[],
    )
    events = EmbeddedEventStore(tmp_path / "data", None, writer=False)
    app = create_app(AppContext(settings=settings, events=events, state=state, graph=graph))
    try:
        with TestClient(app) as test_client:
            tokens = {}
            for role in Role:
                r = test_client.post(
                    "/api/v1/auth/login", json={"username": role.value, "password": PASSWORD}
                )
                assert r.status_code == 200, r.text
                tokens[role] = r.json()["access_token"]
            yield test_client, tokens
    finally:
        state.close()


def _get(
    client: tuple[TestClient, dict[Role, str]], path: str, role: Role = Role.ANALYST, **params: Any
) -> Any:
    test_client, tokens = client
    return test_client.get(path, params=params, headers={"Authorization": f"Bearer {tokens[role]}"})


def test_only_the_roles_of_the_matrix_read_the_graph(client: tuple[TestClient, dict[Role, str]]) -> None:
    for role in Role:
        status = _get(client, "/api/v1/graph", role).status_code
        assert status == (200 if role in MATRIX[Permission.GRAPH_READ] else 403), role
    assert client[0].get("/api/v1/graph").status_code == 401


def test_the_map_and_its_filters(client: tuple[TestClient, dict[Role, str]]) -> None:
    whole = _get(client, "/api/v1/graph").json()
    edges = {(e["source"], e["target"], e["port"]): e for e in whole["edges"]}
    assert set(edges) == {("203.0.113.7", "192.0.2.80", 443), ("192.0.2.80", "198.51.100.10", 3306)}
    database = edges[("192.0.2.80", "198.51.100.10", 3306)]
    assert (database["count"], database["bytes"]) == (2, 1500)
    assert database["first_seen"].startswith("2026-11-27T08:01:00")
    assert whole["stats"]["learning"] is False
    private = _get(client, "/api/v1/graph", zone="private").json()
    assert [(e["source"], e["target"]) for e in private["edges"]] == [("192.0.2.80", "198.51.100.10")]
    risky = _get(client, "/api/v1/graph", min_risk=10).json()
    assert {n["ip"] for n in risky["nodes"] if n.get("ip")} == {"203.0.113.7", "192.0.2.80"}
    later = _get(client, "/api/v1/graph", since="2026-11-27T08:01:30Z").json()
    assert [e["port"] for e in later["edges"]] == [3306]


def test_the_questions(client: tuple[TestClient, dict[Role, str]]) -> None:
    inbound = _get(client, "/api/v1/graph/neighbours/198.51.100.10", direction="in").json()
    assert [n["ip"] for n in inbound["neighbours"]] == ["192.0.2.80"]
    paths = _get(client, "/api/v1/graph/paths", from_zone="internet", to="198.51.100.10").json()
    assert [p["nodes"] for p in paths["paths"]] == [["203.0.113.7", "192.0.2.80", "198.51.100.10"]]
    blast = _get(client, "/api/v1/graph/blast-radius/203.0.113.7", at="2026-11-27T08:00:00Z").json()
    assert blast["reached"] == ["192.0.2.80"] and blast["next_hop"] == ["198.51.100.10"]
    new = _get(client, "/api/v1/graph/new", since="2026-11-27T08:00:30Z").json()
    assert [(e["source"], e["target"]) for e in new["edges"]] == [("192.0.2.80", "198.51.100.10")]
    talkers = _get(client, "/api/v1/graph/top-talkers", to_zone="private").json()
    assert [t["ip"] for t in talkers["talkers"]] == ["192.0.2.80"]
