"""Listing entries newest first with keyset pagination on (work_date desc, id desc), and which
of the listed entries the viewer may still change.

``tracker.services.entries`` re-exports ``list_entries`` and ``editable``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from tracker.errors import Invalid
from tracker.models import ENTRY_STATUSES, Assignment, Hold, Project, TimeEntry, User
from tracker.services import holds, inputs
from tracker.services.entry_rules import Standing, change_refusal, takes_new_time

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
    if status is not None and status not in ENTRY_STATUSES:
        raise Invalid.field("status", _("Use submitted, approved or rejected."))
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


def editable(
    session: Session,
    viewer: User,
    items: Sequence[TimeEntry],
    *,
    backdating_days: int | None = None,
) -> dict[int, bool]:
    """Which listed entries ``update_entry`` would let the viewer change now, by entry id.

    The entries come from ``list_entries`` (project and owner loaded); the holds in force and
    the owners' assignments on those projects are read in two queries, then each entry goes
    through ``entry_rules.change_refusal``, the checks of the change itself.
    """
    if not items:
        return {}
    project_ids = {e.project_id for e in items}
    held = holds.active_holds(session, project_ids)
    rows = session.scalars(
        select(Assignment)
        .where(
            Assignment.user_id.in_({e.user_id for e in items}),
            Assignment.project_id.in_(project_ids),
        )
        .order_by(Assignment.end_date.is_not(None), Assignment.id.desc())
    )
    mine: dict[tuple[int, int], list[Assignment]] = {}
    for row in rows:
        mine.setdefault((row.user_id, row.project_id), []).append(row)
    return {
        e.id: change_refusal(
            viewer,
            e.user,
            e,
            Standing(e.project, held.get(e.project_id), mine.get((e.user_id, e.project_id), [])),
            backdating_days=backdating_days,
        )
        is None
        for e in items
    }


@dataclass(frozen=True)
class ProjectOption:
    """A project the contractor may pick when logging time, with its hold in force."""

    project: Project
    hold: Hold | None

    @property
    def takes_time(self) -> bool:
        """False when no new time can be logged there (closed, or held without backfill)."""
        return takes_new_time(self.project, self.hold)


def loggable_projects(
    session: Session, user: User, include: int | None = None
) -> list[ProjectOption]:
    """The contractor's active projects that are not closed, by code, with their holds.

    ``include`` adds one more project (an entry's current one, so its form can show it).
    """
    rows = list(
        session.scalars(
            select(Project)
            .join(Assignment, Assignment.project_id == Project.id)
            .where(Assignment.user_id == user.id, Assignment.end_date.is_(None))
            .where(Project.status != "closed")
            .order_by(Project.code)
        ).unique()
    )
    if include is not None and all(p.id != include for p in rows):
        extra = session.get(Project, include)
        if extra is not None:
            rows.append(extra)
    held = holds.active_holds(session, [p.id for p in rows])
    return [ProjectOption(p, held.get(p.id)) for p in rows]
