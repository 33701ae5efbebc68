"""Real local servers for the channel tests: an HTTP receiver and an SMTP server with STARTTLS."""

from __future__ import annotations

import asyncio
import json
import ssl
import threading
from collections import deque
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

OK_ANSWER: dict[str, Any] = {"errcode": 0, "errmsg": "ok"}


@dataclass
class Received:
    """One request as the receiver saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class HttpReceiver:
    """An HTTP(S) server on 127.0.0.1 that records requests and answers from a script (then ``default``)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[Received] = []
        self.script: deque[tuple[int, Any]] = deque()
        self.default: tuple[int, Any] = (200, OK_ANSWER)
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                seen = Received(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={name.lower(): value for name, value in self.headers.items()},
                    body=self.rfile.read(length),
                )
                status, answer = receiver._record(seen)
                payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def answer(self, *answers: tuple[int, Any]) -> None:
        """Queue answers for the next requests, in order."""
        self.script.extend(answers)

    def _record(self, seen: Received) -> tuple[int, Any]:
        with self._lock:
            self.requests.append(seen)
            return self.script.popleft() if self.script else self.default

    def __enter__(self) -> HttpReceiver:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()


@dataclass
class ReceivedMail:
    """One mail as the SMTP server accepted it, with how the session got there."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    starttls: bool
    tls_version: str | None
    login: str | None

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.raw)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class MailRecorder:
    """The aiosmtpd handler: keeps every mail and accepts one fixed login."""

    username: str = "soc"
    password: str = "pass"
    mails: list[ReceivedMail] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        # session.ssl is set by a STARTTLS upgrade only; the transport knows about implicit TLS too
        ssl_object = server.transport.get_extra_info("ssl_object") if server.transport else None
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        assert envelope.mail_from is not None and isinstance(envelope.original_content, bytes)
        self.mails.append(
            ReceivedMail(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                raw=envelope.original_content,
                starttls=session.ssl is not None,
                tls_version=ssl_object.version() if ssl_object is not None else None,
                login=login,
            )
        )
        return "250 OK"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.username
            and auth_data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data)


class SmtpServer(Controller):
    """aiosmtpd on 127.0.0.1 on a free port; given a certificate, it offers and requires STARTTLS.

    With ``implicit_tls`` it speaks TLS from the first byte instead (SMTPS).
    """

    def __init__(
        self,
        recorder: MailRecorder,
        cert: Path | None = None,
        key: Path | None = None,
        *,
        implicit_tls: bool = False,
    ) -> None:
        tls: ssl.SSLContext | None = None
        if cert is not None and key is not None:
            tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            tls.load_cert_chain(str(cert), str(key))
        starttls = tls if not implicit_tls else None
        super().__init__(
            recorder,
            hostname="127.0.0.1",
            port=0,
            ssl_context=tls if implicit_tls else None,
            tls_context=starttls,
            require_starttls=starttls is not None,
            # aiosmtpd counts only STARTTLS as TLS when deciding to offer AUTH
            auth_require_tls=not implicit_tls,
            authenticator=recorder.authenticate,
            auth_required=False,
        )

    def _trigger_server(self) -> None:
        # the listener was bound to port 0; learn the port before the readiness probe connects
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]

    def __enter__(self) -> SmtpServer:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
