"""Email: the settings, the messages, and the two ways they leave.

``TRACKER_SMTP_URL`` picks SMTP with one of three schemes:

- ``smtp://host[:25]`` — plain SMTP, for a relay on the same host or network (no credentials:
  a password is never sent over an unencrypted connection);
- ``smtp+starttls://user:password@host[:587]`` — SMTP upgraded with STARTTLS, which the server
  must offer (submission);
- ``smtps://user:password@host[:465]`` — SMTP inside TLS from the first byte.

Credentials are percent-encoded in the URL (``@`` as ``%40``); the certificate is checked
against the system's CA store (``SSL_CERT_FILE`` names another bundle). Without a URL each
message is written as an ``.eml`` file under ``instance/mail/`` (``TRACKER_MAIL_DIR``), so a
newcomer sees every email without a mail server. Messages are plain ``smtplib`` and
``email.message``: text and HTML parts rendered from ``templates/email/`` (where every word of
them lives, ready for translation), with a ``Message-ID`` that stays the same on every attempt.
The settings are checked when the app starts; a malformed value stops it, naming the setting
and never echoing a password.
"""

from __future__ import annotations

import datetime as dt
import os
import smtplib
import socket
import ssl
import zoneinfo
from dataclasses import dataclass, field
from email.charset import QP, Charset
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from babel.dates import format_skeleton, get_datetime_format
from flask import Flask, current_app
from flask_babel import force_locale

from tracker.config import ConfigError
from tracker.i18n import RTL_LANGUAGES
from tracker.models import DEFAULT_LANGUAGE, LANGUAGES
from tracker.services.envelopes import DeliveryFailed, Email

SCHEMES = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("tls", 465)}
SMTP_TIMEOUT = 20  # seconds for each network operation with the mail server
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP  # readable in an .eml file, safe on any SMTP server
_CRLF = compat32.clone(linesep="\r\n")  # .eml files as they go over the wire


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to reach the mail server (the password never appears in a repr)."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def security(self) -> str:
        """``plain``, ``starttls`` or ``tls``."""
        return SCHEMES[self.scheme][0]

    def describe(self) -> str:
        """The server without credentials, for logs and errors."""
        return f"{self.scheme}://{self.host}:{self.port}"


@dataclass(frozen=True)
class MailSettings:
    """Everything sending needs, checked once at start-up."""

    mail_from: str
    domain: str  # of the sender: the right-hand side of every Message-ID
    smtp: SmtpSettings | None


def parse_smtp_url(raw: str) -> SmtpSettings:
    """The settings in a ``TRACKER_SMTP_URL``. Raises ConfigError naming the setting."""

    def refuse(problem: str) -> ConfigError:
        return ConfigError(f"TRACKER_SMTP_URL {problem}")

    parts = urlsplit(raw.strip())
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise refuse(
            "must start with smtp://, smtp+starttls:// or smtps:// "
            f"(it starts with {(scheme + '://') if scheme else 'no scheme'})"
        )
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise refuse("has a port that is not a number from 1 to 65535") from None
    if not host:
        raise refuse("names no mail server host (e.g. smtp+starttls://user:pass@mail.example.com)")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise refuse("takes only a scheme, credentials, a host and a port (no path or query)")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if (username is None) != (password is None):
        raise refuse("must give both a user name and a password, or neither")
    if scheme == "smtp" and username is not None:
        raise refuse(
            "would send a password over an unencrypted connection: "
            "use smtp+starttls:// or smtps:// with credentials"
        )
    return SmtpSettings(scheme, host, port or SCHEMES[scheme][1], username, password)


def _sender(raw: str) -> Address:
    message = EmailMessage()
    try:
        message["From"] = raw
        header = message["From"]
        addresses = header.addresses
    except (ValueError, IndexError, TypeError):
        addresses = ()
        header = None
    if header is None or header.defects or len(addresses) != 1 or not addresses[0].domain:
        raise ConfigError(
            "TRACKER_MAIL_FROM must be one address, e.g. 'tracker <tracker@example.com>'"
        )
    return addresses[0]


def _default_sender(base_url: str) -> str:
    host = urlsplit(base_url).hostname or ""
    named = "." in host and not host.replace(".", "").isdigit() and ":" not in host
    return f"tracker <tracker@{host if named else 'localhost'}>"


def init_app(app: Flask) -> None:
    """Check the mail settings and keep them for the worker. Raises ConfigError."""
    raw_url = app.config.get("SMTP_URL")
    smtp = parse_smtp_url(raw_url) if raw_url else None
    sender = _sender(app.config.get("MAIL_FROM") or _default_sender(app.config["BASE_URL"]))
    if app.config["OUTBOX_MAX_ATTEMPTS"] < 1:
        raise ConfigError("TRACKER_OUTBOX_MAX_ATTEMPTS must be at least 1")
    mail_from = formataddr((sender.display_name, sender.addr_spec), "utf-8")
    app.extensions["tracker.mail"] = MailSettings(mail_from, sender.domain, smtp)


def settings() -> MailSettings:
    """The current app's mail settings."""
    found: MailSettings = current_app.extensions["tracker.mail"]
    return found


def render(name: str, **context: Any) -> str:
    """A template rendered on its own: no request, no page context (works in the worker)."""
    return current_app.jinja_env.get_template(name).render(**context)


def local_datetime(shown: dt.datetime, language: str) -> str:
    """A date and time of day (no seconds) as the language writes them: "7 dic 2026, 12:05"."""
    # The pages' forms: the month in words and a 24-hour clock (an Arabic "medium" date is
    # all digits, and its "short" time a 12-hour one).
    pattern = str(get_datetime_format("medium", locale=language))
    day = format_skeleton("yMMMd", shown.date(), locale=language)
    clock = format_skeleton("Hm", shown.time(), locale=language)
    return pattern.replace("{1}", day).replace("{0}", clock)


def date_text(language: str) -> Any:
    """For templates: an ISO date ("2026-03-02") as the language writes it ("2 mar 2026");
    unchanged in English, whose pages and emails show ISO dates."""

    def shown(value: str | None) -> str:
        if not value:
            return ""
        if language == DEFAULT_LANGUAGE:
            return value
        return format_skeleton("yMMMd", dt.date.fromisoformat(value), locale=language)

    return shown


def language_of(code: str | None) -> str:
    """A shipped language for a recipient's stored choice (English when they made none)."""
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def subject(email: Email, language: str | None = None) -> str:
    """The email's subject line, from ``templates/email/<template>.subject.txt``.

    In English unless a language is given: the outbox keeps the English one for the admins'
    pages; the worker renders it again in the recipient's language when it sends.
    """
    language = language_of(language)
    with force_locale(language):
        text = render(
            f"email/{email.template}.subject.txt",
            **{**email.payload, "date_text": date_text(language)},
        )
    return " ".join(text.split())[:300]


def absolute_url(endpoint: str, **values: Any) -> str:
    """A link into the portal at ``TRACKER_BASE_URL`` (no request needed)."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )
    return adapter.build(endpoint, values, force_external=True)


def _zone(name: str | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


@dataclass(frozen=True)
class Recipient:
    """Who an email goes to, as read when the worker claimed it."""

    email: str
    name: str | None = None
    timezone: str | None = None
    language: str | None = None  # their stored choice; None: English


def _header(value: str, name: str) -> str | Header:
    """A header value on one line; RFC 2047-encoded only when it is not plain ASCII.

    A Header object, not its encoded text: folded by the generator from the header's name, so
    a long Arabic or Spanish subject decodes without a leading space.
    """
    flat = " ".join(value.split())
    return flat if flat.isascii() else Header(flat, "utf-8", header_name=name)


def _part(text: str, subtype: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    part.set_payload(text, _UTF8_QP)  # quoted-printable: still readable in an .eml file
    return part


def _deliverable(address: str) -> str:
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or any(c.isspace() or c in '<>,;"' for c in address):
        raise DeliveryFailed(f"Not a deliverable address: {address!r}", permanent=True)
    return address


def compose(
    *,
    template: str,
    subject_line: str,
    payload: dict[str, Any],
    recipient: Recipient,
    message_id: str,
    created_at: dt.datetime,
) -> Message:
    """The email for one recipient: text and HTML parts, in their language and timezone,
    stable headers.

    The subject and both parts are rendered in the recipient's language as it is when the
    worker sends (``subject_line``, rendered in English when the email was written, is kept for
    a recipient who reads English). Built with the ``email.mime`` classes: the same MIME as
    ``EmailMessage`` at a third of the cost, which is the worker's send rate when a freeze
    writes thousands of emails.
    """
    zone = _zone(recipient.timezone)
    language = language_of(recipient.language)

    def when(value: str | None) -> str:
        if not value:
            return ""
        shown = dt.datetime.fromisoformat(value).astimezone(zone)
        if language == DEFAULT_LANGUAGE:
            return f"{shown:%Y-%m-%d %H:%M} {shown.tzname()}"
        return f"{local_datetime(shown, language)} {shown.tzname()}"

    context = {
        **payload,
        "recipient": recipient,
        "when": when,
        "date_text": date_text(language),
        "link": absolute_url,
        "email_lang": language,
        "email_dir": "rtl" if language in RTL_LANGUAGES else "ltr",
    }
    if language != DEFAULT_LANGUAGE:
        subject_line = subject(Email(template, payload), language)
    message = MIMEMultipart("alternative")
    message["Subject"] = _header(subject_line, "Subject")  # type: ignore[assignment]
    message["From"] = settings().mail_from
    name = " ".join((recipient.name or "").split())
    message["To"] = formataddr((name, _deliverable(recipient.email)), "utf-8")
    message["Date"] = format_datetime(created_at.astimezone(dt.UTC))
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"  # no out-of-office replies to the portal
    with force_locale(language):
        message.attach(_part(render(f"email/{template}.txt", **context), "plain"))
        message.attach(_part(render(f"email/{template}.html", **context), "html"))
    return message


class SmtpSender:
    """One SMTP connection reused for a batch; after a connection failure the rest fail fast."""

    def __init__(self, smtp: SmtpSettings) -> None:
        self.smtp = smtp
        self._connection: smtplib.SMTP | None = None
        self._broken: DeliveryFailed | None = None

    def _connect(self) -> smtplib.SMTP:
        smtp = self.smtp
        context = ssl.create_default_context()
        connection: smtplib.SMTP
        if smtp.security == "tls":
            connection = smtplib.SMTP_SSL(
                smtp.host,
                smtp.port,
                timeout=SMTP_TIMEOUT,
                context=context,
                local_hostname=socket.gethostname(),
            )
        else:
            connection = smtplib.SMTP(
                smtp.host, smtp.port, timeout=SMTP_TIMEOUT, local_hostname=socket.gethostname()
            )
        try:
            connection.ehlo()
            if smtp.security == "starttls":
                if not connection.has_extn("starttls"):
                    raise DeliveryFailed(f"{smtp.describe()} does not offer STARTTLS")
                connection.starttls(context=context)
                connection.ehlo()
            if smtp.username is not None:
                connection.login(smtp.username, smtp.password or "")
        except BaseException:
            connection.close()
            raise
        return connection

    def send(self, message: Message, recipient: str, _name: str) -> None:
        """Send one message. Raises DeliveryFailed (permanent when the server refuses it)."""
        if self._broken is not None:
            raise self._broken
        try:
            if self._connection is None:
                self._connection = self._connect()
            self._connection.send_message(message, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            code, answer = next(iter(exc.recipients.values()))
            raise DeliveryFailed(_answer(code, answer), permanent=500 <= code < 600) from None
        except smtplib.SMTPDataError as exc:
            code = exc.smtp_code
            raise DeliveryFailed(
                _answer(code, exc.smtp_error), permanent=500 <= code < 600
            ) from None
        except DeliveryFailed as exc:
            self._fail(exc)
        except (smtplib.SMTPException, OSError) as exc:
            self._fail(DeliveryFailed(f"{self.smtp.describe()}: {_describe(exc)}"))

    def _fail(self, failure: DeliveryFailed) -> None:
        self._broken = failure
        self.close()
        raise failure

    def close(self) -> None:
        """Say goodbye to the server (errors on the way out do not matter)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                connection.close()


def _answer(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {words}".strip()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return _answer(exc.smtp_code, exc.smtp_error)
    return str(exc) or type(exc).__name__


class FileSender:
    """Writes each message as ``<folder>/<name>.eml`` (mode 0600; a retry rewrites the same)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: Message, _recipient: str, name: str) -> None:
        """Write the message. Raises DeliveryFailed when the folder cannot be written."""
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            target = self.folder / f"{name}.eml"
            partial = target.with_suffix(".eml.partial")
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(message.as_bytes(policy=_CRLF))
            os.replace(partial, target)  # a reader never sees half a message
        except OSError as exc:
            raise DeliveryFailed(f"cannot write {self.folder}: {exc.strerror or exc}") from None

    def close(self) -> None:
        """Nothing to close."""


def mail_folder() -> Path:
    """Where ``.eml`` files go without SMTP: ``TRACKER_MAIL_DIR``, else ``instance/mail``."""
    return Path(current_app.config.get("MAIL_DIR") or Path(current_app.instance_path) / "mail")


def sender() -> SmtpSender | FileSender:
    """A sender for one batch: SMTP when configured, else ``.eml`` files."""
    configured = settings()
    if configured.smtp is not None:
        return SmtpSender(configured.smtp)
    return FileSender(mail_folder())
