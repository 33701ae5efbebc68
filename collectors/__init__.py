"""Collectors: transports that receive records and parsers that turn them into ECS events."""

from collectors.compiled import guard as _guard

_guard()  # before any compiled parse module is imported: stale builds fall back to Python
