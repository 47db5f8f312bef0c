"""What holds cost: each project's hold history, and the impact of the holds in force.

Read models for the hold pages and the API's hold history, in a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.clock import utcnow
from tracker.models import Assignment, Hold, Project, TimeEntry, User
from tracker.services import seats

WEEKS_BEFORE = 4
MAX_WEEKS_SINCE = 12


@dataclass
class HoldRecord:
    """A hold with the names of who started and ended it and how long it lasted."""

    hold: Hold
    started_by: str
    ended_by: str | None
    duration: dt.timedelta


def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(wanted))).all())


def _who(names: dict[int, str], user_id: int | None) -> str:
    """Who started or ended a hold: a name, or "command line" (no user)."""
    if user_id is None:
        return _("command line")
    return names.get(user_id) or _("unknown")


def hold_history(session: Session, project: Project) -> list[HoldRecord]:
    """Every hold of the project, newest first: who, when, why, how long (two queries)."""
    holds = list(
        session.scalars(
            select(Hold).where(Hold.project_id == project.id).order_by(Hold.started_at.desc())
        )
    )
    names = _names(session, {h.started_by_id for h in holds} | {h.ended_by_id for h in holds})
    now = utcnow()
    return [
        HoldRecord(
            hold=h,
            started_by=_who(names, h.started_by_id),
            ended_by=None if h.ended_at is None else _who(names, h.ended_by_id),
            duration=(h.ended_at or now) - h.started_at,
        )
        for h in holds
    ]


@dataclass
class WeekHours:
    """Minutes logged on the project in one seven-day window around the hold's start."""

    start: dt.date
    minutes: int
    before: bool  # True: one of the weeks before the hold

    @property
    def end(self) -> dt.date:
        """The window's last day."""
        return self.start + dt.timedelta(days=6)


@dataclass
class HoldImpact:
    """What a hold in force means: who is affected, who moved, hours before against since."""

    hold: Hold
    project: Project
    affected: int  # notified when the hold started
    still_on: int  # active assignments on the project now
    reassigned: int  # contractors who moved to another project from this hold
    started_by: str
    weeks: list[WeekHours] = field(default_factory=list)

    @property
    def average_before(self) -> int:
        """Average minutes per week over the weeks before the hold."""
        before = [w.minutes for w in self.weeks if w.before]
        return sum(before) // len(before) if before else 0

    @property
    def average_since(self) -> int:
        """Average minutes per week over the weeks since the hold started."""
        since = [w.minutes for w in self.weeks if not w.before]
        return sum(since) // len(since) if since else 0


def _windows(start: dt.date, today: dt.date) -> list[tuple[dt.date, bool]]:
    """Seven-day windows: four before the hold's first day, then one per week since."""
    windows = [(start - dt.timedelta(days=7 * n), True) for n in range(WEEKS_BEFORE, 0, -1)]
    weeks_since = max(1, min(MAX_WEEKS_SINCE, (today - start).days // 7 + 1))
    first = start + dt.timedelta(days=7 * max(0, (today - start).days // 7 + 1 - weeks_since))
    windows += [(first + dt.timedelta(days=7 * n), False) for n in range(weeks_since)]
    return windows


def holds_in_force(session: Session, today: dt.date | None = None) -> list[HoldImpact]:
    """Holds in force with their impact, oldest first, in a fixed number of queries."""
    today = today or utcnow().date()
    rows = list(
        session.execute(
            select(Hold, Project)
            .join(Project, Project.id == Hold.project_id)
            .where(Hold.ended_at.is_(None))
            .order_by(Hold.started_at)
        )
    )
    if not rows:
        return []
    hold_ids = [h.id for h, _ in rows]
    project_ids = [p.id for _, p in rows]
    still_on = seats.active_counts(session, project_ids)
    reassigned = dict(
        session.execute(
            select(Assignment.from_hold_id, func.count(func.distinct(Assignment.user_id)))
            .where(Assignment.from_hold_id.in_(hold_ids))
            .group_by(Assignment.from_hold_id)
        ).all()
    )
    earliest = min(h.started_at.date() for h, _ in rows) - dt.timedelta(days=7 * WEEKS_BEFORE)
    daily: dict[tuple[int, dt.date], int] = {}
    for project_id, day, minutes in session.execute(
        select(TimeEntry.project_id, TimeEntry.work_date, func.sum(TimeEntry.minutes))
        .where(
            TimeEntry.project_id.in_(project_ids),
            TimeEntry.work_date >= earliest,
            TimeEntry.status != "rejected",
        )
        .group_by(TimeEntry.project_id, TimeEntry.work_date)
    ):
        daily[(project_id, day)] = int(minutes or 0)
    names = _names(session, {h.started_by_id for h, _ in rows})
    result = []
    for hold, project in rows:
        start = hold.started_at.date()
        weeks = [
            WeekHours(
                start=first,
                minutes=sum(
                    daily.get((project.id, first + dt.timedelta(days=d)), 0) for d in range(7)
                ),
                before=before,
            )
            for first, before in _windows(start, today)
        ]
        result.append(
            HoldImpact(
                hold=hold,
                project=project,
                affected=hold.affected_count,
                still_on=still_on.get(project.id, 0),
                reassigned=reassigned.get(hold.id, 0),
                started_by=_who(names, hold.started_by_id),
                weeks=weeks,
            )
        )
    return result
