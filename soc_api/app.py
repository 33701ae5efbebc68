"""The FastAPI application: the API under ``/api/v1``, the console at ``/``."""

from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from soc_api.alerts.views import router as alerts_router
from soc_api.alerts.views import users_router as assignees_router
from soc_api.assets.views import router as assets_router
from soc_api.assets.views import zones_router
from soc_api.audit.middleware import AuditTrailMiddleware
from soc_api.audit.views import router as audit_router
from soc_api.auth.views import router as auth_router
from soc_api.compliance.views import router as compliance_router
from soc_api.console.views import SecurityHeaders, mount_console
from soc_api.context import AppContext
from soc_api.dashboard.views import router as dashboard_router
from soc_api.errors import ApiError
from soc_api.events.views import queries_router
from soc_api.events.views import router as events_router
from soc_api.graph.views import router as graph_router
from soc_api.incidents.views import router as incidents_router
from soc_api.playbooks.views import router as playbooks_router
from soc_api.reports.views import notices_router
from soc_api.reports.views import router as reports_router
from soc_api.rules.views import router as rules_router
from soc_api.setup.gate import SetupCheck, SetupGate
from soc_api.setup.views import router as setup_router
from soc_api.sources.views import router as sources_router
from soc_api.stats.views import router as stats_router
from soc_api.users.views import router as users_router

ROUTERS = (
    setup_router,
    auth_router,
    alerts_router,
    incidents_router,
    events_router,
    queries_router,
    dashboard_router,
    sources_router,
    rules_router,
    stats_router,
    assets_router,
    zones_router,
    graph_router,
    audit_router,
    assignees_router,  # before users_router: /users/assignable is not a username
    users_router,
    compliance_router,
    reports_router,
    notices_router,
    playbooks_router,
)


def create_app(ctx: AppContext) -> FastAPI:
    """The API and console, bound to one running platform."""
    app = FastAPI(
        title="哨望 Shaowang API",
        version="0.1.0",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.ctx = ctx
    app.state.setup_check = SetupCheck(ctx.state)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, Any]:
        """Liveness: unauthenticated, reveals nothing sensitive."""
        return {"status": "ok", "uptime_s": round(time.time() - ctx.started_at, 1)}

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        """422 with FastAPI's error list; raw bytes a client sent are shown decoded, never fatal."""
        errors = jsonable_encoder(
            exc.errors(), custom_encoder={bytes: lambda b: b[:200].decode("utf-8", "replace")}
        )
        return JSONResponse(status_code=422, content={"detail": errors})

    @app.exception_handler(ApiError)
    async def refused(_: Request, exc: ApiError) -> JSONResponse:
        """A service's refusal: its status and message."""
        return JSONResponse(status_code=exc.status, content={"detail": exc.message})

    for router in ROUTERS:
        app.include_router(router)
    mount_console(app)
    # Outermost last: headers on everything, then the setup gate, then the operation log.
    app.add_middleware(AuditTrailMiddleware, state=ctx.state)
    app.add_middleware(SetupGate, check=app.state.setup_check)
    app.add_middleware(SecurityHeaders)
    return app
