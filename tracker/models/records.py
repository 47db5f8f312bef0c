"""What the app keeps about what happened: notifications to people, and the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.clock import utcnow
from tracker.models.base import Base, UTCDateTime, created_at, intpk, timestamp, user_fk


class Notification(Base):
    """A message to one user: hold started or lifted, reassignment confirmed, entry rejected."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_read", "user_id", "read_at", "id"),
        # A person's notifications newest first (the page's order).
        Index("ix_notifications_user_created", "user_id", "created_at", "id"),
    )

    id: Mapped[intpk]
    user_id: Mapped[user_fk]
    kind: Mapped[str] = mapped_column(String(40))
    # The text in English (the JSON API's, and the page's for rows without params).
    message: Mapped[str] = mapped_column(Text)
    # What the text says, by kind (codes, the admin's notice, …): pages render it in the
    # reader's language (tracker.services.notifications.describe).
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("holds.id"))
    # The incident the notification is about: the notifications page links to its page.
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("time_entries.id"))
    created_at: Mapped[created_at]
    read_at: Mapped[timestamp]


class AuditEvent(Base):
    """Append-only record of who did what to which object, when and from where."""

    __tablename__ = "audit_events"
    __table_args__ = (
        # Each filter of the audit page, in its newest-first keyset order (id).
        Index("ix_audit_events_target_id", "target_type", "target_id", "id"),
        Index("ix_audit_events_actor_id", "actor_id", "id"),
        Index("ix_audit_events_action_id", "action", "id"),
    )

    id: Mapped[intpk]
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[int | None]
    origin: Mapped[str | None] = mapped_column(String(100))  # client address, or "cli"
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
