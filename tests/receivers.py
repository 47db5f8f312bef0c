"""Real receivers for delivery tests: an SMTP server (aiosmtpd) and a webhook HTTP receiver.

``smtp_server(...)`` listens on a free port on 127.0.0.1 — plain, with STARTTLS, or TLS from the
first byte, optionally requiring authentication — and keeps every message it accepts, parsed.
``webhook_receiver(...)`` is an HTTP server that verifies each delivery's signature with the
``standardwebhooks`` library (an independent implementation of the scheme) and answers with a
scripted list of statuses. ``self_signed(...)`` makes a certificate for 127.0.0.1 and
localhost with the ``openssl`` command. Nothing here is a mock: the app talks to them over TCP.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from tests.live import free_port


@dataclass
class Received:
    """One message as the SMTP server accepted it."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    authenticated_as: str | None
    tls: bool

    @property
    def text(self) -> str:
        """The plain-text part."""
        return self.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    @property
    def html(self) -> str:
        """The HTML part."""
        return self.message.get_body(("html",)).get_content()  # type: ignore[union-attr]


@dataclass
class SmtpServer:
    """What the test needs to know about a running SMTP server."""

    port: int
    received: list[Received] = field(default_factory=list)
    reject: set[str] = field(default_factory=set)
    delay: float = 0.0  # seconds to wait before accepting each message

    def message_ids(self) -> list[str]:
        """The Message-ID of every accepted message, in arrival order."""
        return [str(r.message["Message-ID"]) for r in self.received]


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server
        self.lock = threading.Lock()

    async def handle_RCPT(
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any
    ) -> str:
        if address in self.server.reject:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, session: Any, envelope: Any) -> str:
        if self.server.delay:
            await asyncio.sleep(self.server.delay)
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        auth = session.auth_data
        with self.lock:
            self.server.received.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=list(envelope.rcpt_tos),
                    message=parsed,  # type: ignore[arg-type]
                    authenticated_as=auth.login.decode()
                    if isinstance(auth, LoginPassword)
                    else None,
                    tls=session.ssl is not None,
                )
            )
        return "250 Message accepted for delivery"


class _ImplicitTlsAwareSMTP(SMTP):
    """aiosmtpd's server, told when the whole connection is TLS (it only knows STARTTLS)."""

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        if transport.get_extra_info("sslcontext") is not None and self.session.ssl is None:
            self.session.ssl = {"implicit": True}
            self._auth_require_tls = False  # AUTH is allowed: it cannot travel in clear here


class _Controller(Controller):
    def factory(self) -> SMTP:
        return _ImplicitTlsAwareSMTP(self.handler, **self.SMTP_kwargs)


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1 and localhost, valid for a day; returns their paths."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@contextmanager
def smtp_server(
    *,
    port: int | None = None,
    security: str = "plain",
    certificate: tuple[Path, Path] | None = None,
    login: tuple[str, str] | None = None,
    reject: set[str] | None = None,
    delay: float = 0.0,
) -> Iterator[SmtpServer]:
    """An SMTP server on 127.0.0.1; ``security`` is plain, starttls or tls.

    With ``login``, mail is accepted only after AUTH with that user and password (and AUTH only
    over TLS, as real servers require).
    """
    server = SmtpServer(port or free_port(), reject=set(reject or ()), delay=delay)
    context = None
    if security != "plain":
        assert certificate is not None, "TLS needs a certificate"
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*map(str, certificate))
    options: dict[str, Any] = {}
    if security == "starttls":
        options.update(tls_context=context, require_starttls=True)
    if login is not None:

        def authenticator(_server: Any, _session: Any, _env: Any, _mech: str, data: Any) -> Any:
            ok = (
                isinstance(data, LoginPassword)
                and (
                    data.login.decode(),
                    data.password.decode(),
                )
                == login
            )
            return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

        options.update(authenticator=authenticator, auth_required=True)
    controller = _Controller(
        _Handler(server),
        hostname="127.0.0.1",
        port=server.port,
        ssl_context=context if security == "tls" else None,
        server_hostname="mail.test",
        **options,
    )
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@dataclass
class Delivery:
    """One webhook delivery as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    verified: Any  # the parsed JSON when the signature checked out, else None


@dataclass
class WebhookReceiver:
    """What the test needs to know about a running webhook receiver."""

    port: int
    secret: str | None = None
    scheme: str = "http"
    delay: float = 0.0  # seconds to wait before answering
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hooks/tracker") -> str:
        """The receiver's URL."""
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def ids(self) -> list[str]:
        """Every delivery's webhook-id, in arrival order."""
        return [d.headers.get("webhook-id", "") for d in self.deliveries]


@contextmanager
def webhook_receiver(
    secret: str | None = None, certificate: tuple[Path, Path] | None = None
) -> Iterator[WebhookReceiver]:
    """An HTTP receiver on 127.0.0.1 that verifies signatures when it knows the secret.

    It answers each POST with the next scripted ``(status, headers)`` of ``answers`` (set them
    on the yielded object), then 200 once the script runs out. With ``certificate`` it speaks
    HTTPS.
    """
    receiver = WebhookReceiver(
        free_port(), secret=secret, scheme="https" if certificate else "http"
    )

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            verified = None
            if receiver.secret:
                try:
                    verified = Webhook(receiver.secret).verify(body, headers)
                except WebhookVerificationError:
                    verified = None
            with receiver.lock:
                receiver.deliveries.append(Delivery(self.path, headers, body, verified))
                status, extra = receiver.answers.pop(0) if receiver.answers else (200, {})
            if receiver.delay:
                time.sleep(receiver.delay)
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", receiver.port), Handler)
    if certificate is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*map(str, certificate))
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def json_of(delivery: Delivery) -> Any:
    """A delivery's body as JSON."""
    return json.loads(delivery.body)
