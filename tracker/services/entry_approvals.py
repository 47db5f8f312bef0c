"""Approving and rejecting entries (admins only); a rejection notifies the entry's owner.

Approved entries become read-only for their contractors; exported ones cannot be reviewed
again. Entries on a held project stay approvable (design rule 8). ``tracker.services.entries``
re-exports these functions.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.db import is_postgres
from tracker.errors import EntryLocked, Forbidden, Invalid, NotFound
from tracker.models import Notification, Project, TimeEntry, User, utcnow
from tracker.services import audit, notices, outbox, validation


def _for_review(session: Session, actor: User, entry_ids: list[int]) -> list[TimeEntry]:
    if not actor.is_admin:
        raise Forbidden("Only admins approve or reject time.")
    ids = sorted({int(i) for i in entry_ids})
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
        if entry.status == "approved":
            continue
        before = audit.snapshot(entry, "status", "approved_by_id", "rejection_reason")
        entry.status, entry.approved_by_id, entry.approved_at = "approved", actor.id, now
        entry.rejection_reason = None
        entry.updated_at = now
        audit.record(
            session,
            actor,
            "entry.approve",
            entry,
            before=before,
            after=audit.snapshot(entry, "status", "approved_by_id", "rejection_reason"),
        )
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
        before = audit.snapshot(entry, "status", "approved_by_id", "rejection_reason")
        entry.status, entry.rejection_reason = "rejected", text
        entry.approved_by_id, entry.approved_at, entry.updated_at = None, None, now
        session.add(
            Notification(
                user_id=entry.user_id,
                kind="entry_rejected",
                entry_id=entry.id,
                project_id=entry.project_id,
                message=(
                    f"Your {entry.minutes / 60:.2f} h on {codes[entry.project_id]} for "
                    f"{entry.work_date.isoformat()} were rejected: {text}"
                ),
            )
        )
        audit.record(
            session,
            actor,
            "entry.reject",
            entry,
            before=before,
            after=audit.snapshot(entry, "status", "approved_by_id", "rejection_reason"),
        )
    outbox.email_each(session, notices.rejected_emails(found, codes, text))
    session.flush()
    return found
