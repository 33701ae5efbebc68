"""Error types. Each says where it happened: file and line, collector and offset, rule path."""

from __future__ import annotations


class ShaowangError(Exception):
    """Base error; ``where`` names the file:line, collector:offset or rule path."""

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class ConfigError(ShaowangError):
    """Invalid settings file or environment variable."""


class InvalidEventError(ShaowangError):
    """A document does not fit the ECS event model."""


class ParseError(ShaowangError):
    """A parser could not turn a record into events; the record is dead-lettered."""

    def __init__(self, message: str, *, where: str | None = None, reason: str = "parse_error") -> None:
        self.reason = reason
        super().__init__(message, where=where)


class StoreError(ShaowangError):
    """The event store failed to write or read."""


class QuerySyntaxError(ShaowangError):
    """A search query could not be understood; ``where`` is the column in the query."""


class IntegrityError(ShaowangError):
    """A sealed partition or hash chain does not verify."""


class RetentionPolicyError(ShaowangError):
    """A retention setting below the legal minimum without an explicit, recorded override."""


class RoleConflictError(ShaowangError):
    """An account would hold two of the three separated admin roles (三员分立)."""


class UnknownIdError(ShaowangError, KeyError):
    """A registry was asked for an id it does not have."""
