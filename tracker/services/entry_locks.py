"""The lock-then-read steps every entry write takes (the race-free freeze, the 24-hour limit).

Order, always: the shared advisory lock of each project the write touches (ascending ids), then
the contractor-day lock, then the reads that the rules check. A read made before a lock is
granted could miss what the lock holder committed, so no read is folded into a lock statement;
but a new entry takes both its locks in one statement and reads its project, the owner's
assignments and the owner's minutes that day in one more.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, and_, bindparam, func, select
from sqlalchemy.orm import Session

from tracker.clock import day_text
from tracker.db import is_postgres
from tracker.errors import DailyLimit, EntryLocked, NotFound
from tracker.models import Assignment, Project, TimeEntry, User
from tracker.services import holds, locks
from tracker.services.durations import hours_text
from tracker.services.entry_rules import Standing

DAY_LIMIT = 1440  # minutes in one work date, across all projects

_DAY_TOTAL = select(func.coalesce(func.sum(TimeEntry.minutes), 0)).where(
    TimeEntry.user_id == bindparam("owner_id"),
    TimeEntry.work_date == bindparam("day"),
    TimeEntry.status != "rejected",
)


def _project_with_assignments(*extra: Any) -> Select[Any]:
    """The project and the owner's assignments on it (current ones last), read fresh."""
    return (
        select(Project, Assignment, *extra)
        .outerjoin(
            Assignment,
            and_(
                Assignment.project_id == Project.id,
                Assignment.user_id == bindparam("owner_id"),
            ),
        )
        .where(Project.id == bindparam("project_id"))
        .order_by(Assignment.end_date.is_not(None), Assignment.id.desc())
        .execution_options(populate_existing=True)
    )


# Built once (only the ids change, as bound parameters): log_time runs one on every call.
_PROJECT = _project_with_assignments()
_PROJECT_AND_DAY = _project_with_assignments(_DAY_TOTAL.scalar_subquery().label("day_total"))


class ProjectRead:
    """What a new entry's rules need, read after its locks: project, assignments, day total."""

    def __init__(
        self, project: Project | None, assignments: list[Assignment], day_total: int | None
    ) -> None:
        self.project = project
        self.assignments = assignments
        self.day_total = day_total  # None when the day was not locked (nothing to add, or bad)


def lock_for_new_entry(
    session: Session, project_id: int, owner: User, day: dt.date | None
) -> ProjectRead:
    """Lock the project (shared) and, given ``day``, the owner's day; then read, in one query.

    ``day`` is given when the entry adds minutes on a date that parsed; without it only the
    project is locked and the day total is left to ``check_daily_limit``.
    """
    params = {"project_id": project_id, "owner_id": owner.id}
    if day is None:
        locks.share_project(session, project_id)
        rows = session.execute(_PROJECT, params).all()
        total = None
    else:
        locks.share_project_then_day(session, project_id, owner.id, day)
        rows = session.execute(_PROJECT_AND_DAY, {**params, "day": day}).all()
        total = int(rows[0][2]) if rows else 0
    if not rows:
        return ProjectRead(None, [], total)
    return ProjectRead(rows[0][0], [row[1] for row in rows if row[1] is not None], total)


def assignments_of(session: Session, user: User, project_id: int) -> list[Assignment]:
    """Every assignment (past and present) of the user on the project, active first."""
    return list(
        session.scalars(
            select(Assignment)
            .where(Assignment.user_id == user.id, Assignment.project_id == project_id)
            .order_by(Assignment.end_date.is_not(None), Assignment.id.desc())
        )
    )


def read_standing(
    session: Session,
    owner: User,
    project: Project | None,
    assignments: list[Assignment] | None = None,
) -> Standing:
    """What the entry rules check about the owner on the project, read after the locks.

    The hold in force is read only for a frozen project; ``assignments`` already read (by
    ``lock_for_new_entry``) are not read again.
    """
    if project is None:
        return Standing(None)
    if assignments is None:
        assignments = assignments_of(session, owner, project.id)
    hold = holds.active_hold(session, project) if project.status == "frozen" else None
    return Standing(project, hold, assignments)


def share_projects(session: Session, project_ids: set[int]) -> None:
    """The shared locks of every project a save of several entries touches, ascending ids.

    Taken before the first entry of a week's save: each entry then takes a day lock, and a
    later entry must never wait for a project lock while holding a day lock (a freeze queued
    on that project would wait behind it, and writers behind the freeze on it).
    """
    for pid in sorted(project_ids):
        locks.share_project(session, pid)


def lock_projects(session: Session, project_ids: set[int]) -> dict[int, Project | None]:
    """Shared advisory locks in ascending id order, then each project read fresh."""
    share_projects(session, project_ids)
    return {pid: session.get(Project, pid, populate_existing=True) for pid in sorted(project_ids)}


def _lock_entry(session: Session, entry_id: int) -> TimeEntry | None:
    """The entry re-read after the project locks, row-locked on PostgreSQL (export races)."""
    query = select(TimeEntry).where(TimeEntry.id == entry_id)
    if is_postgres(session):
        query = query.with_for_update()
    return session.scalars(query.execution_options(populate_existing=True)).first()


def lock_entry_and_projects(
    session: Session, entry_id: int, project_ids: set[int]
) -> tuple[TimeEntry, dict[int, Project | None]]:
    """Shared locks on the projects, then the entry re-read; its current project locked too.

    The projects were chosen from a read made before any lock, so the entry may have moved in
    between. Once re-read it is row-locked (PostgreSQL) and cannot move again, so one more round
    of locks covers its project for sure. Raises NotFound.
    """
    found = lock_projects(session, project_ids)
    for _round in range(2):
        entry = _lock_entry(session, entry_id)
        if entry is None:
            raise NotFound(_("No such entry."))
        if entry.project_id in found:
            return entry, found
        found.update(lock_projects(session, {entry.project_id}))
    raise EntryLocked(_("This entry is being changed by someone else right now; try again."))


def _day_total(session: Session, user_id: int, day: dt.date, exclude: int | None) -> int:
    """The user's minutes on one work date across all projects (rejected entries not counted)."""
    params = {"owner_id": user_id, "day": day}
    query = _DAY_TOTAL
    if exclude is not None:
        query = query.where(TimeEntry.id != bindparam("exclude"))
        params["exclude"] = exclude
    return int(session.scalar(query, params) or 0)


def check_daily_limit(
    session: Session,
    user: User,
    day: dt.date,
    minutes: int,
    *,
    exclude: int | None = None,
    locked_total: int | None = None,
) -> None:
    """Lock the contractor's day, then refuse a total above 24 h. Raises DailyLimit.

    ``locked_total`` is the day's total already read under the day lock (a new entry's
    ``lock_for_new_entry``); then neither the lock nor the sum is taken again.
    """
    if minutes <= 0:
        return  # a negative correction only lowers the total
    if locked_total is None:
        locks.contractor_day(session, user.id, day)
        total = _day_total(session, user.id, day, exclude)
    else:
        total = locked_total
    if total + minutes > DAY_LIMIT:
        left = max(DAY_LIMIT - total, 0)
        raise DailyLimit(
            _(
                "That would make more than 24 hours on %(day)s: %(total)s h are already logged "
                "that day, so at most %(left)s h fit.",
                day=day_text(day),
                total=hours_text(total),
                left=hours_text(left),
            ),
        )
