"""Typed models for every entity in the design, with the constraints and indexes queries need.

Read-only predicates live here (``is_active_on``, ``active_hold``); rules that change state live
in ``tracker.services``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base

ROLES = ("contractor", "admin", "payroll")
PROJECT_STATUSES = ("open", "frozen", "closed")
ENTRY_STATUSES = ("submitted", "approved", "rejected")
ORIGINS = ("direct", "reassignment")


def utcnow() -> dt.datetime:
    """The current instant, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timestamps stored as UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use tracker.models.utcnow()")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


# Typed column aliases (Warehouse style).
intpk = Annotated[int, mapped_column(primary_key=True)]
created_at = Annotated[dt.datetime, mapped_column(UTCDateTime, default=utcnow, nullable=False)]
timestamp = Annotated[dt.datetime | None, mapped_column(UTCDateTime, nullable=True)]
money = Annotated[Decimal, mapped_column(Numeric(12, 2), nullable=False)]
money_or_none = Annotated[Decimal | None, mapped_column(Numeric(12, 2), nullable=True)]
tags = Annotated[list[str], mapped_column(JSON, nullable=False, default=list)]
bool_true = Annotated[bool, mapped_column(default=True, server_default=text("true"))]
bool_false = Annotated[bool, mapped_column(default=False, server_default=text("false"))]
user_fk = Annotated[int, mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))]
user_fk_or_none = Annotated[
    int | None, mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), nullable=True)
]
project_fk = Annotated[int, mapped_column(ForeignKey("projects.id", ondelete="RESTRICT"))]


class User(Base):
    """A person who signs in: contractor, admin or payroll."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('contractor', 'admin', 'payroll')", name="role"),
        CheckConstraint("hourly_rate IS NULL OR hourly_rate >= 0", name="rate_not_negative"),
    )

    id: Mapped[intpk]
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool_true]
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    skills: Mapped[tags]
    hourly_rate: Mapped[money_or_none]
    # Rotated on logout, password change, role change and disable: old sessions stop working.
    session_token: Mapped[str] = mapped_column(String(64))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    recovery_codes: Mapped[list[str]] = mapped_column(JSON, default=list)  # hashes
    password_changed_at: Mapped[timestamp]
    last_login_at: Mapped[timestamp]
    created_at: Mapped[created_at]
    # Weekly missing-hours emails (design rule 36); hold notices are sent whatever this says.
    reminders: Mapped[bool_true]

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_contractor(self) -> bool:
        return self.role == "contractor"

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """Flask-Login's alternative id: the user id plus the rotating session token."""
        return f"{self.id}:{self.session_token}"


class SetupLink(Base):
    """A one-time link that lets a person set their password (first admin, new user, reset)."""

    __tablename__ = "setup_links"

    id: Mapped[intpk]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[user_fk_or_none]  # None: the link creates the first admin
    purpose: Mapped[str] = mapped_column(String(20))  # first_admin | welcome | reset
    created_at: Mapped[created_at]
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[timestamp]


class Project(Base):
    """A client project contractors log time against."""

    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'frozen', 'closed')", name="status"),
        CheckConstraint("seats IS NULL OR seats >= 0", name="seats_not_negative"),
        CheckConstraint("hourly_rate >= 0", name="rate_not_negative"),
    )

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    client: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    seats: Mapped[int | None]
    skills: Mapped[tags]
    hourly_rate: Mapped[money]
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    open_to_reassignment: Mapped[bool_true]
    created_at: Mapped[created_at]
    updated_at: Mapped[timestamp]

    holds: Mapped[list[Hold]] = relationship(
        back_populates="project", order_by="Hold.started_at.desc()", lazy="raise_on_sql"
    )


class Assignment(Base):
    """A contractor on a project from start_date until end_date (None: still active)."""

    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint("origin IN ('direct', 'reassignment')", name="origin"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_in_order"),
        CheckConstraint("hourly_rate IS NULL OR hourly_rate >= 0", name="rate_not_negative"),
        # At most one active assignment of a person on a project.
        Index(
            "uq_assignments_active",
            "user_id",
            "project_id",
            unique=True,
            sqlite_where=text("end_date IS NULL"),
            postgresql_where=text("end_date IS NULL"),
        ),
        Index("ix_assignments_project_active", "project_id", "end_date"),
    )

    id: Mapped[intpk]
    user_id: Mapped[user_fk] = mapped_column(index=True)
    project_id: Mapped[project_fk]
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date | None]
    hourly_rate: Mapped[money_or_none]  # overrides the project's rate for this person
    origin: Mapped[str] = mapped_column(String(20), default="direct")
    from_project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    from_hold_id: Mapped[int | None] = mapped_column(ForeignKey("holds.id"))
    created_by_id: Mapped[user_fk_or_none]
    created_at: Mapped[created_at]
    ended_by_id: Mapped[user_fk_or_none]

    user: Mapped[User] = relationship(foreign_keys="[Assignment.user_id]", lazy="raise_on_sql")
    project: Mapped[Project] = relationship(
        foreign_keys="[Assignment.project_id]", lazy="raise_on_sql"
    )

    @property
    def is_active(self) -> bool:
        return self.end_date is None

    def covers(self, day: dt.date) -> bool:
        """True when day lies inside the assignment's dates."""
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


class TimeEntry(Base):
    """Minutes one contractor worked on one project on one local work date."""

    __tablename__ = "time_entries"
    __table_args__ = (
        CheckConstraint("status IN ('submitted', 'approved', 'rejected')", name="status"),
        CheckConstraint(
            "minutes <> 0 AND minutes <= 1440 AND minutes >= -1440", name="minutes_range"
        ),
        CheckConstraint("minutes > 0 OR is_correction", name="only_corrections_negative"),
        CheckConstraint("hourly_rate >= 0", name="rate_not_negative"),
        Index("ix_time_entries_user_day", "user_id", "work_date"),
        Index("ix_time_entries_project_day", "project_id", "work_date"),
        Index("ix_time_entries_day_status", "work_date", "status"),
        Index("ix_time_entries_export_batch_id", "export_batch_id"),
    )

    id: Mapped[intpk]
    user_id: Mapped[user_fk]
    project_id: Mapped[project_fk]
    work_date: Mapped[dt.date]
    minutes: Mapped[int]
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="submitted")
    hourly_rate: Mapped[money]  # copied from the assignment or project when created
    currency: Mapped[str] = mapped_column(String(3))
    is_correction: Mapped[bool_false]
    corrects_entry_id: Mapped[int | None] = mapped_column(ForeignKey("time_entries.id"))
    approved_by_id: Mapped[user_fk_or_none]
    approved_at: Mapped[timestamp]
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    export_batch_id: Mapped[int | None] = mapped_column(ForeignKey("export_batches.id"))
    created_by_id: Mapped[user_fk_or_none]
    created_at: Mapped[created_at]
    updated_at: Mapped[timestamp]

    user: Mapped[User] = relationship(foreign_keys="[TimeEntry.user_id]", lazy="raise_on_sql")
    project: Mapped[Project] = relationship(
        foreign_keys="[TimeEntry.project_id]", lazy="raise_on_sql"
    )

    @property
    def exported(self) -> bool:
        return self.export_batch_id is not None


class Hold(Base):
    """One incident hold on a project; at most one per project is active (ended_at is None)."""

    __tablename__ = "holds"
    __table_args__ = (
        Index(
            "uq_holds_active",
            "project_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[intpk]
    project_id: Mapped[project_fk] = mapped_column(index=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_by_id: Mapped[user_fk_or_none]  # None: started from the CLI without a user
    reason: Mapped[str] = mapped_column(Text)  # internal: admins only
    notice: Mapped[str] = mapped_column(Text)  # shown verbatim to the affected contractors
    incident_ref: Mapped[str | None] = mapped_column(String(100))
    allow_backfill: Mapped[bool_false]
    affected_count: Mapped[int] = mapped_column(default=0)
    ended_at: Mapped[timestamp]
    ended_by_id: Mapped[user_fk_or_none]
    note: Mapped[str | None] = mapped_column(Text)

    project: Mapped[Project] = relationship(back_populates="holds", lazy="raise_on_sql")

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class Notification(Base):
    """A message to one user: hold started or lifted, reassignment confirmed, entry rejected."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at", "id"),)

    id: Mapped[intpk]
    user_id: Mapped[user_fk]
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("holds.id"))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("time_entries.id"))
    created_at: Mapped[created_at]
    read_at: Mapped[timestamp]


class AuditEvent(Base):
    """Append-only record of who did what to which object, when and from where."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_target", "target_type", "target_id"),
        Index("ix_audit_events_actor_at", "actor_id", "at"),
        Index("ix_audit_events_action_at", "action", "at"),
    )

    id: Mapped[intpk]
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[int | None]
    origin: Mapped[str | None] = mapped_column(String(100))  # client address, or "cli"
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ExportBatch(Base):
    """A payroll export that marked its entries exported, with the SHA-256 of its exact bytes."""

    __tablename__ = "export_batches"
    __table_args__ = (CheckConstraint("period_end >= period_start", name="period_in_order"),)

    id: Mapped[intpk]
    period_start: Mapped[dt.date]
    period_end: Mapped[dt.date]
    status_filter: Mapped[str] = mapped_column(String(10), default="approved")
    created_by_id: Mapped[user_fk_or_none]
    created_at: Mapped[created_at]
    row_count: Mapped[int] = mapped_column(default=0)
    total_minutes: Mapped[int] = mapped_column(default=0)
    totals: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # currency → amount
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)  # the exact CSV bytes


class ApiToken(Base):
    """A per-user bearer token; only the SHA-256 of the secret is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[intpk]
    user_id: Mapped[user_fk] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # shown so people can tell tokens apart
    created_at: Mapped[created_at]
    last_used_at: Mapped[timestamp]
    expires_at: Mapped[timestamp]
    revoked_at: Mapped[timestamp]

    user: Mapped[User] = relationship(lazy="joined")

    def usable(self, now: dt.datetime) -> bool:
        """True when the token is neither revoked nor expired."""
        return self.usable_at(self.revoked_at, self.expires_at, now)

    @staticmethod
    def usable_at(
        revoked_at: dt.datetime | None, expires_at: dt.datetime | None, now: dt.datetime
    ) -> bool:
        """The rule of ``usable`` for a token read as columns, not as an object."""
        return revoked_at is None and (expires_at is None or expires_at > now)


class LoginAttempt(Base):
    """A failed sign-in, kept for throttling per account and per client address.

    Rows older than ``auth.KEEP_ATTEMPTS`` are deleted whenever a new failure is recorded.
    """

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
        Index("ix_login_attempts_at", "at"),
    )

    id: Mapped[intpk]
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# Delivery's tables (outbox, webhook endpoints) live in their own module; importing it here
# registers them on the metadata wherever the models are loaded.
from tracker.models_delivery import OutboxMessage, WebhookEndpoint  # noqa: E402

__all__ = [
    "ENTRY_STATUSES",
    "ORIGINS",
    "PROJECT_STATUSES",
    "ROLES",
    "ApiToken",
    "Assignment",
    "AuditEvent",
    "ExportBatch",
    "Hold",
    "LoginAttempt",
    "Notification",
    "OutboxMessage",
    "Project",
    "SetupLink",
    "TimeEntry",
    "User",
    "WebhookEndpoint",
    "utcnow",
]
