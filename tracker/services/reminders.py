"""Weekly missing-hours reminders and the admins' daily digest.

``flask --app tracker reminders send`` runs both and is meant for a daily cron job. Each is
idempotent: a reminder is written once per contractor and ISO week, a digest once per admin and
day (the outbox's unique ``dedupe_key``), so running the command twice sends nothing twice. Both
are set-based: one ``INSERT … SELECT`` per table, whatever the number of people.

The digest is built from sections: each provider in ``DIGEST_SECTIONS`` returns the items it
has (or nothing), and the digest goes out only on days with something in it. Each section kind
has its templates under ``templates/email/digest/``; incidents add theirs with
``add_digest_section``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import String, cast, exists, func, literal, select
from sqlalchemy.orm import Session

from tracker.models import (
    Assignment,
    Hold,
    Incident,
    IncidentContractor,
    IncidentUpdate,
    Notification,
    OutboxMessage,
    Project,
    TimeEntry,
    User,
    utcnow,
)
from tracker.services import audit, locks, notifications, outbox
from tracker.services.outbox import Email
from tracker.services.timesheet import week_label

DigestSection = dict[str, Any]  # {"kind": <template name>, "items": [...]}
DIGEST_SECTIONS: list[Callable[[Session, dt.datetime], DigestSection | None]] = []


def add_digest_section(provider: Callable[[Session, dt.datetime], DigestSection | None]) -> None:
    """Add a section to the daily digest (it shows when the provider returns items)."""
    if provider not in DIGEST_SECTIONS:
        DIGEST_SECTIONS.append(provider)


def previous_week(today: dt.date) -> dt.date:
    """The Monday of the ISO week before the one ``today`` is in."""
    return today - dt.timedelta(days=today.weekday() + 7)


def _not_written(prefix: str) -> Any:
    """True for a user whose row with this dedupe prefix is not in the outbox yet."""
    return ~exists().where(
        OutboxMessage.dedupe_key == literal(prefix, String()) + cast(User.id, String())
    )


def send_reminders(session: Session, monday: dt.date, min_hours: int) -> int:
    """Remind every contractor who logged less than ``min_hours`` in that ISO week.

    Who: active contractors with reminders on and an active assignment on an open project that
    started by the week's end. Counted: their entries of that week on any project, rejected
    ones excepted. Each gets a notification and an email once per week; returns how many were
    reminded by this call.
    """
    locks.reminders(session)
    sunday = monday + dt.timedelta(days=6)
    label = week_label(monday)
    prefix = f"reminder:{label}:"
    enough = (
        select(TimeEntry.user_id)
        .where(
            TimeEntry.work_date >= monday,
            TimeEntry.work_date <= sunday,
            TimeEntry.status != "rejected",
        )
        .group_by(TimeEntry.user_id)
        .having(func.sum(TimeEntry.minutes) >= min_hours * 60)
    )
    working = (
        select(Assignment.user_id)
        .join(Project, Project.id == Assignment.project_id)
        .where(
            Assignment.end_date.is_(None),
            Assignment.start_date <= sunday,
            Project.status == "open",
        )
    )
    people = select(User.id).where(
        User.role == "contractor",
        User.active.is_(True),
        User.reminders.is_(True),
        User.id.in_(working),
        User.id.not_in(enough),
        _not_written(prefix),
    )
    return notifications.notify_people(
        session,
        people,
        kind="reminder",
        params={
            "week": label,
            "week_start": monday.isoformat(),
            "week_end": sunday.isoformat(),
            "min_hours": min_hours,
        },
        email=Email(
            "reminder",
            {
                "week": label,
                "week_start": monday.isoformat(),
                "week_end": sunday.isoformat(),
                "min_hours": min_hours,
            },
        ),
        optional=True,
        dedupe_prefix=prefix,
    )


def unread_hold_notices(session: Session, now: dt.datetime) -> DigestSection | None:
    """Holds in force whose notice some contractors have not read after a day."""
    rows = session.execute(
        select(Project.code, Project.name, Hold.started_at, func.count(Notification.id))
        .join(Hold, Hold.id == Notification.hold_id)
        .join(Project, Project.id == Hold.project_id)
        .where(
            Notification.kind == "hold_started",
            Notification.read_at.is_(None),
            Notification.created_at <= now - dt.timedelta(days=1),
            Hold.ended_at.is_(None),
        )
        .group_by(Hold.id, Project.code, Project.name, Hold.started_at)
        .order_by(Hold.started_at, Project.code)
    ).all()
    if not rows:
        return None
    return {
        "kind": "unread_hold_notices",
        "items": [
            {
                "code": code,
                "name": name,
                "since": started_at.astimezone(dt.UTC).date().isoformat(),
                "unread": int(unread),
            }
            for code, name, started_at, unread in rows
        ],
    }


add_digest_section(unread_hold_notices)


def overdue_incidents(session: Session, now: dt.datetime) -> DigestSection | None:
    """Incidents in force past their review date."""
    rows = session.scalars(
        select(Incident)
        .where(Incident.lifted_at.is_(None), Incident.review_by < now.astimezone(dt.UTC).date())
        .order_by(Incident.review_by, Incident.id)
    ).all()
    if not rows:
        return None
    return {
        "kind": "overdue_incidents",
        "items": [
            {
                "id": i.id,
                "title": i.title,
                "review_by": i.review_by.isoformat(),
                "affected": i.affected_count,
            }
            for i in rows
        ],
    }


add_digest_section(overdue_incidents)


def send_ack_reminders(session: Session, now: dt.datetime, hours: int) -> int:
    """Remind the affected who have not acknowledged an incident's latest notice after ``hours``.

    Once per person, incident and latest update (the outbox's ``dedupe_key``); incident notices
    are never optional. Two statements per incident in force; returns how many were reminded.
    """
    locks.reminders(session)
    cutoff = now - dt.timedelta(hours=hours)
    reminded = 0
    for incident in session.scalars(select(Incident).where(Incident.lifted_at.is_(None))):
        latest = session.execute(
            select(IncidentUpdate.id, IncidentUpdate.at)
            .where(IncidentUpdate.incident_id == incident.id)
            .order_by(IncidentUpdate.at.desc(), IncidentUpdate.id.desc())
            .limit(1)
        ).first()
        told_at = latest.at if latest else incident.started_at
        if told_at > cutoff:
            continue
        prefix = f"ack:{incident.id}:{latest.id if latest else 0}:"
        people = select(User.id).where(
            User.id.in_(
                select(IncidentContractor.user_id).where(
                    IncidentContractor.incident_id == incident.id,
                    (IncidentContractor.acknowledged_at.is_(None))
                    | (IncidentContractor.acknowledged_at < told_at),
                )
            ),
            User.active.is_(True),
            _not_written(prefix),
        )
        reminded += notifications.notify_people(
            session,
            people,
            kind="incident_reminder",
            params={},
            email=Email(
                "incident_reminder",
                {"incident_id": incident.id, "notice": incident.notice},
            ),
            dedupe_prefix=prefix,
        )
    return reminded


def send_digest(session: Session, day: dt.date, now: dt.datetime | None = None) -> int:
    """Email every active admin the day's digest, once per day; returns how many got it.

    Nothing is sent on a day when no section has items.
    """
    now = now or utcnow()
    locks.reminders(session)
    sections = [s for s in (provider(session, now) for provider in DIGEST_SECTIONS) if s]
    if not sections:
        return 0
    prefix = f"digest:{day.isoformat()}:"
    admins = select(User.id).where(
        User.role == "admin", User.active.is_(True), _not_written(prefix)
    )
    return outbox.email_people(
        session,
        admins,
        Email("digest", {"day": day.isoformat(), "sections": sections}),
        dedupe_prefix=prefix,
    )


def set_reminders(session: Session, user: User, on: bool) -> None:
    """Turn the user's weekly reminder emails on or off (hold notices are always sent)."""
    if user.reminders == on:
        return
    user.reminders = on
    audit.record(
        session, user, "user.reminders", user, before={"reminders": not on}, after={"reminders": on}
    )
