"""Notifications: messages to users, written set-based for everyone on a project at once.

A hold on a project with 10,000 contractors notifies them all with one ``INSERT … SELECT``
statement, never one round trip per person, and writes their emails to the outbox with one more.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Integer, String, Text, func, insert, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from tracker.errors import NotFound
from tracker.models import Assignment, Notification, User, UTCDateTime, utcnow
from tracker.services import inputs, outbox

KINDS = (
    "hold_started",
    "hold_lifted",
    "incident_started",
    "incident_updated",
    "incident_lifted",
    "incident_reminder",
    "reassignment_confirmed",
    "entry_rejected",
    "reminder",
)


def on_project(project_id: int) -> Select[Any]:
    """The ids of the contractors with an active assignment on the project."""
    return select(Assignment.user_id).where(
        Assignment.project_id == project_id, Assignment.end_date.is_(None)
    )


def notify_people(
    session: Session,
    people: Select[Any],
    *,
    kind: str,
    message: str,
    email: outbox.Email | None = None,
    project_id: int | None = None,
    hold_id: int | None = None,
    entry_id: int | None = None,
    incident_id: int | None = None,
    optional: bool = False,
    dedupe_prefix: str | None = None,
) -> int:
    """Notify everyone whose user id ``people`` selects and, with ``email``, write their emails
    to the outbox in the same transaction; returns how many were notified.

    Two ``INSERT … SELECT`` statements whatever the number of people: this is the one place a
    notice to a set of people is written (holds, reminders, and incidents build on it).
    ``optional`` and ``dedupe_prefix`` are passed to ``outbox.email_people``.
    """
    now = utcnow()
    rows = select(
        people.subquery().c[0],
        literal(kind, String()),
        literal(message, Text()),
        literal(project_id, Integer()),
        literal(hold_id, Integer()),
        literal(entry_id, Integer()),
        literal(incident_id, Integer()),
        literal(now, UTCDateTime()),
    )
    columns = ["user_id", "kind", "message", "project_id", "hold_id", "entry_id", "incident_id"]
    statement = insert(Notification).from_select([*columns, "created_at"], rows)
    # preserve_rowcount: SQLAlchemy keeps the count of an INSERT … SELECT only when asked.
    result = session.execute(statement.execution_options(preserve_rowcount=True))
    if email is not None:
        outbox.email_people(session, people, email, optional=optional, dedupe_prefix=dedupe_prefix)
    return int(result.rowcount)  # type: ignore[attr-defined]


def notify_project(
    session: Session,
    project_id: int,
    *,
    kind: str,
    message: str,
    hold_id: int | None = None,
    incident_id: int | None = None,
    email: outbox.Email | None = None,
) -> int:
    """Notify every contractor with an active assignment on the project; returns how many.

    With ``email``, each of them gets it too (``notify_people``).
    """
    return notify_people(
        session,
        on_project(project_id),
        kind=kind,
        message=message,
        email=email,
        project_id=project_id,
        hold_id=hold_id,
        incident_id=incident_id,
    )


def notify(
    session: Session,
    user_id: int,
    *,
    kind: str,
    message: str,
    project_id: int | None = None,
    hold_id: int | None = None,
    entry_id: int | None = None,
    email: outbox.Email | None = None,
) -> Notification:
    """Add one notification for one user (reassignment confirmed, entry rejected, …).

    With ``email``, the user gets it by email too.
    """
    note = Notification(
        user_id=user_id,
        kind=kind,
        message=message,
        project_id=project_id,
        hold_id=hold_id,
        entry_id=entry_id,
    )
    session.add(note)
    session.flush()  # callers link to the new notification by id
    if email is not None:
        outbox.email_user(session, user_id, email)
    return note


def notify_each(
    session: Session,
    messages: list[tuple[int, str]],
    *,
    kind: str,
    project_id: int | None = None,
    hold_id: int | None = None,
) -> None:
    """One message to each of several users, as (user id, message), in one insert."""
    if not messages:
        return
    now = utcnow()
    session.execute(
        insert(Notification),
        [
            {
                "user_id": user_id,
                "kind": kind,
                "message": message,
                "project_id": project_id,
                "hold_id": hold_id,
                "created_at": now,
            }
            for user_id, message in messages
        ],
    )


def list_for(
    session: Session, user: User, *, unread_only: bool = False, limit: int = 200
) -> list[Notification]:
    """The user's own notifications, newest first."""
    query = (
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(session.scalars(query))


def get_for(session: Session, user: User, notification_id: int) -> Notification:
    """One of the user's own notifications. Raises NotFound (also for someone else's)."""
    note = inputs.find(session, Notification, notification_id)
    if note is None or note.user_id != user.id:
        raise NotFound("No such notification.")
    return note


def mark_read(session: Session, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's own notifications read (all unread ones when ids is None).

    Ids of other people's notifications are ignored, never touched. Returns how many changed.
    """
    statement = (
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    if ids is not None:
        wanted = [int(i) for i in ids]
        if not wanted:
            return 0
        statement = statement.where(Notification.id.in_(wanted))
    result = session.execute(statement.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def unread_count(session: Session, user: User) -> int:
    """How many of the user's notifications are unread."""
    return (
        session.scalar(
            select(func.count()).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )
