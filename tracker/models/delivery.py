"""Delivery: the outbox of emails and webhook calls, and the webhook endpoints.

The rules that write them live in ``tracker.services.outbox`` and ``tracker.services.webhooks``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import (
    Base,
    UTCDateTime,
    bool_false,
    created_at,
    intpk,
    timestamp,
    user_fk_or_none,
)

DELIVERY_KINDS = ("email", "webhook")
DELIVERY_STATUSES = ("pending", "sent", "dead")
WEBHOOK_FORMATS = ("standard", "slack")


class WebhookEndpoint(Base):
    """Where incident tooling and chat receive events: a URL, its events and its secret."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (CheckConstraint("format IN ('standard', 'slack')", name="format"),)

    id: Mapped[intpk]
    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    format: Mapped[str] = mapped_column(String(10), default="standard")
    internal: Mapped[bool_false]  # True: the hold's internal reason is sent too
    # The signing key ("whsec_" + base64). It must be readable to sign, so it is stored as is;
    # it is shown once when the endpoint is made and never listed or logged.
    secret: Mapped[str] = mapped_column(String(100))
    created_by_id: Mapped[user_fk_or_none]
    created_at: Mapped[created_at]


class OutboxMessage(Base):
    """One email or webhook delivery, written in the same transaction as the change behind it.

    ``next_attempt_at`` is also the claim: a worker that takes a message moves it a lease into
    the future, so nobody else takes it while it is being sent, and a worker that dies leaves
    it due again once the lease runs out (sent at least once, never lost).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("kind IN ('email', 'webhook')", name="kind"),
        CheckConstraint("status IN ('pending', 'sent', 'dead')", name="status"),
        # The workers' one query: due pending messages, oldest first. Sent ones stay out of it.
        Index(
            "ix_outbox_due",
            "next_attempt_at",
            "id",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        # The admin list by status newest first, and its capped counts per status.
        Index("ix_outbox_status_id", "status", "id"),
        # Reminders and digests are written once per person and period; most rows have none.
        Index(
            "uq_outbox_dedupe_key",
            "dedupe_key",
            unique=True,
            sqlite_where=text("dedupe_key IS NOT NULL"),
            postgresql_where=text("dedupe_key IS NOT NULL"),
        ),
    )

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    topic: Mapped[str] = mapped_column(String(60))  # email template name, or webhook event type
    recipient: Mapped[str] = mapped_column(String(2048))  # email address, or endpoint URL
    subject: Mapped[str | None] = mapped_column(String(300))
    # Whose email it is, for their name and timezone at send time. No foreign key on purpose:
    # the check costs more than the rest of the row when a freeze writes 10,000 of them at
    # once, and users are never deleted (the address written here is what is sent to).
    user_id: Mapped[int | None]
    endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="SET NULL")
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the email's context
    body: Mapped[str | None] = mapped_column(Text)  # the webhook's exact JSON body
    # Random, shared by the rows one statement wrote; with the id it makes the stable
    # Message-ID and webhook-id, unique across installations.
    key: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str | None] = mapped_column(String(120))  # unique when set (see index)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[created_at]
    sent_at: Mapped[timestamp]

    def message_id(self, domain: str) -> str:
        """The email's Message-ID: the same on every attempt, so a retry is recognisable."""
        return f"<{self.key}.{self.id}@{domain}>"

    @property
    def webhook_id(self) -> str:
        """The Standard Webhooks ``webhook-id``: the same on every attempt."""
        return f"msg_{self.key}{self.id}"


class WorkerHeartbeat(Base):
    """When a background worker (the outbox's) last showed it is alive, for ``GET /readyz``.

    One row per kind of worker, whichever process of that kind wrote last: readiness asks
    whether anyone is sending, not who.
    """

    __tablename__ = "worker_heartbeats"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


__all__ = [
    "DELIVERY_KINDS",
    "DELIVERY_STATUSES",
    "WEBHOOK_FORMATS",
    "OutboxMessage",
    "WebhookEndpoint",
    "WorkerHeartbeat",
]
