"""The outbox and webhook endpoints of the JSON API (admin only; see api.md)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tracker.models import OutboxMessage, WebhookEndpoint
from tracker.services import holds, outbox_admin

PUBLIC_URL = "https://93.184.215.14/hooks/tracker"


@pytest.fixture
def admin_api(api, make):
    return api(make.admin())


def test_registering_an_endpoint_shows_the_secret_once(admin_api, db):
    response = admin_api.post(
        "/webhooks",
        {
            "url": PUBLIC_URL,
            "events": ["hold.started", "incident.started"],
            "format": "slack",
            "internal": True,
        },
    )
    assert response.status_code == 201
    created = response.get_json()
    assert created["secret"].startswith("whsec_")
    assert created["events"] == ["incident.started", "hold.started"]
    assert (created["format"], created["internal"], created["url"]) == ("slack", True, PUBLIC_URL)
    listed = admin_api.get("/webhooks").get_json()["webhooks"]
    assert [w["id"] for w in listed] == [created["id"]]
    assert "secret" not in listed[0]
    assert created["secret"] not in admin_api.get("/webhooks").get_data(as_text=True)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://93.184.215.14/x", "events": ["hold.started"]}, "url"),
        ({"url": "http://10.0.0.5/x", "events": ["hold.started"]}, "url"),
        ({"url": "not a url", "events": ["hold.started"]}, "url"),
        ({"url": 42, "events": ["hold.started"]}, "url"),
        ({"url": PUBLIC_URL, "events": []}, "events"),
        ({"url": PUBLIC_URL}, "events"),
        ({"url": PUBLIC_URL, "events": ["hold.started"], "format": "xml"}, "format"),
    ],
)
def test_a_bad_endpoint_is_refused_with_422_naming_the_field(admin_api, db, body, field):
    response = admin_api.post("/webhooks", body)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]
    assert db.scalar(select(WebhookEndpoint)) is None


def test_removing_an_endpoint(admin_api, db):
    created = admin_api.post("/webhooks", {"url": PUBLIC_URL, "events": ["hold.lifted"]}).get_json()
    assert admin_api.delete(f"/webhooks/{created['id']}").status_code == 204
    assert admin_api.get("/webhooks").get_json()["webhooks"] == []
    again = admin_api.delete(f"/webhooks/{created['id']}")
    assert again.status_code == 404
    assert again.get_json()["error"]["code"] == "not_found"


def _dead_and_pending(db, make):
    project = make.project(code="CHORDUS")
    people = [make.contractor() for _ in range(3)]
    for person in people:
        make.assign(project, person)
    holds.freeze_project(db, None, project, reason="internal", notice="Paused.")
    db.commit()
    rows = list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    rows[0].status, rows[0].attempts, rows[0].last_error = "dead", 8, "550 5.1.1 no such user"
    db.commit()
    return rows


def test_admins_see_the_outbox_with_status_and_last_error(admin_api, db, make):
    rows = _dead_and_pending(db, make)
    body = admin_api.get("/outbox").get_json()
    assert body["counts"] == {"pending": 2, "sent": 0, "dead": 1}
    assert [d["id"] for d in body["deliveries"]] == [r.id for r in reversed(rows)]
    dead = body["deliveries"][-1]
    assert dead == {
        "id": rows[0].id,
        "kind": "email",
        "to": rows[0].recipient,
        "subject": "CHORDUS is on hold: time entry is paused",
        "event": None,
        "template": "hold_started",
        "endpoint_id": None,
        "status": "dead",
        "attempts": 8,
        "last_error": "550 5.1.1 no such user",
        "next_attempt_at": None,
        "created_at": dead["created_at"],
        "sent_at": None,
    }
    assert "payload" not in dead
    assert "Paused." not in str(body)
    only_dead = admin_api.get("/outbox?status=dead").get_json()["deliveries"]
    assert [d["id"] for d in only_dead] == [rows[0].id]
    first_page = admin_api.get("/outbox?limit=2").get_json()
    assert len(first_page["deliveries"]) == 2
    rest = admin_api.get(f"/outbox?limit=2&cursor={first_page['next_cursor']}").get_json()
    assert [d["id"] for d in rest["deliveries"]] == [rows[0].id]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=lost", "status"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("cursor=x", "cursor"),
        ("cursor=%C2%B2", "cursor"),  # a superscript two: str.isdigit() says yes, int() no
        ("cursor=2147483648", "cursor"),  # past the largest id the database holds
        ("limit=%D9%A3", "limit"),  # an Arabic-Indic three
    ],
)
def test_bad_outbox_filters_are_422(admin_api, query, field):
    response = admin_api.get(f"/outbox?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_retrying_a_dead_delivery_puts_it_back_in_the_queue(admin_api, db, make):
    rows = _dead_and_pending(db, make)
    response = admin_api.post(f"/outbox/{rows[0].id}/retry")
    assert response.status_code == 200
    assert (response.get_json()["status"], response.get_json()["attempts"]) == ("pending", 0)
    again = admin_api.post(f"/outbox/{rows[0].id}/retry")
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "not_dead"
    assert admin_api.post("/outbox/999999/retry").status_code == 404


def test_a_user_created_without_a_password_is_emailed_a_setup_link(admin_api, db):
    response = admin_api.post(
        "/users", {"email": "new.person@example.com", "name": "New Person", "role": "contractor"}
    )
    assert response.status_code == 201
    [row] = db.scalars(select(OutboxMessage))
    assert (row.recipient, row.topic) == ("new.person@example.com", "setup_link")
    assert row.payload["purpose"] == "welcome"
    with_password = admin_api.post(
        "/users",
        {
            "email": "other@example.com",
            "name": "Other",
            "role": "contractor",
            "password": "a long enough passphrase",
        },
    )
    assert with_password.status_code == 201
    assert len(list(db.scalars(select(OutboxMessage)))) == 1


def test_webhook_deliveries_show_the_endpoint_origin_not_its_path(admin_api, db, make, app):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    admin_api.post(
        "/webhooks",
        {"url": "http://127.0.0.1:9/services/T0/B0/secret-token", "events": ["hold.started"]},
    )
    project = make.project()
    holds.freeze_project(db, None, project, reason="r", notice="n")
    db.commit()
    [shown] = admin_api.get("/outbox").get_json()["deliveries"]
    assert (shown["kind"], shown["event"], shown["to"]) == (
        "webhook",
        "hold.started",
        "http://127.0.0.1:9/…",
    )
    assert outbox_admin.shown_recipient(db.scalar(select(OutboxMessage))) == shown["to"]
