"""Notifications: messages to users, written set-based for everyone on a project at once.

A hold on a project with 10,000 contractors notifies them all with one ``INSERT … SELECT``
statement, never one round trip per person, and writes their emails to the outbox with one more.

A notification keeps its kind and ``params`` (codes, the admin's notice, …) besides its English
``message``: the same row reads in each reader's language, rendered when it is shown
(``describe``), so one statement serves every language and a reader who switches language sees
the new one. What an admin typed (a notice, a note, an update) is never translated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from babel.dates import format_date
from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import JSON, Integer, String, Text, func, insert, literal, null, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from tracker.errors import NotFound
from tracker.models import (
    DEFAULT_LANGUAGE,
    Assignment,
    Notification,
    User,
    UTCDateTime,
    utcnow,
)
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


@dataclass(frozen=True)
class Shown:
    """A notification as a reader sees it: the text in their language, and what an admin typed
    (shown as is, beside it), if anything."""

    text: str
    said: str | None = None


def _day(value: str) -> str:
    """An ISO date as the reader's language writes it (English keeps ISO, as its pages do)."""
    locale = get_locale()
    if locale is None or locale.language == DEFAULT_LANGUAGE:
        return value
    return format_date(dt.date.fromisoformat(value), "medium", locale=locale)


def _hold_started(p: dict[str, Any]) -> Shown:
    text = _(
        "%(code)s — %(name)s is on hold: time entry is paused.", code=p["code"], name=p["name"]
    )
    if p.get("backfill"):
        text += " " + _("You can still log hours for days before the hold started.")
    return Shown(text, p.get("notice"))


def _hold_lifted(p: dict[str, Any]) -> Shown:
    if p.get("closed"):
        text = _(
            "The hold on %(code)s — %(name)s ended because the project was closed. "
            "No more time can be logged there.",
            code=p["code"],
            name=p["name"],
        )
    else:
        text = _(
            "The hold on %(code)s — %(name)s has been lifted. You can log time there again.",
            code=p["code"],
            name=p["name"],
        )
    return Shown(text, p.get("note"))


def _incident_started(p: dict[str, Any]) -> Shown:
    text = _("Work on your projects is paused: time entry is stopped.")
    if p.get("backfill"):
        text += " " + _("You can still log hours for days before the stop.")
    return Shown(text, p.get("notice"))


def _incident_updated(p: dict[str, Any]) -> Shown:
    return Shown(_("Update on the stop of work on your projects:"), p.get("message"))


def _incident_lifted(p: dict[str, Any]) -> Shown:
    if p.get("whole"):
        text = _("The stop of work is over: you can log time on your projects again.")
    else:
        text = _("Time entry is open again on one or more of your held projects.")
    return Shown(text, p.get("note"))


def _incident_reminder(_p: dict[str, Any]) -> Shown:
    return Shown(
        _(
            "Reminder: please read the notice about the stop of work on your projects and "
            "confirm you have read it."
        )
    )


def _reminder(p: dict[str, Any]) -> Shown:
    return Shown(
        ngettext(
            "Reminder: in week %(week)s (%(start)s to %(end)s) you logged fewer than %(num)d "
            "hour. Log any missing hours on your timesheet.",
            "Reminder: in week %(week)s (%(start)s to %(end)s) you logged fewer than %(num)d "
            "hours. Log any missing hours on your timesheet.",
            int(p["min_hours"]),
            week=p["week"],
            start=_day(p["week_start"]),
            end=_day(p["week_end"]),
        )
    )


def _entry_rejected(p: dict[str, Any]) -> Shown:
    text = _(
        "Your %(hours)s h on %(code)s for %(day)s were rejected:",
        hours=p["hours"],
        code=p["code"],
        day=_day(p["day"]),
    )
    return Shown(text, p.get("reason"))


def _reassignment_confirmed(p: dict[str, Any]) -> Shown:
    names = {"code": p["code"], "name": p["name"], "held": p["held"]}
    if p.get("by_admin"):
        text = _("An admin moved you to %(code)s — %(name)s while %(held)s is on hold.", **names)
    else:
        text = _("You joined %(code)s — %(name)s while %(held)s is on hold.", **names)
    text += " " + _(
        "You can log hours there from %(day)s at %(rate)s/h. You stay on %(held)s too.",
        day=_day(p["day"]),
        rate=p["rate"],
        held=p["held"],
    )
    return Shown(text)


# How each kind reads, from its params, in the current locale.
TEXTS: dict[str, Callable[[dict[str, Any]], Shown]] = {
    "hold_started": _hold_started,
    "hold_lifted": _hold_lifted,
    "incident_started": _incident_started,
    "incident_updated": _incident_updated,
    "incident_lifted": _incident_lifted,
    "incident_reminder": _incident_reminder,
    "reminder": _reminder,
    "entry_rejected": _entry_rejected,
    "reassignment_confirmed": _reassignment_confirmed,
}


def describe(note: Notification) -> Shown:
    """The notification in the current locale; a row without params shows its stored message."""
    render = TEXTS.get(note.kind)
    if render is None or note.params is None:
        return Shown(note.message)
    try:
        return render(note.params)
    except (KeyError, TypeError, ValueError):  # params of an older shape: the stored text
        return Shown(note.message)


def english(kind: str, params: dict[str, Any]) -> str:
    """The stored ``message``: the notification in English, with what the admin typed."""
    with force_locale(DEFAULT_LANGUAGE):
        shown = TEXTS[kind](params)
    return f"{shown.text} {shown.said}" if shown.said else shown.text


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
    message: str | None = None,
    params: dict[str, Any] | None = None,
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
    ``optional`` and ``dedupe_prefix`` are passed to ``outbox.email_people``. With ``params``
    (and no ``message``) the English message is rendered from them.
    """
    now = utcnow()
    if message is None:
        message = english(kind, params or {})
    rows = select(
        people.subquery().c[0],
        literal(kind, String()),
        literal(message, Text()),
        literal(params, JSON()) if params is not None else null(),
        literal(project_id, Integer()),
        literal(hold_id, Integer()),
        literal(entry_id, Integer()),
        literal(incident_id, Integer()),
        literal(now, UTCDateTime()),
    )
    columns = [
        "user_id",
        "kind",
        "message",
        "params",
        "project_id",
        "hold_id",
        "entry_id",
        "incident_id",
    ]
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
    message: str | None = None,
    params: dict[str, Any] | None = None,
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
        params=params,
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
    message: str | None = None,
    params: dict[str, Any] | None = None,
    project_id: int | None = None,
    hold_id: int | None = None,
    entry_id: int | None = None,
    email: outbox.Email | None = None,
) -> Notification:
    """Add one notification for one user (reassignment confirmed, entry rejected, …).

    With ``email``, the user gets it by email too. With ``params`` (and no ``message``) the
    English message is rendered from them.
    """
    note = Notification(
        user_id=user_id,
        kind=kind,
        message=message if message is not None else english(kind, params or {}),
        params=params,
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
    messages: Sequence[tuple[int, str | dict[str, Any]]],
    *,
    kind: str,
    project_id: int | None = None,
    hold_id: int | None = None,
) -> None:
    """One message to each of several users, in one insert: (user id, message), or (user id,
    params) to have each read in its reader's language."""
    if not messages:
        return
    now = utcnow()
    session.execute(
        insert(Notification),
        [
            {
                "user_id": user_id,
                "kind": kind,
                "message": english(kind, said) if isinstance(said, dict) else said,
                "params": said if isinstance(said, dict) else None,
                "project_id": project_id,
                "hold_id": hold_id,
                "created_at": now,
            }
            for user_id, said in messages
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
        raise NotFound(_("No such notification."))
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
