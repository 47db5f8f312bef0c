"""Webhooks: endpoints for incident tooling and chat, and signed deliveries.

Each delivery goes through the outbox (same transaction as the change, retried with backoff)
and is signed per the Standard Webhooks specification: ``webhook-id`` (stable across retries),
``webhook-timestamp`` (seconds) and ``webhook-signature`` (``v1,`` and the base64 HMAC-SHA256 of
``id.timestamp.body`` keyed with the endpoint's ``whsec_`` secret). The body is
``{"type", "timestamp", "data"}``, or ``{"text": …}`` for Slack-format endpoints (the same
headers). Only ``http(s)`` URLs; hosts that resolve to loopback, private, link-local or other
non-public addresses are refused when the endpoint is registered and again, on the addresses
actually connected to, at every send (unless ``TRACKER_WEBHOOK_ALLOW_PRIVATE=1``). Redirects are
never followed; the request times out after 5 seconds.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from jinja2 import TemplateNotFound
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tracker.errors import Invalid, NotFound
from tracker.models import WEBHOOK_FORMATS, OutboxMessage, User, WebhookEndpoint, utcnow
from tracker.services import audit, mail, outbox
from tracker.services.outbox import DeliveryFailed

EVENTS = (
    "incident.started",
    "incident.updated",
    "incident.lifted",
    "hold.started",
    "hold.lifted",
    "reassignment.accepted",
    "payroll.batch_created",
)
TIMEOUT = 5  # seconds: connect, send and answer
URL_MAX = 2048
SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret
USER_AGENT = "tracker-webhooks/1"
ENDPOINT_FIELDS = ("url", "events", "format", "internal")


def _allow_private() -> bool:
    return bool(current_app.config["WEBHOOK_ALLOW_PRIVATE"])


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int, allow_private: bool) -> list[str]:
    """The host's addresses, every one of them public unless allowed otherwise.

    Raises DeliveryFailed (permanent) naming the host when it does not resolve or when one of
    its addresses is loopback, private, link-local or otherwise not public.
    """
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise DeliveryFailed(
            _("The host %(host)s could not be found (%(reason)s).", host=host, reason=str(exc)),
            permanent=True,
        ) from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not allow_private:
        for address in addresses:
            if not _public(address):
                raise DeliveryFailed(
                    _(
                        "%(host)s resolves to %(address)s, which is not a public address; "
                        "webhooks go only to public addresses.",
                        host=host,
                        address=address,
                    ),
                    permanent=True,
                )
    return addresses


def check_url(value: Any, allow_private: bool) -> str:
    """A webhook URL: http(s), a host, no credentials, public. Raises Invalid naming ``url``."""

    def refuse(message: str) -> Invalid:
        return Invalid.field("url", message)

    if not isinstance(value, str) or not value.strip():
        raise refuse(_("Give the URL that should receive the events."))
    url = value.strip()
    if len(url) > URL_MAX:
        raise refuse(_("At most %(max)s characters.", max=f"{URL_MAX:,}"))
    if any(ord(ch) <= 32 or ord(ch) == 127 for ch in url):
        raise refuse(_("A URL has no spaces or control characters."))
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        if not parts.scheme or not parts.netloc:
            raise refuse(
                _(
                    "Not a URL: give the full address, e.g. %(example)s.",
                    example="https://hooks.example.com/x",
                )
            )
        raise refuse(_("Only http:// and https:// URLs can receive webhooks."))
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise refuse(_("The port must be a number from 1 to 65535.")) from None
    if not host:
        raise refuse(
            _(
                "Not a URL: give the full address, e.g. %(example)s.",
                example="https://hooks.example.com/x",
            )
        )
    if parts.username is not None or parts.password is not None:
        raise refuse(_("Leave credentials out of the URL; every delivery is signed instead."))
    if parts.fragment:
        raise refuse(_("A webhook URL has no #fragment."))
    try:
        resolve(host, port or (443 if parts.scheme.lower() == "https" else 80), allow_private)
    except DeliveryFailed as exc:
        raise refuse(exc.message) from None
    return url


def _events(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise Invalid.field(
            "events", _("Choose at least one event: %(events)s.", events=", ".join(EVENTS))
        )
    unknown = [v for v in value if v not in EVENTS]
    if unknown:
        raise Invalid.field(
            "events",
            _(
                "Unknown event %(event)s; choose from %(events)s.",
                event=repr(unknown[0]),
                events=", ".join(EVENTS),
            ),
        )
    return [e for e in EVENTS if e in value]


def _format(value: Any) -> str:
    if value is None:
        return "standard"
    if value not in WEBHOOK_FORMATS:
        raise Invalid.field("format", _("Choose standard (signed JSON) or slack."))
    return str(value)


def _flag(value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise Invalid.field("internal", _("Must be true or false."))
    return value


def new_secret() -> str:
    """A signing secret in the Standard Webhooks form: ``whsec_`` and 24 random bytes, base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def register(
    session: Session,
    actor: User | None,
    *,
    url: Any,
    events: Any,
    format: Any = None,
    internal: Any = None,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its secret (shown once, never listed again).

    Raises Invalid naming every bad field (a URL that is not http(s), not a URL, or points
    at a non-public address; an empty or unknown event list; an unknown format).
    """
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for name, check in (
        ("url", lambda: check_url(url, _allow_private())),
        ("events", lambda: _events(events)),
        ("format", lambda: _format(format)),
        ("internal", lambda: _flag(internal)),
    ):
        try:
            clean[name] = check()
        except Invalid as exc:
            errors.update(exc.fields)
    if errors:
        raise Invalid(errors)
    secret = new_secret()
    endpoint = WebhookEndpoint(**clean, secret=secret, created_by_id=actor.id if actor else None)
    session.add(endpoint)
    session.flush()  # the audit event names the endpoint by id
    audit.record(
        session,
        actor,
        "webhook.create",
        endpoint,
        target_type="webhook",
        after=audit.snapshot(endpoint, *ENDPOINT_FIELDS),
    )
    return endpoint, secret


def list_endpoints(session: Session) -> list[WebhookEndpoint]:
    """Every endpoint, oldest first."""
    return list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def remove(session: Session, actor: User | None, endpoint_id: int) -> None:
    """Remove an endpoint; its deliveries not yet sent are dead. Raises NotFound."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(_("No such webhook endpoint."))
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.endpoint_id == endpoint.id, OutboxMessage.status == "pending")
        .values(status="dead", last_error="The webhook endpoint was removed.")
        .execution_options(synchronize_session=False)
    )
    audit.record(
        session,
        actor,
        "webhook.delete",
        endpoint,
        target_type="webhook",
        before=audit.snapshot(endpoint, *ENDPOINT_FIELDS),
    )
    session.delete(endpoint)


def _stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _slack_text(event: str, data: dict[str, Any], internal: bool) -> str:
    """The readable line for Slack, from ``templates/webhooks/<event>.txt``.

    Slack reads ``&``, ``<`` and ``>`` as markup, so they are escaped as its documentation asks.
    """
    try:
        text = mail.render(f"webhooks/{event}.txt", event=event, internal=internal, **data)
    except TemplateNotFound:
        text = mail.render("webhooks/_default.txt", event=event, data=data)
    return text.strip().replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def publish(
    session: Session,
    event: str,
    data: dict[str, Any],
    internal_data: dict[str, Any] | None = None,
) -> int:
    """Write a delivery of ``event`` to every endpoint subscribed to it; returns how many.

    ``data`` goes to every endpoint; ``internal_data`` (default: ``data``) only to endpoints
    marked internal — the only place an internal reason may be. Two statements whatever the
    number of endpoints: read them, insert the deliveries.
    """
    return publish_many(session, event, [(data, internal_data)])


def publish_many(
    session: Session,
    event: str,
    items: Sequence[tuple[dict[str, Any], dict[str, Any] | None]],
) -> int:
    """``publish`` for several events of one kind at once (an incident's holds, one each).

    Still two statements whatever the number of events and endpoints.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    if not items:
        return 0
    now = utcnow()
    deliveries = []
    for endpoint in list_endpoints(session):
        if event not in endpoint.events:
            continue
        for data, internal_data in items:
            shown = internal_data if (endpoint.internal and internal_data is not None) else data
            if endpoint.format == "slack":
                document: dict[str, Any] = {"text": _slack_text(event, shown, endpoint.internal)}
            else:
                document = {"type": event, "timestamp": _stamp(now), "data": shown}
            body = json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str)
            deliveries.append((endpoint.id, endpoint.url, body))
    return outbox.add_webhooks(session, event, deliveries)


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for a body (Standard Webhooks, v1)."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to an address checked beforehand, whatever the name resolves to meanwhile."""

    def __init__(self, host: str, port: int, address: str) -> None:
        super().__init__(host, port, timeout=TIMEOUT)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """The HTTPS version: the certificate is still checked against the host name."""

    def __init__(self, host: str, port: int, address: str) -> None:
        super().__init__(host, port, timeout=TIMEOUT)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def deliver(url: str, body: str, webhook_id: str, secret: str, allow_private: bool) -> None:
    """POST one delivery, signed; succeeds on a 2xx answer. Raises DeliveryFailed.

    A redirect is a failure (never followed). Permanent failures: the host does not resolve
    or is not public.
    """
    parts = urlsplit(url)
    https = parts.scheme.lower() == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if https else 80)
    addresses = resolve(host, port, allow_private)
    pinned = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
    connection = pinned(host, port, addresses[0])
    payload = body.encode()
    timestamp = int(utcnow().timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, webhook_id, timestamp, payload),
    }
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=payload, headers=headers)
        response = connection.getresponse()
        answer = response.read(1024)
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryFailed(f"{host}: {exc or type(exc).__name__}") from None
    finally:
        connection.close()
    if 200 <= response.status < 300:
        return
    if 300 <= response.status < 400:
        target = urlsplit(response.getheader("Location") or "").hostname or "elsewhere"
        raise DeliveryFailed(
            f"{host} answered HTTP {response.status}, a redirect to {target}; "
            "redirects are not followed (register the final URL)."
        )
    snippet = " ".join(answer.decode("utf-8", "replace").split())[:200]
    raise DeliveryFailed(f"{host} answered HTTP {response.status} {snippet}".rstrip())
