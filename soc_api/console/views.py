"""Serve the console: the app shell at ``/``, the setup page at ``/setup``, assets at ``/static``.

Everything is served from the package, so the console works on an extranet with no internet.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC_DIR = Path(__file__).resolve().parent / "static"
router = APIRouter(include_in_schema=False)

# The console loads nothing from elsewhere and is never framed.
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        b"frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


@router.get("/")
def console() -> FileResponse:
    """The console's single page."""
    return FileResponse(STATIC_DIR / "index.html", headers={"cache-control": "no-store"})


@router.get("/setup")
def setup_page() -> FileResponse:
    """The first-start page (its token travels in the URL fragment, never to the server)."""
    return FileResponse(STATIC_DIR / "setup.html", headers={"cache-control": "no-store"})


class SecurityHeaders:
    """ASGI middleware adding the headers above to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


def mount_console(app: FastAPI) -> None:
    """Add the console's pages and static files to ``app``."""
    STATIC_DIR.mkdir(parents=True, exist_ok=True)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
