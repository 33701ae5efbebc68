"""The HTTP plumbing of the webhook, DingTalk, WeCom and SMS channels: one request, errors classified."""

from __future__ import annotations

import json
import ssl
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

import httpx
from pydantic import Field, SecretStr, field_validator

from playbooks.channels.base import ChannelBase, ChannelConfig

__all__ = ["HttpChannel", "HttpChannelConfig"]

EXCERPT_CHARS = 200


class HttpChannelConfig(ChannelConfig):
    """Settings shared by the HTTP channels. The URL is secret: robot URLs carry their access token."""

    url: SecretStr = Field(description="http(s) URL; robot URLs include their access token")
    timeout_s: float = Field(default=10.0, gt=0, le=300)
    verify: bool = Field(default=True, description="verify the server's TLS certificate")
    ca_file: Path | None = Field(
        default=None, description="CA bundle to verify with; default: httpx's bundle"
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: SecretStr) -> SecretStr:
        parts = urlsplit(value.get_secret_value())
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            # the value itself stays out of the message: it may hold a token
            raise ValueError("must be an http:// or https:// URL with a host")
        return value


HttpConfigT = TypeVar("HttpConfigT", bound=HttpChannelConfig)


class HttpChannel(ChannelBase[HttpConfigT]):
    """A channel that speaks HTTP; ``request`` turns every failure into a classified ChannelError."""

    @property
    def host(self) -> str:
        """Where requests go, safe to show: host and port, never path or query."""
        parts = urlsplit(self.config.url.get_secret_value())
        return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)

    def secrets(self) -> list[str]:
        """Also the URL's query values alone: a robot's token may turn up without the rest of the URL."""
        query = urlsplit(self.config.url.get_secret_value()).query
        return super().secrets() + [value for _, value in parse_qsl(query) if value]

    def _verify(self) -> ssl.SSLContext | bool:
        if not self.config.verify:
            return False
        if self.config.ca_file is not None:
            return ssl.create_default_context(cafile=str(self.config.ca_file))
        return True

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        """Send one request; 2xx comes back, anything else raises a ChannelError."""
        try:
            verify = self._verify()
        except (OSError, ssl.SSLError) as exc:
            raise self.error(f"cannot load CA file {self.config.ca_file}: {exc}", retryable=False) from exc
        try:
            with httpx.Client(timeout=self.config.timeout_s, verify=verify, follow_redirects=False) as client:
                response = client.request(method, url, headers=headers, json=json_body, content=content)
        except httpx.TimeoutException as exc:
            raise self.error(
                f"no answer from {self.host} within {self.config.timeout_s:g}s ({type(exc).__name__})",
                retryable=True,
            ) from exc
        except httpx.TransportError as exc:
            if _certificate_rejected(exc):
                raise self.error(
                    f"TLS certificate of {self.host} not trusted: {exc}", retryable=False
                ) from exc
            raise self.error(
                f"cannot reach {self.host}: {type(exc).__name__}: {exc}", retryable=True
            ) from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise self.error(
                f"request to {self.host} failed: {type(exc).__name__}: {exc}", retryable=False
            ) from exc
        status = response.status_code
        if 200 <= status < 300:
            return response
        what = f"HTTP {status} from {self.host}"
        excerpt = _excerpt(response)
        if excerpt:
            what += f": {excerpt}"
        raise self.error(what, retryable=status == 429 or status >= 500)

    def response_json(self, response: httpx.Response) -> Any:
        """The parsed body of a 2xx response; a body that is not JSON is a refusal."""
        try:
            return json.loads(response.content)
        except ValueError as exc:
            raise self.error(
                f"answer from {self.host} is not JSON: {_excerpt(response)!r}", retryable=False
            ) from exc


def _certificate_rejected(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(10):  # the chain is short; the bound guards against a cycle
        if seen is None:
            break
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def _excerpt(response: httpx.Response) -> str:
    text = " ".join(response.content.decode("utf-8", errors="replace").split())
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"
