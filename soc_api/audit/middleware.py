"""Every state-changing API request ends up in the operation log, even one a route forgot.

Routes record what they changed (with before/after) through :func:`soc_api.audit.service.record`,
which marks the request audited. Whatever reaches the end of a POST/PUT/PATCH/DELETE unmarked —
a refusal (401/403/CSRF), a validation error, a crash, a route without its own entry — gets a
generic entry here, so no request that could change state escapes the log.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from soc_api.auth.deps import SAFE_METHODS, Principal
from soc_core.audit import append_audit
from soc_core.state.db import StateStore

log = logging.getLogger("shaowang.audit")


class AuditTrailMiddleware:
    """Writes a generic operation-log entry for unaudited state-changing ``/api/`` requests."""

    def __init__(self, app: ASGIApp, *, state: StateStore) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in SAFE_METHODS
            or not scope["path"].startswith("/api/")
        ):
            await self.app(scope, receive, send)
            return
        status_code = 500
        request_state: dict[str, Any] = scope.setdefault("state", {})

        async def send_with_status(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            principal = request_state.get("principal")
            audited = request_state.get("audited") or (isinstance(principal, Principal) and principal.audited)
            if not audited:
                await run_in_threadpool(self._record, scope, status_code, principal)

    def _record(self, scope: Scope, status_code: int, principal: Any) -> None:
        client = scope.get("client")
        method = str(scope["method"]).lower()
        known = isinstance(principal, Principal)
        try:
            with self.state.session() as session:
                append_audit(
                    session,
                    actor=principal.username if known else "anonymous",
                    actor_roles=principal.role_names if known else [],
                    action=f"http.{method}",
                    target=scope["path"][:512],
                    outcome="success" if status_code < 400 else "failure",
                    detail={"status": status_code, "method": scope["method"]},
                    source_ip=client[0] if client else None,
                )
        except Exception:  # the response is already sent; losing the entry must be loud
            log.exception("could not write the operation-log entry for %s %s", scope["method"], scope["path"])
