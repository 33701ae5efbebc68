"""While first-start setup is unfinished, only the setup page, its API and ``/healthz`` answer."""

from __future__ import annotations

import json
import time

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from soc_api.setup.service import setup_status
from soc_core.state.db import StateStore

OPEN_PATHS = ("/healthz", "/setup", "/api/v1/setup", "/static/", "/favicon.ico")
RECHECK_S = 2.0


class SetupCheck:
    """Whether setup still stands in the way, looked up at most every ``RECHECK_S``."""

    def __init__(self, state: StateStore) -> None:
        self.state = state
        self._done = False
        self._checked_at = 0.0

    async def required(self) -> bool:
        """Whether setup still stands in the way (cached briefly; once done, done for good)."""
        if self._done:
            return False
        now = time.monotonic()
        if now - self._checked_at >= RECHECK_S:
            self._checked_at = now
            self._done = not await run_in_threadpool(self._required_now)
        return not self._done

    def mark_changed(self) -> None:
        """Setup moved on: look again at the next request."""
        self._checked_at = 0.0

    def _required_now(self) -> bool:
        with self.state.session(readonly=True) as session:
            return setup_status(session).required


class SetupGate:
    """ASGI middleware answering 503 ``setup required`` until the three admins exist."""

    def __init__(self, app: ASGIApp, *, check: SetupCheck) -> None:
        self.app = app
        self.check = check

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(OPEN_PATHS) or not await self.check.required():
            await self.app(scope, receive, send)
            return
        body = json.dumps({"detail": "setup required", "setup": "/setup"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
