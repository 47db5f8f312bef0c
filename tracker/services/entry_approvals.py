"""Approving and rejecting entries (admins only); a rejection notifies the entry's owner.

Approved entries become read-only for their contractors; exported ones cannot be reviewed
again. Entries logged before a hold stay approvable (and payable) while it lasts. A decision
lands on what the decider saw: given the ``updated_at`` each entry had on their screen, an entry
changed since is not decided (``EntryChanged``, or left out and named in ``Review.changed``).
``tracker.services.entries`` re-exports these functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.db import is_postgres
from tracker.errors import EntryChanged, EntryLocked, Forbidden, Invalid, NotFound
from tracker.models import Project, TimeEntry, User, utcnow
from tracker.services import audit, durations, inputs, notices, notifications, outbox, validation

# What the decider saw of an entry: its ``updated_at`` (None: never changed since it was logged).
Seen = Mapping[int, dt.datetime | None]
CHANGED = _l(
    "Nothing was decided: this entry changed after you loaded it. Load it again and check."
)


@dataclass
class Review:
    """The entries decided, and those left alone because they changed (id → why)."""

    decided: list[TimeEntry] = field(default_factory=list)
    changed: dict[int, str] = field(default_factory=dict)


def seen_at(value: object, field_name: str = "updated_at") -> dt.datetime | None:
    """Parse the ``updated_at`` a caller saw (ISO 8601; empty or None: never changed).

    Raises Invalid."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise Invalid.field(
            field_name, _("Give the updated_at you were shown, like 2026-12-07T09:30:00Z.")
        )
    try:
        when = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise Invalid.field(
            field_name, _("Give the updated_at you were shown, like 2026-12-07T09:30:00Z.")
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC)


def _same(current: dt.datetime | None, seen: dt.datetime | None) -> bool:
    """Whether the entry is as seen; a value shown to the second matches within that second."""
    if current is None or seen is None:
        return current is None and seen is None
    current = current.astimezone(dt.UTC)
    if seen.microsecond == 0:
        current = current.replace(microsecond=0)
    return current == seen


def _why(entry: TimeEntry) -> str:
    statuses = {"submitted": _("submitted"), "approved": _("approved"), "rejected": _("rejected")}
    return _(
        "changed since it was shown (now %(hours)s h on %(day)s, %(status)s)",
        hours=durations.hours_text(entry.minutes),
        day=entry.work_date.isoformat(),
        status=statuses.get(entry.status, entry.status),
    )


def _for_review(session: Session, actor: User, entry_ids: list[int], seen: Seen | None) -> Review:
    """Lock the entries and sort them into those to decide and those changed since seen."""
    if not actor.is_admin:
        raise Forbidden(_("Only admins approve or reject time."))
    ids = sorted({inputs.identifier(i, "entry_ids") for i in entry_ids})
    if not ids:
        raise Invalid.field("entry_ids", _("Choose at least one entry."))
    query = select(TimeEntry).where(TimeEntry.id.in_(ids)).order_by(TimeEntry.id)
    if is_postgres(session):
        query = query.with_for_update()
    found = list(session.scalars(query.execution_options(populate_existing=True)))
    review = Review()
    present = {e.id for e in found}
    for missing in (i for i in ids if i not in present):
        if seen is None or missing not in seen:
            raise NotFound(_("Some of these entries no longer exist."))
        review.changed[missing] = _("deleted since it was shown")
    for entry in found:
        if entry.exported:
            raise EntryLocked(
                _(
                    "Entry %(id)s has been exported to payroll and cannot change.",
                    id=entry.id,
                )
            )
        if seen is not None and entry.id in seen and not _same(entry.updated_at, seen[entry.id]):
            review.changed[entry.id] = _why(entry)
        else:
            review.decided.append(entry)
    return review


def _refuse_changed(review: Review, skip_changed: bool) -> None:
    if review.changed and not skip_changed:
        raise EntryChanged(str(CHANGED), review.changed)


def review_approve(
    session: Session,
    actor: User,
    entry_ids: list[int],
    *,
    seen: Seen | None = None,
    skip_changed: bool = False,
) -> Review:
    """Approve entries as seen (read-only for their contractors from now).

    An entry whose ``updated_at`` differs from ``seen`` is not approved: with ``skip_changed``
    it is named in the result, else nothing is approved and EntryChanged is raised.
    Raises Forbidden, NotFound, Invalid, EntryLocked (exported), EntryChanged.
    """
    review = _for_review(session, actor, entry_ids, seen)
    _refuse_changed(review, skip_changed)
    now = utcnow()
    for entry in review.decided:
        if entry.status != "approved":
            _decide(session, actor, entry, "approved", now, approved_by=actor)
    session.flush()
    return review


def review_reject(
    session: Session,
    actor: User,
    entry_ids: list[int],
    reason: str,
    *,
    seen: Seen | None = None,
    skip_changed: bool = False,
) -> Review:
    """Reject entries as seen, with a reason, and notify each owner (changed ones as in
    ``review_approve``). Raises Forbidden, NotFound, Invalid, EntryLocked, EntryChanged."""
    text = validation.plain_text(reason, "reason", validation.DESCRIPTION_MAX, multiline=True)
    if not text:
        raise Invalid.field("reason", _("Say why the time is rejected; the contractor sees it."))
    review = _for_review(session, actor, entry_ids, seen)
    _refuse_changed(review, skip_changed)
    found = review.decided
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
            params={  # each reads it in their language (notifications.describe)
                "hours": durations.hours_text(entry.minutes),
                "code": codes[entry.project_id],
                "day": entry.work_date.isoformat(),
                "reason": text,
            },
        )
    outbox.email_each(session, notices.rejected_emails(found, codes, text))
    session.flush()
    return review


def approve(
    session: Session, actor: User, entry_ids: list[int], *, seen: Seen | None = None
) -> list[TimeEntry]:
    """Approve entries (read-only for their contractors from now). Raises Forbidden, NotFound,
    Invalid, EntryLocked (exported), EntryChanged (one differs from ``seen``)."""
    return review_approve(session, actor, entry_ids, seen=seen).decided


def reject(
    session: Session, actor: User, entry_ids: list[int], reason: str, *, seen: Seen | None = None
) -> list[TimeEntry]:
    """Reject entries with a reason and notify each owner. Raises Forbidden, NotFound, Invalid,
    EntryLocked (exported), EntryChanged (one differs from ``seen``)."""
    return review_reject(session, actor, entry_ids, reason, seen=seen).decided


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
