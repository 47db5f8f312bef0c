"""The notifications page: your own messages, newest first, marked read one by one or all."""

from __future__ import annotations

from sqlalchemy import select

from tracker.models import Notification
from tracker.services import holds, notifications


def _main(page: str) -> str:
    return page.split('<main id="main"', 1)[1]


def _held(make, db, *people):
    project = make.project(code="ORBIT")
    for person in people:
        make.assign(project, person)
    holds.freeze_project(db, make.admin(), project, reason="r", notice="Orbit is paused.")
    db.commit()
    return project


def test_a_contractor_reads_their_notifications_and_marks_one_read(client, auth, make, db):
    person = make.contractor()
    _held(make, db, person)
    notifications.notify(db, person.id, kind="entry_rejected", message="Your 2.00 h were rejected")
    db.commit()
    auth.login(person)
    page = client.get("/notifications").get_data(as_text=True)
    assert 'aria-label="2 unread"' in page
    listed = _main(page)
    assert listed.index("Your 2.00 h were rejected") < listed.index("Orbit is paused.")
    first = db.scalar(select(Notification).where(Notification.kind == "hold_started"))
    response = client.post(f"/notifications/{first.id}/read")
    assert response.status_code == 302
    assert 'aria-label="1 unread"' in client.get("/notifications").get_data(as_text=True)


def test_marking_someone_elses_notification_answers_404_and_changes_nothing(client, auth, make, db):
    alice, bob = make.contractor(), make.contractor()
    _held(make, db, alice, bob)
    bobs = db.scalar(select(Notification).where(Notification.user_id == bob.id))
    auth.login(alice)
    assert client.post(f"/notifications/{bobs.id}/read").status_code == 404
    db.refresh(bobs)
    assert bobs.read_at is None
    assert "Orbit is paused." in client.get("/notifications").get_data(as_text=True)


def test_mark_all_read_clears_the_unread_count(client, auth, make, db):
    person = make.contractor()
    _held(make, db, person)
    auth.login(person)
    client.post("/notifications/read-all")
    page = client.get("/notifications").get_data(as_text=True)
    assert "unread" not in page
    assert "Mark all as read" not in page
    assert "Orbit is paused." in _main(page)


def test_every_role_has_a_notifications_page(client, auth, make):
    for user in (make.admin(), make.payroll(), make.contractor()):
        auth.login(user)
        page = client.get("/notifications")
        assert page.status_code == 200
        assert "No notifications." in page.get_data(as_text=True)
        auth.logout()


def test_marking_read_needs_a_post(client, auth, make):
    auth.login(make.contractor())
    assert client.get("/notifications/read-all").status_code == 405
