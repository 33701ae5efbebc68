"""Identity over HTTP: lockout after repeated failures, idle timeout, console cookies with CSRF."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import PASSWORD, Api, api_for
from sqlalchemy import select, update
from state_fixtures import state_url

from soc_api.auth.deps import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from soc_core.audit import list_audit
from soc_core.state.models import ApiSession
from soc_core.vocabulary import Role

__all__ = ["state_url"]


@pytest.fixture
def api(tmp_path: Path, state_url: str) -> Iterator[Api]:
    with api_for(tmp_path, state_url) as harness:
        yield harness


def _actions(api: Api, action: str) -> list[tuple[str, str, str]]:
    with api.state.session(readonly=True) as session:
        return [
            (e.actor, e.outcome, e.source_ip or "") for e in list_audit(session, action=action, limit=1000)
        ]


def test_five_failures_lock_the_account_even_against_the_right_password(api: Api) -> None:
    for _ in range(5):
        refused = api.login("analyst", "Wrong-Password-1")
        assert refused.status_code == 401
        assert refused.json()["detail"] == "invalid username or password"
    locked = api.login("analyst", PASSWORD)
    assert locked.status_code == 401
    assert locked.json()["detail"] == "invalid username or password"  # says nothing about the lock
    assert _actions(api, "user.lockout") == [("system", "success", "testclient")]
    failures = _actions(api, "user.login")
    assert failures.count(("analyst", "failure", "testclient")) == 6
    # Other accounts are not affected.
    assert api.login("security_admin", PASSWORD).status_code == 200


def test_four_failures_then_success_resets_the_count(api: Api) -> None:
    for _ in range(4):
        assert api.login("analyst", "Wrong-Password-1").status_code == 401
    assert api.login("analyst", PASSWORD).status_code == 200
    for _ in range(4):
        assert api.login("analyst", "Wrong-Password-1").status_code == 401
    assert api.login("analyst", PASSWORD).status_code == 200
    assert _actions(api, "user.lockout") == []


def _age_sessions(api: Api, minutes: int) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes)
    with api.state.session() as session:
        session.execute(update(ApiSession).values(last_seen_at=past, created_at=past))


def test_a_session_idle_longer_than_the_timeout_ends(api: Api) -> None:
    headers = api.headers(Role.ANALYST)
    assert api.client.get("/api/v1/auth/me", headers=headers).status_code == 200
    _age_sessions(api, 29)
    assert api.client.get("/api/v1/auth/me", headers=headers).status_code == 200  # and slides on
    _age_sessions(api, 31)
    expired = api.client.get("/api/v1/auth/me", headers=headers)
    assert expired.status_code == 401
    assert expired.json()["detail"] == "invalid or expired session"
    # Dead for good: coming back inside the window does not revive it.
    _age_sessions(api, 1)
    assert api.client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_the_idle_timeout_is_a_setting(tmp_path: Path) -> None:
    with api_for(tmp_path, f"sqlite:///{tmp_path / 's.db'}", api={"session_idle_minutes": 5}) as api:
        headers = api.headers(Role.ANALYST)
        assert api.client.get("/api/v1/auth/me", headers=headers).json()["idle_timeout_s"] == 300
        _age_sessions(api, 6)
        assert api.client.get("/api/v1/auth/me", headers=headers).status_code == 401


def _cookie_login(api: Api) -> tuple[str, str]:
    response = api.login("analyst")
    assert response.status_code == 200
    cookies = {c.name: c for c in api.client.cookies.jar}
    session_cookie, csrf_cookie = cookies[SESSION_COOKIE], cookies[CSRF_COOKIE]
    assert session_cookie.secure and csrf_cookie.secure
    assert session_cookie.has_nonstandard_attr("HttpOnly")
    assert not csrf_cookie.has_nonstandard_attr("HttpOnly")  # the page reads it
    set_cookie = response.headers.get_list("set-cookie")
    assert all("samesite=strict" in c.lower() for c in set_cookie)
    assert csrf_cookie.value == response.json()["csrf_token"]
    assert session_cookie.value == response.json()["access_token"]
    return session_cookie.value or "", csrf_cookie.value or ""


def test_cookie_sessions_need_the_csrf_token_for_changes(api: Api) -> None:
    _, csrf = _cookie_login(api)
    assert api.client.get("/api/v1/auth/me").json()["username"] == "analyst"  # reads need no token
    body = {"name": "denies", "query": "event.action:deny"}
    missing = api.client.post("/api/v1/queries", json=body)
    assert missing.status_code == 403
    assert missing.json()["detail"] == "CSRF token missing or wrong"
    wrong = api.client.post("/api/v1/queries", json=body, headers={CSRF_HEADER: "0" * 64})
    assert wrong.status_code == 403
    good = api.client.post("/api/v1/queries", json=body, headers={CSRF_HEADER: csrf})
    assert good.status_code == 201, good.text
    # The refusals are in the operation log.
    assert _actions(api, "http.post").count(("analyst", "failure", "testclient")) == 2


def test_a_csrf_token_of_another_session_is_refused(api: Api) -> None:
    _, first_csrf = _cookie_login(api)
    api.client.cookies.clear()
    _cookie_login(api)
    refused = api.client.post(
        "/api/v1/queries", json={"name": "x", "query": "*"}, headers={CSRF_HEADER: first_csrf}
    )
    assert refused.status_code == 403


def test_bearer_clients_need_no_csrf_token(api: Api) -> None:
    made = api.send("POST", "/api/v1/queries", Role.ANALYST, json={"name": "n", "query": "*"})
    assert made.status_code == 201


def test_logout_ends_the_session_and_clears_the_cookies(api: Api) -> None:
    _, csrf = _cookie_login(api)
    out = api.client.post("/api/v1/auth/logout", headers={CSRF_HEADER: csrf})
    assert out.status_code == 204
    assert {c.name for c in api.client.cookies.jar} == set()
    assert api.client.get("/api/v1/auth/me").status_code == 401


def test_changing_the_password_checks_the_old_one_and_ends_sessions(api: Api) -> None:
    headers = api.headers(Role.ANALYST)
    wrong = api.client.post(
        "/api/v1/auth/password",
        json={"current_password": "nope", "new_password": "Another-Pass-2026"},
        headers=headers,
    )
    assert wrong.status_code == 400
    weak = api.client.post(
        "/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": "short"}, headers=headers
    )
    assert weak.status_code == 400 and "password rejected" in weak.json()["detail"]
    changed = api.client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "Another-Pass-2026"},
        headers=headers,
    )
    assert changed.status_code == 204
    assert api.client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert api.login("analyst", PASSWORD).status_code == 401
    assert api.login("analyst", "Another-Pass-2026").status_code == 200


def test_a_disabled_account_loses_its_sessions(api: Api) -> None:
    headers = api.headers(Role.ANALYST)
    disabled = api.send("PATCH", "/api/v1/users/analyst", Role.SYSTEM_ADMIN, json={"disabled": True})
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert api.client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert api.login("analyst").status_code == 401
    own = api.send("PATCH", "/api/v1/users/system_admin", Role.SYSTEM_ADMIN, json={"disabled": True})
    assert own.status_code == 400


def test_console_pages_carry_security_headers(api: Api) -> None:
    response = api.client.get("/healthz")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


def _last_seen(api: Api) -> dt.datetime:
    with api.state.session(readonly=True) as session:
        return session.scalars(select(ApiSession.last_seen_at)).one()


def test_requests_slide_the_idle_clock_at_most_every_30_seconds(api: Api) -> None:
    headers = api.headers(Role.ANALYST)
    first = _last_seen(api)
    for _ in range(3):
        assert api.client.get("/api/v1/auth/me", headers=headers).status_code == 200
    assert _last_seen(api) == first  # reads only: no write transaction per request
    _age_sessions(api, 1)
    aged = _last_seen(api)
    assert api.client.get("/api/v1/auth/me", headers=headers).status_code == 200
    assert _last_seen(api) > aged + dt.timedelta(seconds=50)


def _hold_the_writer(api: Api, release: threading.Event) -> threading.Thread:
    """Another thread of the server holding a write session until ``release`` is set."""
    holding = threading.Event()

    def writer() -> None:
        with api.state.session():
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=writer)
    thread.start()
    assert holding.wait(30)
    return thread


def test_a_slide_that_would_queue_behind_another_writer_is_left_to_a_later_request(tmp_path: Path) -> None:
    with api_for(tmp_path, f"sqlite:///{tmp_path / 's.db'}") as api:
        headers = api.headers(Role.ANALYST)
        _age_sessions(api, 1)  # due to slide, far from the 30-minute timeout
        aged = _last_seen(api)
        release = threading.Event()
        writer = _hold_the_writer(api, release)
        try:
            assert api.client.get("/api/v1/auth/me", headers=headers).status_code == 200
        finally:
            release.set()
            writer.join()
        assert _last_seen(api) == aged  # valid, answered at once, not slid
        assert api.client.get("/api/v1/auth/me", headers=headers).status_code == 200
        assert _last_seen(api) > aged + dt.timedelta(seconds=50)


def test_a_session_idle_for_half_its_timeout_slides_even_behind_another_writer(tmp_path: Path) -> None:
    with api_for(tmp_path, f"sqlite:///{tmp_path / 's.db'}") as api:
        headers = api.headers(Role.ANALYST)
        _age_sessions(api, 16)
        aged = _last_seen(api)
        release = threading.Event()
        writer = _hold_the_writer(api, release)
        timer = threading.Timer(0.3, release.set)  # the request waits for the writer, then slides
        timer.start()
        try:
            assert api.client.get("/api/v1/auth/me", headers=headers).status_code == 200
        finally:
            release.set()
            writer.join()
            timer.cancel()
        assert _last_seen(api) > aged + dt.timedelta(minutes=15)
