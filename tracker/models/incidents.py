"""Incidents: one stop of work over a client or chosen projects, its updates, and who it affects.

An incident owns one hold per project it froze (``Hold.incident_id``); a plain project freeze
is an incident of one project. ``IncidentContractor`` lists everyone it affects, once each
however many of its projects they are on, with when they acknowledged what they were told.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, validates

from tracker.clock import utcnow
from tracker.models.base import (
    Base,
    UTCDateTime,
    bool_false,
    client_key,
    intpk,
    one_of,
    timestamp,
    user_fk,
    user_fk_or_none,
)

INCIDENT_SCOPES = ("client", "projects")


class Incident(Base):
    """A stop of work: every project of a client, or chosen projects, frozen as one action."""

    __tablename__ = "incidents"
    __table_args__ = (
        CheckConstraint(one_of("scope", INCIDENT_SCOPES), name="scope"),
        Index("ix_incidents_active", "lifted_at", "review_by"),
    )

    id: Mapped[intpk]
    title: Mapped[str] = mapped_column(String(200))  # internal: admins only
    reason: Mapped[str] = mapped_column(Text)  # internal: admins only
    notice: Mapped[str] = mapped_column(Text)  # shown verbatim to the affected contractors
    incident_ref: Mapped[str | None] = mapped_column(String(100))
    allow_backfill: Mapped[bool_false]
    # Offers may include the client's other projects (never under a client-wide incident).
    allow_same_client: Mapped[bool_false]
    scope: Mapped[str] = mapped_column(String(10))
    client: Mapped[str | None] = mapped_column(String(200))  # the client as typed (scope client)
    client_key: Mapped[str | None] = mapped_column(String(200))  # written with client
    review_by: Mapped[dt.date]
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_by_id: Mapped[user_fk_or_none]
    lifted_at: Mapped[timestamp]
    lifted_by_id: Mapped[user_fk_or_none]
    note: Mapped[str | None] = mapped_column(Text)
    affected_count: Mapped[int] = mapped_column(default=0)

    @validates("client")
    def set_client_key(self, _key: str, value: str | None) -> str | None:
        self.client_key = client_key(value) if value is not None else None
        return value

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None


class IncidentUpdate(Base):
    """A dated message from an admin to everyone the incident affects: its timeline."""

    __tablename__ = "incident_updates"

    id: Mapped[intpk]
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="RESTRICT"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[user_fk_or_none]
    message: Mapped[str] = mapped_column(Text)


class IncidentContractor(Base):
    """A contractor the incident affects (counted and told once), and their acknowledgement.

    ``acknowledged_at`` is when they last confirmed having read the notice and the updates;
    an update posted after it leaves them pending again.
    """

    __tablename__ = "incident_contractors"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="RESTRICT"), primary_key=True
    )
    user_id: Mapped[user_fk] = mapped_column(primary_key=True, index=True)
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[timestamp]
