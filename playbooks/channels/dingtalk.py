"""DingTalk (钉钉) group robot: a markdown message, signed when the robot has a secret (加签)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import quote_plus

from pydantic import SecretStr

from playbooks.channels._http import HttpChannel, HttpChannelConfig
from playbooks.channels.base import Delivery, Message

__all__ = ["RATE_LIMITED", "DingTalkChannel", "DingTalkConfig", "dingtalk_sign"]

RATE_LIMITED = 130101  # "send too fast": the robot takes 20 messages a minute


class DingTalkConfig(HttpChannelConfig):
    """``url`` is the robot's webhook (``…/robot/send?access_token=…``); ``secret`` its SEC… signing key."""

    kind: Literal["dingtalk"] = "dingtalk"
    secret: SecretStr | None = None


def dingtalk_sign(timestamp_ms: int, secret: str) -> str:
    """DingTalk's signature: base64 HMAC-SHA256 of ``"{timestamp}\\n{secret}"`` keyed with the secret."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class DingTalkChannel(HttpChannel[DingTalkConfig]):
    """Posts to a DingTalk group; ``recipients`` are phone numbers to @-mention."""

    config_model = DingTalkConfig

    def __init__(self, config: DingTalkConfig, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(config)
        self.clock = clock

    def payload(self, message: Message) -> dict[str, Any]:
        """The robot message for ``message``."""
        text = f"### {message.title}\n\n{message.text}"
        if message.link:
            text += f"\n\n[查看详情]({message.link})"
        if message.recipients:
            # DingTalk only notifies a mentioned member whose "@phone" also appears in the text
            text += "\n\n" + " ".join(f"@{phone}" for phone in message.recipients)
        return {
            "msgtype": "markdown",
            "markdown": {"title": message.title, "text": text},
            "at": {"atMobiles": list(message.recipients), "isAtAll": False},
        }

    def signed_url(self) -> str:
        """The webhook URL, with ``timestamp`` and ``sign`` appended when a secret is set."""
        url = self.config.url.get_secret_value()
        if self.config.secret is None:
            return url
        timestamp = int(self.clock() * 1000)
        sign = dingtalk_sign(timestamp, self.config.secret.get_secret_value())
        separator = "&" if "?" in url else "?"
        return f"{url}{separator}timestamp={timestamp}&sign={quote_plus(sign)}"

    def send(self, message: Message) -> Delivery:
        response = self.request("POST", self.signed_url(), json_body=self.payload(message))
        answer = self.response_json(response)
        errcode = answer.get("errcode") if isinstance(answer, dict) else None
        errmsg = answer.get("errmsg", "") if isinstance(answer, dict) else ""
        if errcode != 0:
            raise self.error(
                f"robot refused the message: errcode {errcode}, errmsg {errmsg!r}",
                retryable=errcode == RATE_LIMITED,
            )
        return Delivery(
            channel=self.id,
            kind=self.kind,
            ok=True,
            detail={"errcode": 0, "mentioned": list(message.recipients)},
        )
