"""Time entries and the payroll export batches that lock them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import (
    Base,
    bool_false,
    created_at,
    intpk,
    money,
    one_of,
    project_fk,
    timestamp,
    user_fk,
    user_fk_or_none,
)
from tracker.models.projects import Project
from tracker.models.users import User

ENTRY_STATUSES = ("submitted", "approved", "rejected")


class TimeEntry(Base):
    """Minutes one contractor worked on one project on one local work date."""

    __tablename__ = "time_entries"
    __table_args__ = (
        CheckConstraint(one_of("status", ENTRY_STATUSES), name="status"),
        CheckConstraint(
            "minutes <> 0 AND minutes <= 1440 AND minutes >= -1440", name="minutes_range"
        ),
        CheckConstraint("minutes > 0 OR is_correction", name="only_corrections_negative"),
        CheckConstraint("hourly_rate >= 0", name="rate_not_negative"),
        # A person's entries newest first (the lists' keyset order ends in id), and by status.
        Index("ix_time_entries_user_day_id", "user_id", "work_date", "id"),
        Index("ix_time_entries_user_status_day", "user_id", "status", "work_date", "id"),
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
