"""What every notification channel shares: the message, the delivery receipt, the error, the protocol."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any, ClassVar, Generic, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from soc_core.errors import ShaowangError

__all__ = [
    "Channel",
    "ChannelBase",
    "ChannelConfig",
    "ChannelError",
    "Delivery",
    "Message",
    "redact",
    "truncate_chars",
    "truncate_utf8",
]

ELLIPSIS = "…"


class Message(BaseModel, frozen=True):
    """One notification, independent of the channel that carries it."""

    title: str = Field(description="Chinese title, e.g. 【高危】门户网站 SQL 注入")
    text: str = Field(description="Chinese body, plain text lines")
    link: str | None = Field(default=None, description="console URL back to the alert or incident")
    severity: int | None = None
    recipients: tuple[str, ...] = Field(
        default=(), description="per-message override of the channel's recipients: e-mail addresses, phones"
    )


class Delivery(BaseModel):
    """The receipt of one send; ``detail`` never holds secrets."""

    channel: str
    kind: str
    ok: bool
    detail: dict[str, Any] = Field(default_factory=dict)


class ChannelError(ShaowangError):
    """A send failed; ``retryable`` says whether trying again later can help.

    Network errors, timeouts, HTTP 5xx and rate limits are retryable; refusals (4xx, bad credentials,
    untrusted certificates, rejected payloads) are not.
    """

    def __init__(
        self, message: str, *, retryable: bool, channel: str | None = None, where: str | None = None
    ):
        self.retryable = retryable
        self.channel = channel
        if where is None and channel is not None:
            where = f"channel {channel}"
        super().__init__(message, where=where)


@runtime_checkable
class Channel(Protocol):
    """A configured way to reach people: ``send`` delivers or raises :class:`ChannelError`."""

    id: str
    kind: str

    def send(self, message: Message) -> Delivery: ...


class ChannelConfig(BaseModel):
    """Fields every channel's settings have; each kind narrows ``kind`` to its own literal."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", description="stable name used by playbooks")
    kind: str


ConfigT = TypeVar("ConfigT", bound=ChannelConfig)


class ChannelBase(ABC, Generic[ConfigT]):
    """A channel built from its validated settings; subclasses name their settings model."""

    config_model: ClassVar[type[ChannelConfig]]

    def __init__(self, config: ConfigT) -> None:
        self.config = config
        self.id: str = config.id
        self.kind: str = config.kind

    @abstractmethod
    def send(self, message: Message) -> Delivery:
        """Deliver ``message`` or raise :class:`ChannelError`."""

    def error(self, message: str, *, retryable: bool) -> ChannelError:
        """A :class:`ChannelError` naming this channel, with every secret of its settings blanked out."""
        return ChannelError(
            redact(message, self.secrets()),
            retryable=retryable,
            channel=self.id,
            where=f"{self.kind} channel {self.id}",
        )

    def secrets(self) -> list[str]:
        """The secret values in the settings, so that error texts can be scrubbed of them."""
        return list(_secret_values(self.config))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r})"


def _secret_values(value: Any) -> Iterable[str]:
    if isinstance(value, SecretStr):
        secret = value.get_secret_value()
        if secret:
            yield secret
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _secret_values(getattr(value, name))
    elif isinstance(value, dict):
        for item in value.values():
            yield from _secret_values(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _secret_values(item)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``***``, longest first so that no part of one leaks."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def truncate_chars(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending in an ellipsis when shortened."""
    if len(text) <= limit:
        return text
    return text[: max(limit - len(ELLIPSIS), 0)] + ELLIPSIS


def truncate_utf8(text: str, limit: int) -> str:
    """At most ``limit`` bytes of UTF-8, cut between characters and ending in an ellipsis when shortened."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    room = limit - len(ELLIPSIS.encode("utf-8"))
    if room < 0:
        return data[:limit].decode("utf-8", errors="ignore")
    # a cut inside a multi-byte sequence leaves an incomplete tail, which "ignore" drops
    return data[:room].decode("utf-8", errors="ignore") + ELLIPSIS
