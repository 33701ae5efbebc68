"""Notification channels: kind → channel class, and building the configured channels from settings.

One readable table. A new kind is a module here with a settings model (``extra="forbid"``, ``id``,
``kind``, secrets as ``SecretStr``) and a channel class whose ``send`` returns a :class:`Delivery`
or raises :class:`ChannelError`, plus one line in ``CHANNEL_KINDS``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from playbooks.channels.base import Channel, ChannelBase, ChannelConfig, ChannelError, Delivery, Message
from playbooks.channels.dingtalk import DingTalkChannel
from playbooks.channels.email import EmailChannel
from playbooks.channels.file import FileChannel
from playbooks.channels.sms import SmsChannel
from playbooks.channels.webhook import WebhookChannel
from playbooks.channels.wecom import WeComChannel
from soc_core.errors import ConfigError

__all__ = [
    "CHANNEL_KINDS",
    "Channel",
    "ChannelBase",
    "ChannelConfig",
    "ChannelError",
    "Delivery",
    "Message",
    "build_channels",
]

# kind → channel class (its settings model is ``config_model``)
CHANNEL_KINDS: dict[str, type[ChannelBase[Any]]] = {
    "email": EmailChannel,
    "webhook": WebhookChannel,
    "dingtalk": DingTalkChannel,
    "wecom": WeComChannel,
    "sms": SmsChannel,
    "file": FileChannel,
}


def build_channels(raw: list[dict[str, Any]], *, key: str = "playbooks.channels") -> dict[str, Channel]:
    """The channels described by ``raw`` (settings entries), by id, in order.

    Raises :class:`ConfigError` naming the settings key of the first problem, e.g.
    ``playbooks.channels[1].kind`` or ``playbooks.channels[0].to[2]``.
    """
    channels: dict[str, Channel] = {}
    for index, entry in enumerate(raw):
        here = f"{key}[{index}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"expected a table of channel settings, got {type(entry).__name__}", where=here)
        kind = entry.get("kind")
        if kind is None:
            raise ConfigError(f"missing; one of {', '.join(CHANNEL_KINDS)}", where=f"{here}.kind")
        channel_class = CHANNEL_KINDS.get(kind) if isinstance(kind, str) else None
        if channel_class is None:
            raise ConfigError(
                f"unknown channel kind {kind!r}; one of {', '.join(CHANNEL_KINDS)}", where=f"{here}.kind"
            )
        try:
            config = channel_class.config_model.model_validate(entry)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ConfigError(_plain(first["msg"]), where=here + _location(first["loc"])) from None
        if config.id in channels:
            raise ConfigError(f"channel id {config.id!r} is used twice", where=f"{here}.id")
        channels[config.id] = channel_class(config)
    return channels


def _location(loc: Sequence[int | str]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)


def _plain(message: str) -> str:
    # only the message: the error's input (a token-bearing URL, say) stays out, and the chain is cut
    return message.removeprefix("Value error, ")
