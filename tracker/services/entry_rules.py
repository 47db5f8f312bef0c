"""The single checks behind the entry rules, shared by log, change and delete, and by the pages.

Each check raises the domain error of its rule and reads nothing itself: the writes in
``tracker.services.entries`` read what a check needs after taking their locks, the pages read it
in a few queries, and both call the same checks in the same order (a hold is reported first).
``create_refusal`` and ``change_refusal`` answer a page's question — may this person log time
here, may they change this entry — with exactly the checks the write would make.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.clock import day_text, local_today, zone
from tracker.errors import (
    DomainError,
    EntryLocked,
    FutureDate,
    Invalid,
    NotAssigned,
    NotAssignedOnDay,
    PeriodLocked,
    ProjectClosed,
    ProjectFrozen,
)
from tracker.models import Assignment, Hold, Project, TimeEntry, User
from tracker.services import durations, inputs
from tracker.services.holds import hold_detail

DEFAULT_BACKDATING_DAYS = 14


def not_assigned_message() -> str:
    """The refusal of someone who is not on the project, in the reader's language."""
    return _("You are not assigned to this project.")


@dataclass
class Standing:
    """What the rules know of one contractor on one project: it, its hold, their assignments.

    ``assignments`` holds every assignment of the owner on the project (past ones too), active
    first; ``hold`` is the hold in force (read only when the project is frozen).
    """

    project: Project | None
    hold: Hold | None = None
    assignments: list[Assignment] = field(default_factory=list)


def backdating_window(days: int | None) -> int:
    """The window in days: the caller's value, else the app's BACKDATING_DAYS, else 14."""
    if days is not None:
        return days
    from flask import current_app, has_app_context  # the app's setting, when there is an app

    if has_app_context():
        return int(current_app.config.get("BACKDATING_DAYS", DEFAULT_BACKDATING_DAYS))
    return DEFAULT_BACKDATING_DAYS


def parse_day(value: Any, field: str = "work_date") -> dt.date:
    """A date, or an ISO ``YYYY-MM-DD`` string. Raises Invalid."""
    return inputs.date(value, field)


def parse_duration(minutes: Any, hours: Any, allow_negative: bool = False) -> int:
    """Minutes from either ``minutes`` or ``hours``, within the per-entry range. Raises Invalid."""
    if minutes is not None and hours not in (None, ""):
        raise Invalid.field("hours", _("Give either hours or minutes, not both."))
    if minutes is not None:
        name, value = "minutes", durations.parse_minutes(minutes)
    elif hours is None or (isinstance(hours, str) and not hours.strip()):
        raise Invalid.field(
            "hours", _("Enter the time worked. %(forms)s", forms=durations.forms_message())
        )
    else:
        name, value = "hours", durations.parse_hours(hours, allow_negative=allow_negative)
    if allow_negative:
        if value == 0 or abs(value) > 1440:
            raise Invalid.field(name, _("A correction is between -24 and 24 hours, and not zero."))
    elif value <= 0:
        raise Invalid.field(name, _("The time worked must be more than zero."))
    elif value > 1440:
        raise Invalid.field(name, _("One entry can be at most 24 hours."))
    return value


def hold_message(
    project: Project, hold: Hold | None, owner: User, reader: User | None = None
) -> str:
    """The hold's rule in one line, for the reader (default: the owner of the time).

    "CODE is on hold since <when, in the reader's timezone>: <which dates still take hours>.
    Notice, updates and offers: <link>." The notice itself is left to the banner and the
    incident page, which show it already.
    """
    if hold is None:
        return _(
            "%(code)s is on hold; no hours can be logged until it is lifted.", code=project.code
        )
    reader = reader or owner
    rule = hold_rule(hold, owner, reader)
    if reader.is_admin:
        return _(
            "%(code)s is %(rule)s. The incident: %(link)s",
            code=project.code,
            rule=rule,
            link=incident_link(hold),
        )
    return _(
        "%(code)s is %(rule)s. Notice, updates and offers: %(link)s",
        code=project.code,
        rule=rule,
        link=incident_link(hold),
    )


def hold_rule(hold: Hold, owner: User, reader: User | None = None) -> str:
    """ "on hold since <when>: <which dates still take hours>", in the reader's timezone.

    Backfill is the contractor's own: an admin, or a contractor changing an existing entry,
    logs nothing while the hold lasts; the last day that takes hours is the owner's.
    """
    reader = reader or owner
    since = hold.started_at.astimezone(zone(reader))
    today = local_today(reader)
    day = day_text(since.date(), today)
    time = f"{since:%H:%M} {since.tzname()}"
    if hold.allow_backfill and not reader.is_admin:
        start = hold.started_at.astimezone(zone(owner)).date()
        return _(
            "on hold since %(day)s %(time)s: only days before %(start)s can still take new hours",
            day=day,
            time=time,
            start=day_text(start, today),
        )
    return _(
        "on hold since %(day)s %(time)s: no hours can be logged or changed until it is lifted",
        day=day,
        time=time,
    )


def incident_link(hold: Hold) -> str:
    """The incident page of the hold: a full link at BASE_URL in the app, else its path."""
    from flask import has_app_context  # the app's address, when there is an app

    if has_app_context():
        from tracker.services.mail import absolute_url

        return absolute_url("incidents.show", incident_id=hold.incident_id)
    return f"/incidents/{hold.incident_id}"


def backfill_allowed(hold: Hold, owner: User, day: dt.date | None) -> bool:
    """With ``allow_backfill``, a day before the hold began (in the owner's timezone) takes time."""
    return (
        hold.allow_backfill
        and day is not None
        and day < hold.started_at.astimezone(zone(owner)).date()
    )


def takes_new_time(project: Project, hold: Hold | None) -> bool:
    """Whether ``check_open`` lets a contractor create entries there on some day.

    Open projects do; a held one only with ``allow_backfill`` (days before the hold); a closed
    one never.
    """
    if project.status == "frozen":
        return hold is not None and hold.allow_backfill
    return project.status == "open"


def check_open(
    actor: User,
    owner: User,
    standing: Standing,
    work_date: Any,
    *,
    creating: bool,
    via: str | None = None,
) -> Project:
    """The project, refusing a missing, held or closed one, the hold first.

    With ``allow_backfill`` a contractor may still create entries dated before the hold's start
    (in their timezone). Raises Invalid, NotAssigned, ProjectFrozen, ProjectClosed.
    """
    project = standing.project
    if project is None:
        if actor.is_admin:
            raise Invalid.field("project_id", _("No such project."))
        raise NotAssigned(not_assigned_message())
    if not actor.is_admin and not standing.assignments:
        # Someone never on the project learns nothing about it, not even its hold.
        raise NotAssigned(not_assigned_message())
    if project.status == "frozen":
        hold = standing.hold
        if creating and hold is not None:
            try:
                day: dt.date | None = parse_day(work_date)
            except Invalid:
                day = None
            if backfill_allowed(hold, owner, day):
                return project
        raise ProjectFrozen(
            hold_message(project, hold, owner, actor), hold=hold_detail(hold)
        ).logged(
            "entry.refused",
            actor.id,
            target_type="project",
            target_id=project.id,
            work_date=str(work_date),
            via=via,
            user_id=owner.id,
        )
    if project.status == "closed":
        raise ProjectClosed(_("%(code)s is closed; it no longer takes time.", code=project.code))
    return project


def check_assigned(
    user: User,
    project: Project,
    day: dt.date,
    assignments: list[Assignment],
    today: dt.date | None = None,
    viewer: User | None = None,
) -> Assignment:
    """The assignment covering ``day``; then, when ``today`` is given, refuse a future date.

    The refusal speaks to ``viewer`` (default: the contractor themselves). Raises NotAssigned,
    FutureDate.
    """
    yours = viewer is None or viewer.id == user.id
    covering = next((a for a in assignments if a.covers(day)), None)
    if covering is None:
        refusal = NotAssignedOnDay if assignments else NotAssigned
        raise refusal(_not_on_day(user, project, day, assignments, today, yours))
    if today is not None and day > today:
        said, now = day_text(day, today), day_text(today, today)
        if yours:
            text = _(
                "%(day)s is in the future (today is %(today)s, in %(zone)s); log time once the "
                "day has come.",
                day=said,
                today=now,
                zone=user.timezone,
            )
        else:
            text = _(
                "%(day)s is in the future (today is %(today)s for %(name)s, in %(zone)s); log "
                "time once the day has come.",
                day=said,
                today=now,
                name=user.name,
                zone=user.timezone,
            )
        raise FutureDate(text)
    return covering


def _not_on_day(
    user: User,
    project: Project,
    day: dt.date,
    assignments: list[Assignment],
    today: dt.date | None,
    yours: bool,
) -> str:
    """Not on the project that day; and when the nearest assignment starts or ended, and who
    fixes it."""
    later = [a.start_date for a in assignments if a.start_date > day]
    earlier = [a.end_date for a in assignments if a.end_date is not None and a.end_date < day]
    names = {"code": project.code, "day": day_text(day, today or day), "name": user.name}
    if later:
        start = day_text(min(later), today or day)
        if yours:
            return _(
                "You are not on %(code)s on %(day)s: your assignment starts on %(start)s. An "
                "admin can correct the dates if that is wrong.",
                start=start,
                **names,
            )
        return _(
            "%(name)s is not on %(code)s on %(day)s: their assignment starts on %(start)s. An "
            "admin can correct the dates if that is wrong.",
            start=start,
            **names,
        )
    if earlier:
        end = day_text(max(earlier), today or day)
        if yours:
            return _(
                "You are not on %(code)s on %(day)s: your assignment ended on %(end)s. An admin "
                "can correct the dates if that is wrong.",
                end=end,
                **names,
            )
        return _(
            "%(name)s is not on %(code)s on %(day)s: their assignment ended on %(end)s. An "
            "admin can correct the dates if that is wrong.",
            end=end,
            **names,
        )
    if yours:
        return _("You are not on %(code)s on %(day)s.", **names)
    return _("%(name)s is not on %(code)s on %(day)s.", **names)


def check_window(actor: User, day: dt.date, today: dt.date, days: int) -> None:
    """Contractors cannot touch work dates older than the backdating window. Raises PeriodLocked."""
    if actor.is_admin:
        return
    if day < today - dt.timedelta(days=days):
        raise PeriodLocked(
            ngettext(
                "%(day)s is more than %(num)d day ago; that period is closed for changes. Ask "
                "an admin if hours from then are missing.",
                "%(day)s is more than %(num)d days ago; that period is closed for changes. Ask "
                "an admin if hours from then are missing.",
                days,
                day=day_text(day, today),
            )
        )


def check_correction(actor: User, entry: TimeEntry) -> None:
    """A correction entry is the admin's: its contractor may not change it. Raises EntryLocked."""
    if entry.is_correction and not actor.is_admin:
        raise EntryLocked(
            _(
                "This is a correction an admin made to your hours; only an admin can change or "
                "remove it. Ask an admin if it looks wrong."
            )
        )


def check_locked(actor: User, entry: TimeEntry) -> None:
    """Exported entries are read-only for everyone, approved ones for contractors."""
    if entry.exported:
        raise EntryLocked(
            _(
                "This entry has been exported to payroll and can no longer change; an admin can "
                "add a correction entry instead."
            )
        )
    if entry.status == "approved" and not actor.is_admin:
        raise EntryLocked(_("This entry is approved and can no longer be changed; ask an admin."))


def create_refusal(
    actor: User,
    owner: User,
    standing: Standing,
    day: dt.date,
    *,
    today: dt.date | None = None,
    backdating_days: int | None = None,
) -> DomainError | None:
    """Why ``log_time`` would refuse a new entry of the owner on that day (None: it would not).

    The same checks, in the same order, as ``entries.log_time`` makes before the duration and
    the day's total (which depend on what is typed).
    """
    today = today or local_today(owner)
    try:
        project = check_open(actor, owner, standing, day, creating=not actor.is_admin)
        check_assigned(owner, project, day, standing.assignments, today, actor)
        check_window(actor, day, today, backdating_window(backdating_days))
    except DomainError as refusal:
        return refusal
    return None


def change_refusal(
    actor: User,
    owner: User,
    entry: TimeEntry,
    standing: Standing,
    *,
    today: dt.date | None = None,
    backdating_days: int | None = None,
) -> DomainError | None:
    """Why ``update_entry`` would refuse to change the entry (None: it would not).

    The same checks, in the same order, as ``entries.update_entry`` makes for a change that
    keeps the entry's project and date; the new duration and the day's total depend on what is
    typed.
    """
    today = today or local_today(owner)
    window = backdating_window(backdating_days)
    try:
        project = check_open(actor, owner, standing, entry.work_date, creating=False)
        check_correction(actor, entry)
        check_assigned(owner, project, entry.work_date, standing.assignments, today, actor)
        check_window(actor, entry.work_date, today, window)
        check_locked(actor, entry)
    except DomainError as refusal:
        return refusal
    return None
