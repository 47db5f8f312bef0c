"""Admin pages for the outbox and webhooks, the reminder switch, and emailed one-time links."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tracker.models import OutboxMessage, User, WebhookEndpoint
from tracker.services import holds

PUBLIC_URL = "https://93.184.215.14/hooks/tracker"


@pytest.fixture
def admin(auth, make):
    user = make.admin(name="Alex Admin")
    auth.login(user)
    return user


def _outbox(db, make, dead=1):
    project = make.project(code="CHORDUS")
    for _ in range(3):
        make.assign(project, make.contractor())
    holds.freeze_project(db, None, project, reason="internal only", notice="Paused for now.")
    db.commit()
    rows = list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    for row in rows[:dead]:
        row.status, row.attempts, row.last_error = "dead", 8, "550 5.1.1 mailbox unavailable"
    db.commit()
    return rows


def test_the_outbox_page_shows_each_delivery_with_its_status_and_last_error(
    client, admin, db, make
):
    rows = _outbox(db, make)
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "Pending (2)" in page
    assert "Dead (1)" in page
    assert "Sent (0)" in page
    for row in rows:
        assert row.recipient in page
    assert "CHORDUS is on hold: time entry is paused" in page
    assert "550 5.1.1 mailbox unavailable" in page
    assert "internal only" not in page
    dead_only = client.get("/admin/outbox?status=dead").get_data(as_text=True)
    assert rows[0].recipient in dead_only
    assert rows[1].recipient not in dead_only
    assert client.get("/admin/outbox?status=bogus").status_code == 302
    # A page cursor that is no id (a superscript two, out of range) starts from the newest.
    for before in ("%C2%B2", "99999999999999999999", "-1"):
        assert client.get(f"/admin/outbox?before={before}").status_code == 200


def test_an_admin_retries_a_dead_delivery_from_the_page(client, admin, db, make):
    rows = _outbox(db, make)
    response = client.post(
        f"/admin/outbox/{rows[0].id}/retry", data={"back": "/admin/outbox?status=dead"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/outbox?status=dead")
    db.refresh(rows[0])
    assert (rows[0].status, rows[0].attempts) == ("pending", 0)
    again = client.post(f"/admin/outbox/{rows[0].id}/retry", follow_redirects=True)
    assert "only a dead one can be retried" in again.get_data(as_text=True)
    away = client.post(f"/admin/outbox/{rows[0].id}/retry", data={"back": "https://evil.test/"})
    assert "evil.test" not in away.headers["Location"]
    assert client.post("/admin/outbox/999999/retry").status_code == 404


def test_a_new_endpoint_shows_its_secret_once(client, admin, db):
    response = client.post(
        "/admin/webhooks",
        data={"url": PUBLIC_URL, "events": ["hold.started", "hold.lifted"], "format": "standard"},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    secret = re.search(r"whsec_[A-Za-z0-9+/=]+", page).group(0)
    endpoint = db.scalar(select(WebhookEndpoint))
    assert endpoint.secret == secret
    assert endpoint.events == ["hold.started", "hold.lifted"]
    later = client.get("/admin/webhooks").get_data(as_text=True)
    assert PUBLIC_URL in later
    assert secret not in later


def test_a_bad_url_is_refused_beside_the_field_and_what_was_typed_stays(client, admin, db):
    response = client.post(
        "/admin/webhooks", data={"url": "http://10.0.0.7/hook", "events": ["hold.started"]}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'id="url-error">[^<]*10\.0\.0\.7, which is not a public address', page)
    assert 'value="http://10.0.0.7/hook"' in page
    nothing = client.post("/admin/webhooks", data={"url": PUBLIC_URL})
    assert "Choose at least one event" in nothing.get_data(as_text=True)
    assert db.scalar(select(WebhookEndpoint)) is None


def test_an_admin_removes_an_endpoint(client, admin, db):
    client.post("/admin/webhooks", data={"url": PUBLIC_URL, "events": ["hold.started"]})
    endpoint = db.scalar(select(WebhookEndpoint))
    response = client.post(f"/admin/webhooks/{endpoint.id}/delete", follow_redirects=True)
    assert "nothing more is sent to it" in response.get_data(as_text=True)
    db.expire_all()
    assert db.scalar(select(WebhookEndpoint)) is None


def test_a_contractor_turns_the_weekly_reminder_off_and_on(auth, client, make, db):
    person = make.contractor()
    auth.login(person)
    page = client.get("/account/").get_data(as_text=True)
    assert re.search(r'<input[^>]* checked [^>]*name="rm-reminders"', page)
    response = client.post("/account/reminders", data={}, follow_redirects=True)
    assert "Weekly reminders are off." in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(User, person.id).reminders is False
    page = client.get("/account/").get_data(as_text=True)
    assert not re.search(r'<input[^>]* checked [^>]*name="rm-reminders"', page)
    client.post("/account/reminders", data={"rm-reminders": "y"})
    db.expire_all()
    assert db.get(User, person.id).reminders is True


def test_admins_have_no_reminder_switch(client, admin):
    assert 'name="rm-reminders"' not in client.get("/account/").get_data(as_text=True)
    assert client.post("/account/reminders", data={}).status_code == 403


def test_a_new_user_is_emailed_the_same_one_time_link_the_admin_sees(client, admin, db):
    response = client.post(
        "/admin/users/new",
        data={"email": "nia@example.com", "name": "Nia", "role": "contractor", "timezone": "UTC"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "was created and emailed a one-time link" in page
    token = re.search(r"http://tracker\.test/setup/([A-Za-z0-9_-]+)", page).group(1)
    [row] = db.scalars(select(OutboxMessage))
    assert (row.recipient, row.topic, row.subject) == (
        "nia@example.com",
        "setup_link",
        "Your tracker account: set your password",
    )
    assert row.payload["token"] == token
