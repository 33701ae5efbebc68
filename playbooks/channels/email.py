"""E-mail over SMTP, encrypted with STARTTLS (or implicit TLS) and verified against a CA."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, SecretStr, model_validator

from playbooks.channels.base import ChannelBase, ChannelConfig, Delivery, Message

__all__ = ["EmailChannel", "EmailConfig", "build_email"]


def _address(value: str) -> str:
    address = parseaddr(value)[1]
    if "@" not in address or any(c.isspace() for c in address):
        raise ValueError(f"{value!r} is not an e-mail address")
    return address


def _checked_address(value: str) -> str:
    _address(value)
    return value


MailAddress = Annotated[str, AfterValidator(_checked_address)]


class EmailConfig(ChannelConfig):
    """An SMTP relay. ``ssl`` means implicit TLS (usually port 465) and then ``starttls`` is not used."""

    kind: Literal["email"] = "email"
    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    ssl: bool = Field(default=False, description="implicit TLS from the first byte")
    username: str | None = None
    password: SecretStr | None = None
    sender: MailAddress = Field(description='From: address, e.g. "哨望 <soc@example.gov.example>"')
    to: list[MailAddress] = Field(min_length=1)
    ca_file: Path | None = Field(
        default=None, description="CA bundle to verify the server; default: system CAs"
    )
    verify: bool = True
    timeout_s: float = Field(default=10.0, gt=0, le=300)

    @model_validator(mode="after")
    def _no_clear_text_password(self) -> EmailConfig:
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password go together")
        if self.username is not None and not (self.ssl or self.starttls):
            raise ValueError("a password would cross the network in clear text: set starttls or ssl")
        return self


def build_email(config: EmailConfig, message: Message, recipients: list[str]) -> EmailMessage:
    """The MIME message: UTF-8 text body, encoded Chinese subject, a fresh Message-ID."""
    mail = EmailMessage()
    # an alert title may carry line breaks from the traffic it describes; a header must not
    mail["Subject"] = " ".join(message.title.split())
    mail["From"] = config.sender
    mail["To"] = ", ".join(recipients)
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = make_msgid(domain=_address(config.sender).rsplit("@", 1)[1])
    body = message.text
    if message.link:
        body += "\n\n查看详情：" + message.link
    # base64 keeps the mail 7-bit clean for relays without 8BITMIME
    mail.set_content(body, charset="utf-8", cte="base64")
    return mail


class EmailChannel(ChannelBase[EmailConfig]):
    """Sends each message as one mail to all recipients."""

    config_model = EmailConfig

    def tls_context(self) -> ssl.SSLContext:
        """The client context: the configured CA or the system's, checked unless ``verify`` is off."""
        try:
            context = ssl.create_default_context(
                cafile=str(self.config.ca_file) if self.config.ca_file else None
            )
        except (OSError, ssl.SSLError) as exc:
            raise self.error(f"cannot load CA file {self.config.ca_file}: {exc}", retryable=False) from exc
        if not self.config.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def send(self, message: Message) -> Delivery:
        recipients = list(message.recipients) or list(self.config.to)
        try:
            recipients = [_address(item) for item in recipients]
        except ValueError as exc:
            raise self.error(f"bad recipient: {exc}", retryable=False) from None
        mail = build_email(self.config, message, recipients)
        refused = self._deliver(mail, recipients)
        accepted = [address for address in recipients if address not in refused]
        detail: dict[str, object] = {"recipients": accepted, "message_id": mail["Message-ID"]}
        if refused:
            detail["refused"] = {
                address: f"{code} {reply.decode(errors='replace')}"
                for address, (code, reply) in refused.items()
            }
        return Delivery(channel=self.id, kind=self.kind, ok=not refused, detail=detail)

    def _deliver(self, mail: EmailMessage, recipients: list[str]) -> dict[str, tuple[int, bytes]]:
        config = self.config
        where = f"{config.host}:{config.port}"
        context = self.tls_context() if (config.ssl or config.starttls) else None
        try:
            smtp: smtplib.SMTP
            if config.ssl:
                smtp = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout_s, context=context)
            else:
                smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout_s)
            with smtp:
                smtp.ehlo()
                if config.starttls and not config.ssl:
                    if not smtp.has_extn("starttls"):
                        raise self.error(f"{where} does not offer STARTTLS", retryable=False)
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if config.username is not None and config.password is not None:
                    smtp.login(config.username, config.password.get_secret_value())
                return smtp.send_message(mail, to_addrs=recipients)
        except ssl.SSLCertVerificationError as exc:
            raise self.error(
                f"TLS certificate of {where} not trusted: {exc.verify_message}", retryable=False
            ) from exc
        except ssl.SSLError as exc:
            raise self.error(f"TLS with {where} failed: {exc}", retryable=False) from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise self.error(f"{where} refused the login: {_reply(exc)}", retryable=False) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            refusals = "; ".join(
                f"{address}: {code} {reply.decode(errors='replace')}"
                for address, (code, reply) in exc.recipients.items()
            )
            raise self.error(f"{where} refused every recipient: {refusals}", retryable=False) from exc
        except smtplib.SMTPResponseException as exc:
            # 4xx replies are temporary by definition (RFC 5321 §4.2.1)
            raise self.error(f"{where} answered {_reply(exc)}", retryable=400 <= exc.smtp_code < 500) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise self.error(f"{where}: {exc}", retryable=False) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise self.error(f"cannot talk to {where}: {type(exc).__name__}: {exc}", retryable=True) from exc


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = (
        exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    )
    return f"{exc.smtp_code} {text}"
