"""The FastAPI application."""

from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI

from soc_api.assets.views import router as assets_router
from soc_api.assets.views import zones_router
from soc_api.auth.views import router as auth_router
from soc_api.context import AppContext
from soc_api.events.views import router as events_router
from soc_api.graph.views import router as graph_router
from soc_api.rules.views import router as rules_router
from soc_api.stats.views import router as stats_router


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

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, Any]:
        """Liveness: unauthenticated, reveals nothing sensitive."""
        return {"status": "ok", "uptime_s": round(time.time() - ctx.started_at, 1)}

    app.include_router(auth_router)
    app.include_router(events_router)
    app.include_router(rules_router)
    app.include_router(stats_router)
    app.include_router(assets_router)
    app.include_router(zones_router)
    app.include_router(graph_router)
    return app
