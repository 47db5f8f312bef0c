"""What each notice's email says, as the worker writes it: rejected time, reassignment, the
lift, setup links, reminders and the digest — and that its links work."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from pathlib import Path

from sqlalchemy import select

from tracker.models import Notification, OutboxMessage, User, utcnow
from tracker.services import delivery, entries, holds, notices, reassignment, reminders


def _sent(app) -> list[email.message.EmailMessage]:
    """Run the worker once and read back every email it wrote, oldest first."""
    delivery.Worker(app).run(once=True)
    folder = Path(app.instance_path) / "mail"
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(folder.glob("*.eml"), key=lambda p: int(p.name.split("-")[2]))
    ]


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def _to(message) -> str:
    return message["To"].addresses[0].addr_spec


def test_rejected_time_is_one_email_per_contractor_with_the_reason(app, db, make):
    admin = make.admin()
    project = make.project(code="CHORDUS")
    ana, ben = make.contractor(), make.contractor()
    make.assign(project, ana)
    make.assign(project, ben)
    day = utcnow().date() - dt.timedelta(days=3)
    ana_entries = [
        make.entry(ana, project, work_date=day, minutes=90),
        make.entry(ana, project, work_date=day - dt.timedelta(days=1), minutes=30),
    ]
    ben_entry = make.entry(ben, project, work_date=day, minutes=60)
    reason = "Logged on the wrong project; log it on ORION <please>."
    entries.reject(db, db.get(User, admin.id), [e.id for e in [*ana_entries, ben_entry]], reason)
    db.commit()

    sent = {_to(m): m for m in _sent(app)}
    assert set(sent) == {ana.email, ben.email}
    assert sent[ben.email]["Subject"] == f"Your hours on CHORDUS for {day} were rejected"
    assert sent[ana.email]["Subject"] == "2 of your time entries were rejected"
    text = _text(sent[ana.email])
    assert f"- {day - dt.timedelta(days=1)}: 0.50 h on CHORDUS" in text
    assert f"- {day}: 1.50 h on CHORDUS" in text
    assert reason in text
    assert "log it on ORION &lt;please&gt;." in sent[ana.email].get_body(("html",)).get_content()


def test_joining_and_being_moved_say_where_from_when_and_at_what_rate(app, db, make):
    admin = make.admin()
    joiner, moved = make.contractor(hourly_rate="55.00"), make.contractor()
    held = make.project(code="CHORDUS")
    target = make.project(code="ORION", name="Orion platform", hourly_rate="48.00")
    for person in (joiner, moved):
        make.assign(held, person)
    make.hold(held)
    reassignment.accept(
        db, db.get(User, joiner.id), from_project_id=held.id, to_project_id=target.id
    )
    reassignment.move(db, db.get(User, admin.id), held, target, [moved.id])
    db.commit()

    sent = {_to(m): m for m in _sent(app)}
    joined = _text(sent[joiner.email])
    assert sent[joiner.email]["Subject"] == "You are on ORION now"
    assert "You joined ORION — Orion platform while CHORDUS is on hold." in joined
    assert "at 55.00 EUR per hour. You stay on CHORDUS too." in joined
    assert "An admin moved you to ORION" in _text(sent[moved.email])
    assert "at 48.00 EUR per hour" in _text(sent[moved.email])


def test_the_lift_email_carries_the_closing_note(app, db, make):
    person = make.contractor()
    project = make.project(code="CHORDUS", name="Core banking")
    make.assign(project, person)
    holds.freeze_project(db, None, project, reason="internal", notice="Paused.")
    holds.unfreeze_project(db, None, project, note="The client finished its audit.")
    db.commit()
    started, lifted = _sent(app)
    assert lifted["Subject"] == "CHORDUS: the hold is lifted, you can log time again"
    assert "The hold on CHORDUS — Core banking was lifted on" in _text(lifted)
    assert "The client finished its audit." in _text(lifted)
    assert "internal" not in started.as_string()


def test_the_emailed_setup_link_opens_the_setup_page_once(app, db, make, client):
    person = make.contractor(name="Rae")
    notices.email_setup_link(db, None, db.get(User, person.id), "reset", 24)
    db.commit()
    [message] = _sent(app)
    assert message["Subject"] == "Set a new password for tracker"
    link = re.search(r"http://tracker\.test(/setup/\S+)", _text(message)).group(1)
    assert client.get(link).status_code == 303
    assert "expires after 24 hours" in _text(message)
    row = db.scalar(select(OutboxMessage))
    assert "token" not in row.payload  # sent: the stored copy keeps no secret


def test_the_reminder_links_to_last_weeks_timesheet_and_the_switch(app, db, make):
    person = make.contractor()
    make.assign(make.project(), person)
    monday = reminders.previous_week(utcnow().date())
    reminders.send_reminders(db, monday, 20)
    db.commit()
    [message] = _sent(app)
    label = f"{monday.isocalendar()[0]}-W{monday.isocalendar()[1]:02d}"
    text = _text(message)
    assert f"Last week, {label} ({monday} to {monday + dt.timedelta(days=6)})" in text
    assert f"http://tracker.test/timesheet?week={label}" in text
    assert "Turn it off on your account page: http://tracker.test/account/" in text
    note = db.scalar(select(Notification).where(Notification.user_id == person.id))
    assert note.kind == "reminder"


def test_the_digest_lists_each_hold_whose_notice_is_unread(app, db, make):
    admin = make.admin()
    project = make.project(code="CHORDUS", name="Core banking")
    hold = make.hold(project, started_at=utcnow() - dt.timedelta(days=2))
    old = utcnow() - dt.timedelta(days=2)
    for person in (make.contractor(), make.contractor()):
        db.add(
            Notification(
                user_id=person.id,
                kind="hold_started",
                message="on hold",
                hold_id=hold.id,
                project_id=project.id,
                created_at=old,
            )
        )
    db.commit()
    reminders.send_digest(db, utcnow().date())
    db.commit()
    [message] = _sent(app)
    assert _to(message) == admin.email
    text = _text(message)
    assert "Hold notices not read after a day" in text
    assert "CHORDUS — Core banking" in text
    assert "2 contractors have not read the notice" in text
    assert "http://tracker.test/admin/holds" in text


def test_a_one_project_hold_email_opens_its_incident_page(app, db, make, client, auth):
    person = make.contractor()
    project = make.project(code="CHORDUS", name="Core banking")
    make.assign(project, person)
    hold, _affected = holds.freeze_project(db, None, project, reason="internal", notice="Paused.")
    db.commit()
    (started,) = _sent(app)
    links = re.findall(r"https?://\S+/incidents/(\d+)", _text(started))
    assert links == [str(hold.incident_id)]
    assert f"/incidents/{hold.incident_id}" in started.get_body(("html",)).get_content()
    auth.login(person)
    page = client.get(f"/incidents/{hold.incident_id}")
    assert page.status_code == 200
    assert "Paused." in page.get_data(as_text=True)


def test_a_hold_email_queued_before_it_named_its_incident_still_goes_out(app, db, make):
    person = make.contractor()
    project = make.project(code="CHORDUS", name="Core banking")
    make.assign(project, person)
    holds.freeze_project(db, None, project, reason="internal", notice="Paused.")
    db.commit()
    for row in db.scalars(select(OutboxMessage)):
        row.payload = {k: v for k, v in row.payload.items() if k != "incident_id"}
    db.commit()
    (started,) = _sent(app)
    assert "/notifications" in _text(started)
