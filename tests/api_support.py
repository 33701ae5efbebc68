"""A real FastAPI app over a real StateStore (SQLite or PostgreSQL) and a real embedded event
store, with one account per role: shared by the API tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from httpx2 import Response

from soc_api.app import create_app
from soc_api.context import AppContext
from soc_api.runtime.graph import GraphService
from soc_core.alerts import Alert
from soc_core.config import GraphSettings, load_settings
from soc_core.events import Event
from soc_core.state.alerts import save_alerts
from soc_core.state.db import StateStore, open_state
from soc_core.state.users import create_user
from soc_core.storage.embedded import EmbeddedEventStore
from soc_core.vocabulary import Role, Severity

PASSWORD = "Gongan-Lan-2024"
BASE_URL = "https://testserver"  # https: the console cookies are Secure
T0 = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


class Api:
    """A test client that logs in as one user per role (the username is the role's name)."""

    def __init__(self, client: TestClient, state: StateStore, events: EmbeddedEventStore) -> None:
        self.client = client
        self.state = state
        self.events = events
        self.tokens: dict[str, str] = {}

    def login(self, username: str, password: str = PASSWORD) -> Response:
        """POST the login form."""
        return self.client.post("/api/v1/auth/login", json={"username": username, "password": password})

    def token(self, who: Role | str) -> str:
        """A Bearer token for ``who`` (a role's account or a username), cached."""
        name = who.value if isinstance(who, Role) else who
        if name not in self.tokens:
            response = self.login(name)
            assert response.status_code == 200, response.text
            self.tokens[name] = response.json()["access_token"]
        return self.tokens[name]

    def headers(self, who: Role | str) -> dict[str, str]:
        """The Authorization header of ``who``."""
        return {"Authorization": f"Bearer {self.token(who)}"}

    def get(self, path: str, who: Role | str = Role.ANALYST, **params: Any) -> Response:
        """GET as ``who``."""
        return self.client.get(path, params=params, headers=self.headers(who))

    def send(self, method: str, path: str, who: Role | str = Role.ANALYST, **kwargs: Any) -> Response:
        """Any method as ``who``; ``json=``, ``params=`` … pass through."""
        headers = {**self.headers(who), **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)


def alert(n: int, **overrides: Any) -> Alert:
    """A distinct alert; ``n`` spreads time, severity and source across a small range."""
    fields: dict[str, Any] = {
        "rule_id": f"rule-{n % 3}",
        "rule_name": f"Web attack {n % 3}",
        "severity": Severity(2 + n % 4),
        "timestamp": T0 + dt.timedelta(minutes=n),
        "last_seen": T0 + dt.timedelta(minutes=n, seconds=30),
        "source_ip": f"203.0.113.{10 + n % 2}",
        "destination_ip": "192.0.2.80",
        "attack_type": "SQL injection",
        "target": "http://192.0.2.80/login",
        "gb20986_category": "NAI",
        "tags": ["attack.initial_access", "attack.t1190"],
        "id": f"alert-{n:03d}",
    }
    fields.update(overrides)
    return Alert(**fields)


def store_alerts(state: StateStore, alerts: Iterable[Alert]) -> None:
    """Save alerts as detection would."""
    with state.session() as session:
        save_alerts(session, alerts=list(alerts))


def store_events(events: EmbeddedEventStore, docs: Iterable[dict[str, Any]]) -> None:
    """Append ECS documents to the event store."""
    events.append([Event.from_dict(doc) for doc in docs])


def small_graph(data_dir: Path) -> GraphService:
    """A running graph with an internet attacker, a DMZ web server and its database."""
    t0 = T0.timestamp()
    graph = GraphService(GraphSettings(learning_days=0), data_dir=data_dir, clock=lambda: t0)
    graph.update(
        flows=[
            ("203.0.113.10", "192.0.2.80", 443, "tcp", 3, 9000, t0),
            ("192.0.2.80", "198.51.100.10", 3306, "tcp", 1, 800, t0 + 60),
        ],
        threats=[("203.0.113.10", "192.0.2.80", 75.0, t0)],
        alerts=[],
    )
    return graph


@contextmanager
def api_for(tmp_path: Path, state_url: str, **settings: Any) -> Iterator[Api]:
    """The app with one account per role, over fresh stores."""
    config = load_settings(data_dir=tmp_path / "data", **settings)
    state = open_state(state_url)
    with state.session() as session:
        for role in Role:
            create_user(session, username=role.value, password=PASSWORD, roles=[role])
    events = EmbeddedEventStore.open_writer(tmp_path / "data", config.store)
    graph = small_graph(tmp_path / "data")
    app = create_app(AppContext(settings=config, events=events, state=state, graph=graph))
    try:
        with TestClient(app, base_url=BASE_URL) as client:
            yield Api(client, state, events)
    finally:
        events.close()
        state.close()
