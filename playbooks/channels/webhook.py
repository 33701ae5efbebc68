"""A generic JSON webhook: the message POSTed as one small JSON object."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr

from playbooks.channels._http import HttpChannel, HttpChannelConfig
from playbooks.channels.base import Delivery, Message

__all__ = ["WebhookChannel", "WebhookConfig"]


class WebhookConfig(HttpChannelConfig):
    """``url`` receives ``{"title", "text", "link", "severity", "source"}`` as JSON."""

    kind: Literal["webhook"] = "webhook"
    headers: dict[str, SecretStr] = Field(
        default_factory=dict, description="extra request headers, e.g. Authorization; values are secret"
    )


class WebhookChannel(HttpChannel[WebhookConfig]):
    """POSTs every message as JSON to one URL."""

    config_model = WebhookConfig

    def send(self, message: Message) -> Delivery:
        body: dict[str, Any] = {
            "title": message.title,
            "text": message.text,
            "link": message.link,
            "severity": message.severity,
            "source": "shaowang",
        }
        headers = {name: value.get_secret_value() for name, value in self.config.headers.items()}
        response = self.request("POST", self.config.url.get_secret_value(), headers=headers, json_body=body)
        return Delivery(
            channel=self.id, kind=self.kind, ok=True, detail={"status_code": response.status_code}
        )
