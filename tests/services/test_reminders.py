"""Weekly missing-hours reminders and the admins' daily digest: who, once, opt-out."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tracker.models import AuditEvent, Notification, OutboxMessage, User, utcnow
from tracker.services import reminders, timesheet

MIN_HOURS = 20


@pytest.fixture
def week():
    """Last ISO week (Monday), by the UTC date, as the command picks it."""
    return reminders.previous_week(utcnow().date())


def _remind(db, monday):
    count = reminders.send_reminders(db, monday, MIN_HOURS)
    db.commit()
    return count


def _reminded(db):
    return sorted(
        db.scalars(select(OutboxMessage.recipient).where(OutboxMessage.topic == "reminder"))
    )


def _log(make, person, project, monday, hours, **values):
    for day in range(5):
        if hours <= 0:
            break
        make.entry(
            person,
            project,
            work_date=monday + dt.timedelta(days=day),
            minutes=min(hours, 8) * 60,
            **values,
        )
        hours -= 8


def test_contractors_who_logged_too_little_last_week_are_reminded_once(db, make, week):
    project = make.project(code="ORION")
    idle = make.contractor(name="Idle")
    short = make.contractor(name="Short")
    busy = make.contractor(name="Busy")
    for person in (idle, short, busy):
        make.assign(project, person)
    _log(make, short, project, week, 12)
    _log(make, busy, project, week, 24)
    _log(make, short, project, week - dt.timedelta(days=7), 40)  # the week before: not counted

    assert _remind(db, week) == 2
    assert _reminded(db) == sorted([idle.email, short.email])
    row = db.scalar(select(OutboxMessage).where(OutboxMessage.recipient == idle.email))
    label = timesheet.week_label(week)
    assert row.subject == f"Missing hours for week {label}?"
    assert row.dedupe_key == f"reminder:{label}:{idle.id}"
    note = db.scalar(select(Notification).where(Notification.user_id == idle.id))
    assert note.kind == "reminder"
    assert f"week {label}" in note.message

    assert _remind(db, week) == 0  # the same week again: nothing twice
    assert len(_reminded(db)) == 2
    assert _remind(db, week + dt.timedelta(days=7)) == 3  # a new week: everyone short again


def test_who_is_not_reminded(db, make, week):
    open_project = make.project()
    held = make.project()
    make.hold(held)
    off = make.contractor()
    make.assign(open_project, off)
    reminders.set_reminders(db, db.get(User, off.id), False)
    only_held = make.contractor()
    make.assign(held, only_held)
    newcomer = make.contractor()
    make.assign(open_project, newcomer, start_date=week + dt.timedelta(days=7))
    disabled = make.contractor()
    make.assign(open_project, disabled)
    db.get(User, disabled.id).active = False
    make.admin()  # admins are not reminded
    rejected = make.contractor()
    make.assign(open_project, rejected)
    _log(make, rejected, open_project, week, 24, status="rejected")
    db.commit()

    assert _reminded(db) == []
    _remind(db, week)
    assert _reminded(db) == [rejected.email]  # rejected hours do not count as logged


def test_turning_reminders_off_is_audited(db, make):
    person = make.contractor()
    reminders.set_reminders(db, db.get(User, person.id), False)
    reminders.set_reminders(db, db.get(User, person.id), False)  # no change: no event
    db.commit()
    [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "user.reminders"))
    assert (event.actor_id, event.data) == (
        person.id,
        {"before": {"reminders": True}, "after": {"reminders": False}},
    )


def _notice(db, person, hold, hours_ago, read=False):
    created = utcnow() - dt.timedelta(hours=hours_ago)
    db.add(
        Notification(
            user_id=person.id,
            kind="hold_started",
            message="on hold",
            project_id=hold.project_id,
            hold_id=hold.id,
            created_at=created,
            read_at=created if read else None,
        )
    )
    db.commit()


def test_admins_get_a_daily_digest_of_hold_notices_unread_after_a_day(db, make):
    admins = [make.admin(), make.admin()]
    project = make.project(code="CHORDUS", name="Core banking")
    hold = make.hold(project, started_at=utcnow() - dt.timedelta(days=2))
    people = [make.contractor() for _ in range(4)]
    _notice(db, people[0], hold, 30)
    _notice(db, people[1], hold, 30)
    _notice(db, people[2], hold, 30, read=True)
    _notice(db, people[3], hold, 2)  # not a day old yet
    today = utcnow().date()

    assert reminders.send_digest(db, today) == 2
    db.commit()
    rows = list(db.scalars(select(OutboxMessage).where(OutboxMessage.topic == "digest")))
    assert sorted(r.recipient for r in rows) == sorted(a.email for a in admins)
    [section] = rows[0].payload["sections"]
    assert section["kind"] == "unread_hold_notices"
    assert section["items"] == [
        {
            "code": "CHORDUS",
            "name": "Core banking",
            "since": hold.started_at.date().isoformat(),
            "unread": 2,
        }
    ]
    assert rows[0].subject == f"tracker daily digest for {today}: 1 item needs attention"
    assert reminders.send_digest(db, today) == 0  # once a day
    assert reminders.send_digest(db, today + dt.timedelta(days=1)) == 2


def test_no_digest_on_a_day_with_nothing_in_it(db, make):
    make.admin()
    project = make.project()
    hold = make.hold(project)
    _notice(db, make.contractor(), hold, 30, read=True)
    assert reminders.send_digest(db, utcnow().date()) == 0


def test_incidents_can_add_a_section_to_the_digest(db, make, monkeypatch):
    make.admin()
    monkeypatch.setattr(reminders, "DIGEST_SECTIONS", [])
    reminders.add_digest_section(
        lambda _session, _now: {
            "kind": "unread_hold_notices",
            "items": [{"code": "X", "name": "Y", "since": "2026-01-01", "unread": 1}],
        }
    )
    assert reminders.send_digest(db, utcnow().date()) == 1
