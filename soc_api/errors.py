"""Errors a service raises for the API to answer with an HTTP status (one handler, no per-view
``try``/``except``)."""

from __future__ import annotations

from soc_core.errors import ShaowangError


class ApiError(ShaowangError):
    """A request the service refuses; ``status`` is the HTTP status saying why."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status
