"""Approving and rejecting entries (admins only); a rejection notifies the entry's owner.

Approved entries become read-only for their contractors; exported ones cannot be reviewed
again. Entries logged before a hold stay approvable (and payable) while it lasts.
``tracker.services.entries`` re-exports these functions.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.db import is_postgres
from tracker.errors import EntryLocked, Forbidden, Invalid, NotFound
from tracker.models import Project, TimeEntry, User, utcnow
from tracker.services import audit, durations, inputs, notices, notifications, outbox, validation


def _for_review(session: Session, actor: User, entry_ids: list[int]) -> list[TimeEntry]:
    if not actor.is_admin:
        raise Forbidden("Only admins approve or reject time.")
    ids = sorted({inputs.identifier(i, "entry_ids") for i in entry_ids})
    if not ids:
        raise Invalid.field("entry_ids", "Choose at least one entry.")
    query = select(TimeEntry).where(TimeEntry.id.in_(ids)).order_by(TimeEntry.id)
    if is_postgres(session):
        query = query.with_for_update()
    found = list(session.scalars(query.execution_options(populate_existing=True)))
    if len(found) != len(ids):
        raise NotFound("Some of these entries no longer exist.")
    for entry in found:
        if entry.exported:
            raise EntryLocked(f"Entry {entry.id} has been exported to payroll and cannot change.")
    return found


def approve(session: Session, actor: User, entry_ids: list[int]) -> list[TimeEntry]:
    """Approve entries (read-only for their contractors from now). Raises Forbidden, NotFound,
    Invalid, EntryLocked (exported)."""
    found = _for_review(session, actor, entry_ids)
    now = utcnow()
    for entry in found:
        if entry.status != "approved":
            _decide(session, actor, entry, "approved", now, approved_by=actor)
    session.flush()
    return found


def reject(session: Session, actor: User, entry_ids: list[int], reason: str) -> list[TimeEntry]:
    """Reject entries with a reason and notify each owner. Raises Forbidden, NotFound, Invalid,
    EntryLocked (exported)."""
    text = validation.plain_text(reason, "reason", validation.DESCRIPTION_MAX, multiline=True)
    if not text:
        raise Invalid.field("reason", "Say why the time is rejected; the contractor sees it.")
    found = _for_review(session, actor, entry_ids)
    codes = {
        p.id: p.code
        for p in session.scalars(
            select(Project).where(Project.id.in_({e.project_id for e in found}))
        )
    }
    now = utcnow()
    for entry in found:
        _decide(session, actor, entry, "rejected", now, reason=text)
        notifications.notify(
            session,
            entry.user_id,
            kind="entry_rejected",
            entry_id=entry.id,
            project_id=entry.project_id,
            message=(
                f"Your {durations.hours_text(entry.minutes)} h on {codes[entry.project_id]} "
                f"for {entry.work_date.isoformat()} were rejected: {text}"
            ),
        )
    outbox.email_each(session, notices.rejected_emails(found, codes, text))
    session.flush()
    return found


REVIEW_FIELDS = ("status", "approved_by_id", "rejection_reason")


def _decide(
    session: Session,
    actor: User,
    entry: TimeEntry,
    status: str,
    now: dt.datetime,
    *,
    approved_by: User | None = None,
    reason: str | None = None,
) -> None:
    """Record one review decision on the entry and audit it (``entry.approve``/``reject``)."""
    before = audit.snapshot(entry, *REVIEW_FIELDS)
    entry.status, entry.rejection_reason, entry.updated_at = status, reason, now
    entry.approved_by_id = approved_by.id if approved_by else None
    entry.approved_at = now if approved_by else None
    action = "entry.approve" if status == "approved" else "entry.reject"
    after = audit.snapshot(entry, *REVIEW_FIELDS)
    audit.record(session, actor, action, entry, before=before, after=after)
