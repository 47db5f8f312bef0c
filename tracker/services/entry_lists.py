"""Listing entries newest first with keyset pagination on (work_date desc, id desc).

``tracker.services.entries`` re-exports ``list_entries``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from tracker.errors import Invalid
from tracker.models import TimeEntry, User
from tracker.services import inputs

MAX_LIMIT = 500


def list_entries(
    session: Session,
    viewer: User,
    *,
    user_id: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    project_id: int | None = None,
    status: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> tuple[list[TimeEntry], str | None]:
    """Entries newest work date first, keyset-paginated; contractors see only their own.

    Returns (entries, next_cursor). Raises Invalid (bad cursor, status or limit).
    """
    limit = inputs.whole_number(limit, "limit", minimum=1, maximum=MAX_LIMIT)
    if status is not None and status not in ("submitted", "approved", "rejected"):
        raise Invalid.field("status", "Use submitted, approved or rejected.")
    query = (
        select(TimeEntry)
        .options(joinedload(TimeEntry.project), joinedload(TimeEntry.user))
        .order_by(TimeEntry.work_date.desc(), TimeEntry.id.desc())
        .limit(limit + 1)
    )
    if not viewer.is_admin:
        query = query.where(TimeEntry.user_id == viewer.id)
    elif user_id is not None:
        query = query.where(TimeEntry.user_id == user_id)
    if start is not None:
        query = query.where(TimeEntry.work_date >= start)
    if end is not None:
        query = query.where(TimeEntry.work_date <= end)
    if project_id is not None:
        query = query.where(TimeEntry.project_id == project_id)
    if status is not None:
        query = query.where(TimeEntry.status == status)
    if after:
        day, ident = inputs.cursor(after)
        query = query.where(
            (TimeEntry.work_date < day) | ((TimeEntry.work_date == day) & (TimeEntry.id < ident))
        )
    rows = list(session.scalars(query).unique())
    if len(rows) > limit:
        last = rows[limit - 1]
        return rows[:limit], f"{last.work_date.isoformat()}_{last.id}"
    return rows, None
