"""Time entries: log, change, delete, approve, reject, list.

Every write follows the same order, which is what makes a freeze race-free (an entry racing it
commits before it or is refused): take the shared advisory lock of each project the write
touches (ascending ids), read the project fresh *after* the lock is granted, report a hold
first, then the other rules (``tracker.services.entry_rules``, the same checks the pages ask).

Rates: an entry keeps the rate and currency copied when it was created. Moving an entry to
another project is the one exception: the entry is re-priced from the target project's
assignment (else project rate), because the old project's rate never applied to that work;
the change is in the ``entry.update`` audit event's before/after values.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.clock import local_today
from tracker.errors import EntryLocked, Forbidden, Invalid, NotFound
from tracker.models import Notification, TimeEntry, User, utcnow
from tracker.services import audit, inputs, payroll_csv, users, validation
from tracker.services.entry_approvals import (
    Review,
    approve,
    reject,
    review_approve,
    review_reject,
    seen_at,
)
from tracker.services.entry_lists import editable, list_entries, loggable_projects
from tracker.services.entry_locks import (
    check_daily_limit,
    lock_entry_and_projects,
    lock_for_new_entry,
    read_standing,
    share_projects,
)
from tracker.services.entry_rules import (
    backdating_window,
    check_assigned,
    check_correction,
    check_locked,
    check_open,
    check_window,
    parse_day,
    parse_duration,
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
        raise Forbidden(_("You can only log your own time."))
    if corrects_entry_id is not None and not actor.is_admin:
        raise Forbidden(_("Only an admin can make a correction entry."))
    project_id = inputs.identifier(project_id, "project_id", _("Choose a project."))
    if corrects_entry_id is not None:
        corrects_entry_id = inputs.identifier(
            corrects_entry_id, "corrects_entry_id", _("Give the entry number, like 42.")
        )
    correcting = corrects_entry_id is not None
    read = lock_for_new_entry(
        session, project_id, owner, _day_adding_time(work_date, minutes, hours, correcting)
    )
    standing = read_standing(session, owner, read.project, read.assignments)
    backfill = not actor.is_admin and corrects_entry_id is None
    project = check_open(actor, owner, standing, work_date, creating=backfill, via=via)
    # What the person can fix as they type (the duration's format) comes before what they
    # cannot (the assignment's dates), so it is never hidden behind it.
    amount_minutes = parse_duration(minutes, hours, allow_negative=correcting)
    day = parse_day(work_date)
    today = today or local_today(owner, now)
    assignment = check_assigned(owner, project, day, standing.assignments, today, actor)
    check_window(actor, day, today, backdating_window(backdating_days))
    text = _description(description)
    corrected = None
    if correcting:
        corrected = session.get(TimeEntry, corrects_entry_id)
        if corrected is None or corrected.user_id != owner.id:
            raise NotFound(_("The entry to correct does not exist for this contractor."))
        if corrected.project_id != project.id:
            raise Invalid.field("project_id", _("A correction is on the project of the entry."))
    check_daily_limit(session, owner, day, amount_minutes, locked_total=read.day_total)
    if corrected is not None:
        rate, currency = corrected.hourly_rate, corrected.currency  # corrects at the paid rate
    else:
        rate, currency = assignment.rate_on(project), project.currency
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
        raise NotFound(_("No such entry."))
    return owner


def contractor_for(session: Session, user_id: Any) -> User:
    """The contractor an admin logs time for, by id. Raises Invalid naming ``user_id``."""
    owner = users.find_user(session, user_id)
    if owner is None or not owner.is_contractor:
        raise Invalid.field("user_id", _("Choose a contractor."))
    return owner


def get_entry(session: Session, viewer: User, entry_id: int) -> TimeEntry:
    """The entry; NotFound when it is someone else's (unless the viewer is an admin)."""
    entry = inputs.find(session, TimeEntry, entry_id)
    if entry is None or (not viewer.is_admin and entry.user_id != viewer.id):
        raise NotFound(_("No such entry."))
    return entry


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
    validation.refuse_unknown(changes, UPDATABLE)
    current = get_entry(session, actor, entry_id)
    target_id = inputs.identifier(
        changes.get("project_id", current.project_id), "project_id", _("Choose a project.")
    )
    entry, found = lock_entry_and_projects(session, entry_id, {current.project_id, target_id})
    if "project_id" not in changes:
        target_id = entry.project_id  # where it is now, not where the first read saw it
    owner = owner_of(session, entry)
    standings = {pid: read_standing(session, owner, found[pid]) for pid in found}
    work_date = changes.get("work_date", entry.work_date)
    checked = {
        pid: check_open(actor, owner, standings[pid], work_date, creating=False, via=via)
        for pid in sorted({entry.project_id, target_id})
    }
    check_correction(actor, entry)
    project = checked[target_id]
    if "minutes" in changes or "hours" in changes:  # the fixable mistake first, as in log_time
        new_minutes = parse_duration(
            changes.get("minutes"), changes.get("hours"), allow_negative=entry.is_correction
        )
    else:
        new_minutes = entry.minutes
    day = parse_day(work_date)
    today = today or local_today(owner, now)
    assignment = check_assigned(owner, project, day, standings[target_id].assignments, today, actor)
    window = backdating_window(backdating_days)
    check_window(actor, entry.work_date, today, window)
    check_window(actor, day, today, window)
    check_locked(actor, entry)
    text = _description(changes["description"]) if "description" in changes else entry.description
    check_daily_limit(session, owner, day, new_minutes, exclude=entry.id)
    before = audit.snapshot(entry, *ENTRY_FIELDS)
    if project.id != entry.project_id:
        entry.hourly_rate = assignment.rate_on(project)
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
    owner = owner_of(session, entry)
    standing = read_standing(session, owner, found[entry.project_id])
    check_open(actor, owner, standing, entry.work_date, creating=False, via=via)
    check_correction(actor, entry)
    today = today or local_today(owner, now)
    check_window(actor, entry.work_date, today, backdating_window(backdating_days))
    check_locked(actor, entry)
    corrected_by = session.scalar(
        select(TimeEntry.id).where(TimeEntry.corrects_entry_id == entry.id).limit(1)
    )
    if corrected_by is not None:
        raise EntryLocked(_("This entry has a correction entry and can no longer be deleted."))
    for note in session.scalars(select(Notification).where(Notification.entry_id == entry.id)):
        note.entry_id = None  # the message stays; the entry it named is gone
    before = audit.snapshot(entry, *ENTRY_FIELDS)
    audit.record(session, actor, "entry.delete", entry, before=before)
    session.delete(entry)
    session.flush()


__all__ = [
    "Review",
    "amount",
    "approve",
    "contractor_for",
    "delete_entry",
    "editable",
    "get_entry",
    "list_entries",
    "log_time",
    "loggable_projects",
    "reject",
    "review_approve",
    "review_reject",
    "seen_at",
    "share_projects",
    "update_entry",
]
