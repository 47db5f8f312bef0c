"""Projects, the contractors on them (assignments) and the holds that freeze them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from tracker.clock import utcnow
from tracker.models.base import (
    Base,
    UTCDateTime,
    bool_false,
    bool_true,
    client_key,
    created_at,
    intpk,
    money,
    money_or_none,
    one_of,
    project_fk,
    tags,
    timestamp,
    user_fk,
    user_fk_or_none,
)
from tracker.models.users import User

# "frozen" is written only by tracker.services.holds, together with the hold row it stands for.
PROJECT_STATUSES = ("open", "frozen", "closed")
ORIGINS = ("direct", "reassignment")


class Project(Base):
    """A client project contractors log time against."""

    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint(one_of("status", PROJECT_STATUSES), name="status"),
        CheckConstraint("seats IS NULL OR seats >= 0", name="seats_not_negative"),
        CheckConstraint("hourly_rate >= 0", name="rate_not_negative"),
    )

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    client: Mapped[str] = mapped_column(String(200), default="")
    # Written with ``client`` (see ``set_client_key``): what incidents match the client on.
    client_key: Mapped[str] = mapped_column(String(200), default="", index=True)
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

    @validates("client")
    def set_client_key(self, _key: str, value: str) -> str:
        self.client_key = client_key(value)
        return value


class Assignment(Base):
    """A contractor on a project from start_date until end_date (None: still active)."""

    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint(one_of("origin", ORIGINS), name="origin"),
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

    def rate_on(self, project: Project) -> Decimal:
        """What an hour pays here: the assignment's own rate, else the project's."""
        return pay_rate(self.hourly_rate, project)


def pay_rate(override: Decimal | None, project: Project) -> Decimal:
    """An assignment's rate override when it has one (0.00 is one), else the project's rate."""
    return override if override is not None else project.hourly_rate


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
    # Every hold belongs to an incident (a plain freeze is an incident of one project).
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="RESTRICT"), index=True
    )
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
