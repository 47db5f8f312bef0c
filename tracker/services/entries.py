"""Time entries: log, change, delete, approve, reject, list (design rules 1-6, with 7-9 and 12).

Every write follows the same order, which is what makes a freeze race-free (design rule 9):
take the shared advisory lock of each project the write touches (ascending ids), read the
project fresh *after* the lock is granted, report a hold first, then the other rules.

Rates: an entry keeps the rate and currency copied when it was created. Moving an entry to
another project is the one exception: the entry is re-priced from the target project's
assignment (else project rate), because the old project's rate never applied to that work;
the change is in the ``entry.update`` audit event's before/after values.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.errors import (
    EntryLocked,
    Forbidden,
    Invalid,
    NotFound,
    PeriodLocked,
)
from tracker.models import Notification, Project, TimeEntry, User, utcnow
from tracker.services import audit, inputs, payroll_csv, validation
from tracker.services.entry_approvals import approve, reject
from tracker.services.entry_lists import list_entries
from tracker.services.entry_locks import (
    check_daily_limit,
    lock_entry_and_projects,
    lock_for_new_entry,
    share_projects,
)
from tracker.services.entry_rules import (
    backdating_window,
    check_assigned,
    check_open,
    local_today,
    parse_day,
    parse_duration,
    zone,
)

ENTRY_FIELDS = (
    "user_id",
    "project_id",
    "work_date",
    "minutes",
    "description",
    "status",
    "hourly_rate",
    "currency",
    "is_correction",
    "corrects_entry_id",
    "approved_by_id",
    "rejection_reason",
)
UPDATABLE = frozenset({"work_date", "minutes", "hours", "description", "project_id"})


def amount(entry: TimeEntry) -> Decimal:
    """What the entry pays: minutes / 60 * rate, rounded half-up to cents, as payroll pays it."""
    return payroll_csv.amount(entry.minutes, entry.hourly_rate)


def _description(value: Any) -> str:
    return validation.plain_text(
        value if value is not None else "",
        "description",
        validation.DESCRIPTION_MAX,
        multiline=True,
    )


def _check_window(actor: User, day: dt.date, today: dt.date, days: int) -> None:
    """Contractors cannot touch work dates older than the backdating window. Raises PeriodLocked."""
    if actor.is_admin:
        return
    if day < today - dt.timedelta(days=days):
        raise PeriodLocked(
            f"{day.isoformat()} is more than {days} days ago; that period is closed for changes. "
            "Ask an admin if hours from then are missing.",
        )


def _rate(session: Session, project: Project, user: User, day: dt.date) -> Decimal:
    assignment = check_assigned(session, user, project, day)
    return assignment.hourly_rate if assignment.hourly_rate is not None else project.hourly_rate


def _day_adding_time(work_date: Any, minutes: Any, hours: Any, correcting: bool) -> dt.date | None:
    """The work date when the new entry adds time on a valid date, else None.

    Only then is the day locked together with the project; the rules still report a bad date
    or duration later, in their usual order.
    """
    try:
        day = parse_day(work_date)
        added = parse_duration(minutes, hours, allow_negative=correcting)
    except Invalid:
        return None
    return day if added > 0 else None


def log_time(
    session: Session,
    actor: User,
    *,
    project_id: int,
    work_date: dt.date | str,
    minutes: int | None = None,
    hours: str | float | None = None,
    description: str = "",
    user: User | None = None,
    today: dt.date | None = None,
    corrects_entry_id: int | None = None,
    backdating_days: int | None = None,
    now: dt.datetime | None = None,
    via: str | None = None,
) -> TimeEntry:
    """Log time for ``user`` (default: the actor; only an admin may name someone else).

    ``today`` (or the instant ``now``) overrides the contractor's local date, for tests.
    Raises Forbidden, Invalid, ProjectFrozen, ProjectClosed, NotAssigned, FutureDate,
    PeriodLocked, DailyLimit, NotFound (corrected entry).
    """
    owner = user or actor
    if owner.id != actor.id and not actor.is_admin:
        raise Forbidden("You can only log your own time.")
    if corrects_entry_id is not None and not actor.is_admin:
        raise Forbidden("Only an admin can make a correction entry.")
    project_id = inputs.identifier(project_id, "project_id", "Choose a project.")
    if corrects_entry_id is not None:
        corrects_entry_id = inputs.identifier(
            corrects_entry_id, "corrects_entry_id", "Give the entry number, like 42."
        )
    correcting = corrects_entry_id is not None
    read = lock_for_new_entry(
        session, project_id, owner, _day_adding_time(work_date, minutes, hours, correcting)
    )
    backfill = not actor.is_admin and corrects_entry_id is None
    project = check_open(
        session,
        actor,
        owner,
        read.project,
        work_date,
        creating=backfill,
        via=via,
        assignments=read.assignments,
    )
    day = parse_day(work_date)
    today = today or local_today(owner, now)
    assignment = check_assigned(
        session, owner, project, day, today=today, assignments=read.assignments
    )
    amount_minutes = parse_duration(minutes, hours, allow_negative=correcting)
    _check_window(actor, day, today, backdating_window(backdating_days))
    text = _description(description)
    corrected = None
    if correcting:
        corrected = session.get(TimeEntry, corrects_entry_id)
        if corrected is None or corrected.user_id != owner.id:
            raise NotFound("The entry to correct does not exist for this contractor.")
        if corrected.project_id != project.id:
            raise Invalid.field("project_id", "A correction is on the project of the entry.")
    check_daily_limit(session, owner, day, amount_minutes, locked_total=read.day_total)
    if corrected is not None:
        rate, currency = corrected.hourly_rate, corrected.currency  # corrects at the paid rate
    else:
        rate = assignment.hourly_rate if assignment.hourly_rate is not None else project.hourly_rate
        currency = project.currency
    values = {
        "user_id": owner.id,
        "project_id": project.id,
        "work_date": day,
        "minutes": amount_minutes,
        "description": text,
        "status": "submitted",
        "hourly_rate": rate,
        "currency": currency,
        "is_correction": correcting,
        "corrects_entry_id": corrects_entry_id,
        "approved_by_id": None,
        "rejection_reason": None,
        "created_by_id": actor.id,
        "created_at": utcnow(),
    }
    entry: TimeEntry = audit.insert_recorded(
        session, actor, "entry.create", TimeEntry, values, ENTRY_FIELDS
    )
    return entry


def owner_of(session: Session, entry: TimeEntry) -> User:
    """The contractor the entry belongs to. Raises NotFound."""
    owner = session.get(User, entry.user_id)
    if owner is None:  # the foreign key makes this impossible; fail closed all the same
        raise NotFound("No such entry.")
    return owner


def get_entry(session: Session, viewer: User, entry_id: int) -> TimeEntry:
    """The entry; NotFound when it is someone else's (unless the viewer is an admin)."""
    entry = inputs.find(session, TimeEntry, entry_id)
    if entry is None or (not viewer.is_admin and entry.user_id != viewer.id):
        raise NotFound("No such entry.")
    return entry


def _check_correction(actor: User, entry: TimeEntry) -> None:
    """A correction entry is the admin's: its contractor may not change it. Raises EntryLocked."""
    if entry.is_correction and not actor.is_admin:
        raise EntryLocked(
            "This is a correction an admin made to your hours; only an admin can change or "
            "remove it. Ask an admin if it looks wrong."
        )


def _check_locked(actor: User, entry: TimeEntry) -> None:
    if entry.exported:
        raise EntryLocked(
            "This entry has been exported to payroll and can no longer change; "
            "an admin can add a correction entry instead."
        )
    if entry.status == "approved" and not actor.is_admin:
        raise EntryLocked("This entry is approved and can no longer be changed; ask an admin.")


def update_entry(
    session: Session,
    actor: User,
    entry_id: int,
    *,
    today: dt.date | None = None,
    backdating_days: int | None = None,
    now: dt.datetime | None = None,
    via: str | None = None,
    **changes: Any,
) -> TimeEntry:
    """Change work_date, minutes/hours, description or project_id under the create rules.

    A move between projects checks both. Raises NotFound, Invalid, ProjectFrozen,
    ProjectClosed, NotAssigned, FutureDate, PeriodLocked, EntryLocked, DailyLimit.
    """
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise Invalid({k: ["This field cannot be changed here."] for k in sorted(unknown)})
    current = get_entry(session, actor, entry_id)
    target_id = inputs.identifier(
        changes.get("project_id", current.project_id), "project_id", "Choose a project."
    )
    entry, found = lock_entry_and_projects(session, entry_id, {current.project_id, target_id})
    if "project_id" not in changes:
        target_id = entry.project_id  # where it is now, not where the first read saw it
    owner = owner_of(session, entry)
    checked = {
        pid: check_open(
            session,
            actor,
            owner,
            found[pid],
            changes.get("work_date", entry.work_date),
            creating=False,
            via=via,
        )
        for pid in sorted({entry.project_id, target_id})
    }
    _check_correction(actor, entry)
    project = checked[target_id]
    day = parse_day(changes.get("work_date", entry.work_date))
    today = today or local_today(owner, now)
    check_assigned(session, owner, project, day, today=today)
    if "minutes" in changes or "hours" in changes:
        new_minutes = parse_duration(
            changes.get("minutes"), changes.get("hours"), allow_negative=entry.is_correction
        )
    else:
        new_minutes = entry.minutes
    window = backdating_window(backdating_days)
    _check_window(actor, entry.work_date, today, window)
    _check_window(actor, day, today, window)
    _check_locked(actor, entry)
    text = _description(changes["description"]) if "description" in changes else entry.description
    check_daily_limit(session, owner, day, new_minutes, exclude=entry.id)
    before = audit.snapshot(entry, *ENTRY_FIELDS)
    if project.id != entry.project_id:
        entry.hourly_rate = _rate(session, project, owner, day)
        entry.currency = project.currency
    entry.project_id, entry.work_date = project.id, day
    entry.minutes, entry.description = new_minutes, text
    if entry.status == "rejected" and not actor.is_admin:
        entry.status, entry.rejection_reason = "submitted", None  # fixed and resubmitted
    after = audit.snapshot(entry, *ENTRY_FIELDS)
    if before != after:
        entry.updated_at = utcnow()
        audit.record(session, actor, "entry.update", entry, **audit.changes(before, after))
    session.flush()
    return entry


def delete_entry(
    session: Session,
    actor: User,
    entry_id: int,
    *,
    today: dt.date | None = None,
    backdating_days: int | None = None,
    now: dt.datetime | None = None,
    via: str | None = None,
) -> None:
    """Delete an entry. Raises NotFound, ProjectFrozen, ProjectClosed, PeriodLocked, EntryLocked."""
    current = get_entry(session, actor, entry_id)
    entry, found = lock_entry_and_projects(session, entry_id, {current.project_id})
    project = found[entry.project_id]
    owner = owner_of(session, entry)
    check_open(session, actor, owner, project, entry.work_date, creating=False, via=via)
    _check_correction(actor, entry)
    today = today or local_today(owner, now)
    _check_window(actor, entry.work_date, today, backdating_window(backdating_days))
    _check_locked(actor, entry)
    corrected_by = session.scalar(
        select(TimeEntry.id).where(TimeEntry.corrects_entry_id == entry.id).limit(1)
    )
    if corrected_by is not None:
        raise EntryLocked("This entry has a correction entry and can no longer be deleted.")
    for note in session.scalars(select(Notification).where(Notification.entry_id == entry.id)):
        note.entry_id = None  # the message stays; the entry it named is gone
    before = audit.snapshot(entry, *ENTRY_FIELDS)
    audit.record(session, actor, "entry.delete", entry, before=before)
    session.delete(entry)
    session.flush()


__all__ = [
    "amount",
    "approve",
    "delete_entry",
    "get_entry",
    "list_entries",
    "log_time",
    "reject",
    "share_projects",
    "update_entry",
    "zone",
]
