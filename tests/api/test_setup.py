"""First start: a one-time link, three people, three admin accounts; until then only setup answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import BASE_URL
from fastapi.testclient import TestClient
from state_fixtures import state_url

from soc_api.app import create_app
from soc_api.context import AppContext
from soc_api.setup.service import begin_setup
from soc_core.audit import list_audit
from soc_core.config import load_settings
from soc_core.state.db import StateStore, open_state
from soc_core.state.users import create_user
from soc_core.storage.embedded import EmbeddedEventStore

__all__ = ["state_url"]
NOW = dt.datetime(2026, 11, 28, 8, 0, tzinfo=dt.UTC)
ACCOUNTS = {
    "system_admin": ("wangwei", "Wang-Wei-Sys-2026"),
    "security_admin": ("liuyang", "Liu-Yang-Sec-2026"),
    "audit_admin": ("chenjing", "Chen-Jing-Aud-2026"),
}


class Fresh:
    """A platform that has never had an account."""

    def __init__(self, client: TestClient, state: StateStore, token: str) -> None:
        self.client, self.state, self.token = client, state, token

    def create(self, role: str, token: str | None = None, **body: str) -> object:
        username, password = ACCOUNTS[role]
        payload = {"role": role, "username": username, "password": password, **body}
        return self.client.post(
            "/api/v1/setup/accounts", json=payload, headers={"X-Setup-Token": token or self.token}
        )


@pytest.fixture
def fresh(tmp_path: Path, state_url: str) -> Iterator[Fresh]:
    settings = load_settings(data_dir=tmp_path / "data")
    state = open_state(state_url)
    with state.session() as session:
        token = begin_setup(session, now=NOW)
    assert token is not None
    events = EmbeddedEventStore.open_writer(tmp_path / "data", settings.store)
    app = create_app(AppContext(settings=settings, events=events, state=state))
    try:
        with TestClient(app, base_url=BASE_URL) as client:
            yield Fresh(client, state, token)
    finally:
        events.close()
        state.close()


def test_until_setup_only_the_setup_page_and_health_answer(fresh: Fresh) -> None:
    for path in ("/api/v1/alerts", "/api/v1/openapi.json", "/", "/api/v1/auth/me"):
        response = fresh.client.get(path)
        assert response.status_code == 503, path
        assert response.json() == {"detail": "setup required", "setup": "/setup"}
    assert fresh.client.post("/api/v1/auth/login", json={"username": "a", "password": "b"}).status_code == 503
    assert fresh.client.get("/healthz").json()["status"] == "ok"
    state = fresh.client.get("/api/v1/setup").json()
    assert state["required"] is True
    assert [(r["role"], r["label_zh"], r["done"]) for r in state["roles"]] == [
        ("system_admin", "系统管理员", False),
        ("security_admin", "安全管理员", False),
        ("audit_admin", "审计管理员", False),
    ]


def test_a_wrong_token_is_refused_and_recorded(fresh: Fresh) -> None:
    refused = fresh.create("system_admin", token="not-the-token")
    assert refused.status_code == 403  # type: ignore[attr-defined]
    with fresh.state.session(readonly=True) as session:
        entries = list_audit(session, action="setup.account")
    assert [(e.outcome, e.target) for e in entries] == [("failure", "system_admin")]


def test_three_people_create_the_three_admin_accounts_then_the_gate_opens(fresh: Fresh) -> None:
    first = fresh.create("system_admin", display_name="王伟")
    assert first.status_code == 201, first.text  # type: ignore[attr-defined]
    assert first.json()["remaining"] == ["security_admin", "audit_admin"]  # type: ignore[attr-defined]
    again = fresh.create("system_admin")
    assert again.status_code == 409  # type: ignore[attr-defined]
    not_admin = fresh.client.post(
        "/api/v1/setup/accounts",
        json={"role": "analyst", "username": "zhao", "password": "Zhao-Analyst-2026"},
        headers={"X-Setup-Token": fresh.token},
    )
    assert not_admin.status_code == 400
    weak = fresh.client.post(
        "/api/v1/setup/accounts",
        json={"role": "security_admin", "username": "liuyang", "password": "short"},
        headers={"X-Setup-Token": fresh.token},
    )
    assert weak.status_code == 400 and "password" in weak.json()["detail"]
    assert fresh.client.get("/api/v1/alerts").status_code == 503  # still two to go
    assert fresh.create("security_admin").status_code == 201  # type: ignore[attr-defined]
    last = fresh.create("audit_admin")
    assert last.status_code == 201 and last.json()["remaining"] == []  # type: ignore[attr-defined]
    # Open now: the accounts sign in, the token is spent.
    assert fresh.client.get("/api/v1/setup").json()["required"] is False
    login = fresh.client.post(
        "/api/v1/auth/login", json={"username": "chenjing", "password": ACCOUNTS["audit_admin"][1]}
    )
    assert login.status_code == 200 and login.json()["roles"] == ["audit_admin"]
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    log = fresh.client.get("/api/v1/audit", params={"action": "setup."}, headers=headers).json()["items"]
    assert [(e["action"], e["actor"]) for e in log] == [("setup.complete", "chenjing")]
    created = fresh.client.get("/api/v1/audit", params={"action": "user.create"}, headers=headers).json()
    assert sorted((e["actor"], e["actor_roles"][0]) for e in created["items"]) == [
        ("chenjing", "audit_admin"),
        ("liuyang", "security_admin"),
        ("wangwei", "system_admin"),
    ]
    spent = fresh.client.post(
        "/api/v1/setup/accounts",
        json={"role": "audit_admin", "username": "other", "password": "Other-Person-2026"},
        headers={"X-Setup-Token": fresh.token},
    )
    assert spent.status_code == 403
    with fresh.state.session() as session:
        assert begin_setup(session, now=NOW) is None  # a restart does not reopen it


def test_a_restart_during_setup_prints_a_new_token_and_the_old_one_dies(fresh: Fresh) -> None:
    assert fresh.create("system_admin").status_code == 201  # type: ignore[attr-defined]
    with fresh.state.session() as session:
        renewed = begin_setup(session, now=NOW + dt.timedelta(minutes=5))
    assert renewed is not None and renewed != fresh.token
    assert fresh.create("security_admin").status_code == 403  # type: ignore[attr-defined]
    assert fresh.create("security_admin", token=renewed).status_code == 201  # type: ignore[attr-defined]


def test_accounts_made_on_the_host_count_and_no_setup_is_needed_when_users_exist(tmp_path: Path) -> None:
    with open_state(f"sqlite:///{tmp_path / 's.db'}") as state:
        with state.session() as session:
            create_user(session, username="ops", password="Host-Account-2026", roles=["system_admin"])
        with state.session() as session:
            assert begin_setup(session, now=NOW) is None
