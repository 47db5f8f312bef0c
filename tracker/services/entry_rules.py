"""The single checks behind the entry rules, shared by log, change and delete.

Each function raises the domain error of its rule; ``tracker.services.entries`` calls them in
the order that reports a hold first (design rule 9 and "a hold is reported first").
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.errors import FutureDate, Invalid, NotAssigned, ProjectClosed, ProjectFrozen
from tracker.models import Assignment, Hold, Project, User, utcnow
from tracker.services import durations, inputs

DEFAULT_BACKDATING_DAYS = 14


def zone(user: User) -> zoneinfo.ZoneInfo:
    """The user's timezone (UTC when the stored name is unknown: fail safe, not open)."""
    try:
        return zoneinfo.ZoneInfo(user.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_today(user: User, now: dt.datetime | None = None) -> dt.date:
    """Today's date where the user is, at the instant ``now`` (default: this instant)."""
    return (now or utcnow()).astimezone(zone(user)).date()


def backdating_window(days: int | None) -> int:
    """The window in days: the caller's value, else the app's BACKDATING_DAYS, else 14."""
    if days is not None:
        return days
    try:
        from flask import current_app, has_app_context

        if has_app_context():
            return int(current_app.config.get("BACKDATING_DAYS", DEFAULT_BACKDATING_DAYS))
    except ImportError:  # pragma: no cover - flask is always installed with the app
        pass
    return DEFAULT_BACKDATING_DAYS


def parse_day(value: Any, field: str = "work_date") -> dt.date:
    """A date, or an ISO ``YYYY-MM-DD`` string. Raises Invalid."""
    return inputs.date(value, field)


def parse_duration(minutes: Any, hours: Any, allow_negative: bool = False) -> int:
    """Minutes from either ``minutes`` or ``hours``, within the per-entry range. Raises Invalid."""
    if minutes is not None and hours not in (None, ""):
        raise Invalid.field("hours", "Give either hours or minutes, not both.")
    if minutes is not None:
        field, value = "minutes", durations.parse_minutes(minutes)
    elif hours is None or (isinstance(hours, str) and not hours.strip()):
        raise Invalid.field("hours", f"Enter the time worked. {durations.FORMS_MESSAGE}")
    else:
        field, value = "hours", durations.parse_hours(hours, allow_negative=allow_negative)
    if allow_negative:
        if value == 0 or abs(value) > 1440:
            raise Invalid.field(field, "A correction is between -24 and 24 hours, and not zero.")
    elif value <= 0:
        raise Invalid.field(field, "The time worked must be more than zero.")
    elif value > 1440:
        raise Invalid.field(field, "One entry can be at most 24 hours.")
    return value


def assignments_of(session: Session, user: User, project_id: int) -> list[Assignment]:
    """Every assignment (past and present) of the user on the project, active first."""
    return list(
        session.scalars(
            select(Assignment)
            .where(Assignment.user_id == user.id, Assignment.project_id == project_id)
            .order_by(Assignment.end_date.is_not(None), Assignment.id.desc())
        )
    )


def hold_message(project: Project, hold: Hold | None, user: User) -> str:
    """ "CODE is on hold since <local time>: <notice>"."""
    if hold is None:
        return f"{project.code} is on hold; time entry is paused."
    since = hold.started_at.astimezone(zone(user))
    return f"{project.code} is on hold since {since:%Y-%m-%d %H:%M} {since.tzname()}: {hold.notice}"


def check_open(
    session: Session,
    actor: User,
    owner: User,
    project: Project | None,
    work_date: Any,
    *,
    creating: bool,
    via: str | None,
    assignments: list[Assignment] | None = None,
) -> Project:
    """The project, refusing a missing, held or closed one, the hold first.

    With ``allow_backfill`` a contractor may still create entries dated before the hold's start
    (in their timezone). Raises Invalid, NotAssigned, ProjectFrozen, ProjectClosed.
    """
    if project is None:
        if actor.is_admin:
            raise Invalid.field("project_id", "No such project.")
        raise NotAssigned("You are not assigned to this project.")
    if assignments is None:
        assignments = assignments_of(session, owner, project.id)
    if not actor.is_admin and not assignments:
        # Someone never on the project learns nothing about it, not even its hold.
        raise NotAssigned("You are not assigned to this project.")
    if project.status == "frozen":
        hold = session.scalar(
            select(Hold).where(Hold.project_id == project.id, Hold.ended_at.is_(None))
        )
        if creating and hold is not None and hold.allow_backfill:
            try:
                day = parse_day(work_date)
            except Invalid:
                day = None
            if day is not None and day < hold.started_at.astimezone(zone(owner)).date():
                return project
        detail = None
        if hold is not None:
            detail = {"id": hold.id, "started_at": _iso(hold.started_at), "notice": hold.notice}
        raise ProjectFrozen(hold_message(project, hold, owner), hold=detail).logged(
            "entry.refused",
            actor.id,
            target_type="project",
            target_id=project.id,
            work_date=str(work_date),
            via=via,
            user_id=owner.id,
        )
    if project.status == "closed":
        raise ProjectClosed(
            f"{project.code} is closed; it no longer takes time.",
        )
    return project


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_assigned(
    session: Session,
    user: User,
    project: Project,
    day: dt.date,
    today: dt.date | None = None,
    assignments: list[Assignment] | None = None,
) -> Assignment:
    """The assignment covering ``day``; then, when ``today`` is given, refuse a future date.

    Raises NotAssigned, FutureDate.
    """
    rows = assignments if assignments is not None else assignments_of(session, user, project.id)
    covering = next((a for a in rows if a.covers(day)), None)
    if covering is None:
        raise NotAssigned(
            f"{user.name} is not assigned to {project.code} on {day.isoformat()}.",
        )
    if today is not None and day > today:
        raise FutureDate(
            f"{day.isoformat()} is in the future (today is {today.isoformat()} in "
            f"{user.timezone}); log time once the day has come.",
        )
    return covering
