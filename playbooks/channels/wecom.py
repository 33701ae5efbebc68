"""WeCom (企业微信) group robot: a markdown message of at most 4096 bytes."""

from __future__ import annotations

from typing import Any, Literal

from playbooks.channels._http import HttpChannel, HttpChannelConfig
from playbooks.channels.base import Delivery, Message, truncate_utf8

__all__ = ["CONTENT_LIMIT_BYTES", "RATE_LIMITED", "WeComChannel", "WeComConfig"]

CONTENT_LIMIT_BYTES = 4096
RATE_LIMITED = 45009  # the robot takes 20 messages a minute


class WeComConfig(HttpChannelConfig):
    """``url`` is the robot's webhook (``…/cgi-bin/webhook/send?key=…``)."""

    kind: Literal["wecom"] = "wecom"


class WeComChannel(HttpChannel[WeComConfig]):
    """Posts to a WeCom group. Markdown messages cannot @-mention by phone, so recipients are not used."""

    config_model = WeComConfig

    def payload(self, message: Message) -> dict[str, Any]:
        """The robot message for ``message``; a long text is shortened so that title and link survive."""
        head = f"**{message.title}**\n"
        tail = f"\n[查看详情]({message.link})" if message.link else ""
        # ">" quotes a single line, so every line of the text gets one
        quoted = "\n".join(f">{line}" for line in message.text.split("\n"))
        room = CONTENT_LIMIT_BYTES - len(head.encode("utf-8")) - len(tail.encode("utf-8"))
        if room > 0:
            content = head + truncate_utf8(quoted, room) + tail
        else:
            content = truncate_utf8(head + quoted + tail, CONTENT_LIMIT_BYTES)
        return {"msgtype": "markdown", "markdown": {"content": content}}

    def send(self, message: Message) -> Delivery:
        response = self.request("POST", self.config.url.get_secret_value(), json_body=self.payload(message))
        answer = self.response_json(response)
        errcode = answer.get("errcode") if isinstance(answer, dict) else None
        errmsg = answer.get("errmsg", "") if isinstance(answer, dict) else ""
        if errcode != 0:
            raise self.error(
                f"robot refused the message: errcode {errcode}, errmsg {errmsg!r}",
                retryable=errcode == RATE_LIMITED,
            )
        return Delivery(channel=self.id, kind=self.kind, ok=True, detail={"errcode": 0})
