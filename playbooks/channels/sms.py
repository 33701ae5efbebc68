"""SMS through a gateway's HTTP API, described by a request template: one request per phone number."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal
from urllib.parse import quote_plus

from pydantic import AfterValidator, Field, SecretStr, ValidationInfo, field_validator, model_validator

from playbooks.channels._http import HttpChannel, HttpChannelConfig
from playbooks.channels.base import ChannelError, Delivery, Message, truncate_chars

__all__ = ["PLACEHOLDERS", "SMS_TEXT_LIMIT", "SmsChannel", "SmsConfig", "render_template"]

SMS_TEXT_LIMIT = 300
PLACEHOLDERS = ("phone", "title", "text", "link")
PHONE = re.compile(r"^\+?[0-9][0-9-]{4,19}$")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "form": "application/x-www-form-urlencoded"}


def _phone_number(value: str) -> str:
    if not PHONE.match(value):
        raise ValueError(f"{value!r} is not a phone number")
    return value


PhoneNumber = Annotated[str, AfterValidator(_phone_number)]

# awkward sample values: the template must stay valid JSON whatever the message holds
_SAMPLE = {
    "phone": "+8613800000000",
    "title": 'a "title"',
    "text": "line\\1\nline 2\t{x}",
    "link": "https://x/?a=1&b=2",
}


class SmsConfig(HttpChannelConfig):
    """A gateway request: ``body_template`` is a ``str.format`` template of {phone}, {title}, {text}, {link}.

    Values are escaped for ``content_type`` (JSON string content, or form encoding) before they are
    put in, so a JSON template quotes them itself: ``{{"mobile": "{phone}", "content": "{text}"}}``
    (literal braces doubled). GET sends the rendered form as the query string.
    """

    kind: Literal["sms"] = "sms"
    method: Literal["POST", "GET"] = "POST"
    headers: dict[str, SecretStr] = Field(
        default_factory=dict, description="e.g. an API key; values are secret"
    )
    content_type: Literal["json", "form"] = Field(default="json", validate_default=True)
    body_template: str
    phones: list[PhoneNumber] = Field(min_length=1)
    success_field: str | None = Field(
        default=None, description="dotted path into the JSON answer, e.g. result.code"
    )
    success_value: str | int | bool | None = None

    @field_validator("content_type")
    @classmethod
    def _form_for_get(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("method") == "GET" and value != "form":
            raise ValueError('GET sends the template as a query string: content_type must be "form"')
        return value

    @field_validator("body_template")
    @classmethod
    def _renders(cls, value: str, info: ValidationInfo) -> str:
        content_type = info.data.get("content_type", "json")
        try:
            rendered = render_template(value, content_type, _SAMPLE)
        except KeyError as exc:
            raise ValueError(
                f"unknown placeholder {{{exc.args[0]}}}; known: "
                + ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
                + " (write literal braces twice)"
            ) from None
        except (ValueError, IndexError, AttributeError) as exc:
            raise ValueError(f"not a str.format template: {exc} (write literal braces twice)") from None
        if content_type == "json":
            try:
                json.loads(rendered)
            except ValueError as exc:
                raise ValueError(f"does not render to JSON: {exc}") from None
        return value

    @model_validator(mode="after")
    def _success_pair(self) -> SmsConfig:
        if (self.success_field is None) != (self.success_value is None):
            raise ValueError("success_field and success_value go together")
        return self


def render_template(template: str, content_type: str, values: dict[str, str]) -> str:
    """``template`` filled with ``values``, each escaped for ``content_type`` first."""
    if content_type == "json":
        escaped = {name: json.dumps(value, ensure_ascii=False)[1:-1] for name, value in values.items()}
    else:
        escaped = {name: quote_plus(value) for name, value in values.items()}
    return template.format(**escaped)


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


class SmsChannel(HttpChannel[SmsConfig]):
    """Texts every phone separately; one failing phone does not stop the others."""

    config_model = SmsConfig

    def render(self, message: Message, phone: str) -> str:
        """The request body (or query string, for GET) for one phone."""
        values = {
            "phone": phone,
            "title": message.title,
            "text": truncate_chars(message.text, SMS_TEXT_LIMIT),
            "link": message.link or "",
        }
        return render_template(self.config.body_template, self.config.content_type, values)

    def send(self, message: Message) -> Delivery:
        phones = list(message.recipients) or self.config.phones
        for phone in phones:
            if not PHONE.match(phone):
                raise self.error(f"recipient {phone!r} is not a phone number", retryable=False)
        sent: list[str] = []
        failed: dict[str, ChannelError] = {}
        for phone in phones:
            try:
                self._send_one(message, phone)
            except ChannelError as exc:
                failed[phone] = exc
            else:
                sent.append(phone)
        if failed and not sent:
            first = next(iter(failed.values()))
            raise self.error(
                f"no phone reached ({len(failed)} tried); first failure: {first.message}",
                retryable=any(exc.retryable for exc in failed.values()),
            ) from first
        detail: dict[str, Any] = {"phones": sent}
        if failed:
            detail["failed"] = {phone: exc.message for phone, exc in failed.items()}
        return Delivery(channel=self.id, kind=self.kind, ok=not failed, detail=detail)

    def _send_one(self, message: Message, phone: str) -> None:
        rendered = self.render(message, phone)
        url = self.config.url.get_secret_value()
        headers = {name: value.get_secret_value() for name, value in self.config.headers.items()}
        if self.config.method == "GET":
            url = f"{url}{'&' if '?' in url else '?'}{rendered}"
            response = self.request("GET", url, headers=headers)
        else:
            headers = {"Content-Type": CONTENT_TYPES[self.config.content_type], **headers}
            response = self.request("POST", url, headers=headers, content=rendered.encode("utf-8"))
        if self.config.success_field is None:
            return
        found = _lookup(self.response_json(response), self.config.success_field)
        if found is _MISSING:
            raise self.error(f"answer has no {self.config.success_field!r}", retryable=False)
        if _as_text(found) != _as_text(self.config.success_value):
            raise self.error(
                f"gateway refused {phone}: {self.config.success_field} = {_as_text(found)}", retryable=False
            )


_MISSING = object()


def _lookup(document: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(document, dict) and part in document:
            document = document[part]
        elif isinstance(document, list) and part.isdigit() and int(part) < len(document):
            document = document[int(part)]
        else:
            return _MISSING
    return document
