"""Errors of the response layer."""

from __future__ import annotations

from soc_core.errors import ShaowangError


class PlaybookError(ShaowangError):
    """A decision or change the engine refuses (unknown approval, already decided …)."""
