"""What the browser tests share: Debian's Chromium under Playwright, signing in, screenshots.

Screenshots go to ``$SOC_TEST_ARTIFACTS/console`` (default ``test-artifacts/console``). Without
Chromium a browser test fails in CI (``CI`` set) and is skipped, with the reason, elsewhere.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from soc_api.testing import TEST_PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("SOC_TEST_ARTIFACTS", "test-artifacts")) / "console"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CST = dt.timezone(dt.timedelta(hours=8))
SQLI_SOURCE = "203.0.113.45"


def in_ci() -> bool:
    """Whether the suite runs under CI, where a missing browser is a failure."""
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def playwright() -> Any:
    """Playwright's sync context manager, or a skip/failure naming the missing package."""
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM}: install Debian's chromium package (.ci/run does)"
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    return sync_playwright()


def launch(pw: Any) -> Any:
    """Headless Chromium with the flags a root CI container needs."""
    return pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def sqli_line(now: dt.datetime, source: str = SQLI_SOURCE) -> bytes:
    """An nginx access line with a SQL injection in the query string, as the portal logs it."""
    local = now.astimezone(CST)
    stamp = local.strftime("%d/%b/%Y:%H:%M:%S +0800")
    header = local.strftime("%b %d %H:%M:%S")
    return (
        f'<190>{header} zwfw-portal nginx: {source} - - [{stamp}] "GET /zwfw/search?id=1%27%20UNION'
        f'%20SELECT%20username,password%20FROM%20users-- HTTP/1.1" 200 512 "-" "Mozilla/5.0"'
    ).encode()


def sign_in(page: Any, base: str, username: str) -> None:
    """Sign in through the console's login form and wait for the signed-in shell."""
    page.goto(base + "/#/login")
    page.fill("#login-username", username)
    page.fill("#login-password", TEST_PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#current-user")


def shot(page: Any, name: str) -> None:
    """A full-page screenshot ``name``.png among the test artifacts."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
