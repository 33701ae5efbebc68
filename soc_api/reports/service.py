"""The 通报 and notice services for API callers: the caller named in the operation log, refusals
turned into HTTP answers, categories checked against the GB/T 20986 table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from detectors.gb20986 import UnknownCategoryError, default_table
from playbooks.reports import RecordNotFoundError, ReportError, StateRefusedError
from soc_api.auth.deps import Principal
from soc_api.errors import ApiError
from soc_core.errors import ConfigError


def caller(principal: Principal) -> dict[str, Any]:
    """The keyword arguments naming ``principal`` in the operation log."""
    return {
        "actor": principal.username,
        "actor_roles": principal.role_names,
        "source_ip": principal.source_ip,
    }


@contextmanager
def refusals() -> Iterator[None]:
    """Answer a refused change with its HTTP status (one place, no per-view ``try``)."""
    try:
        yield
    except RecordNotFoundError as exc:
        raise ApiError(exc.message, status=404) from None
    except StateRefusedError as exc:
        raise ApiError(exc.message, status=409) from None
    except ReportError as exc:
        raise ApiError(exc.message) from None
    except ConfigError as exc:
        # The site's [reports] settings are wrong: the operator must fix them, the caller cannot.
        raise ApiError(str(exc), status=500) from None


def category_code(code: str) -> str:
    """The GB/T 20986 code as the table spells it, or a 400 naming the unknown code."""
    try:
        return default_table().get(code).code
    except UnknownCategoryError as exc:
        raise ApiError(str(exc)) from None


def category_label(code: str) -> str:
    """The Chinese name of a GB/T 20986 code (the code itself when unknown)."""
    try:
        return default_table().get(code).name
    except UnknownCategoryError:
        return code
