"""With CSRF protection on, the delivery forms refuse a POST without a valid token."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.web.test_csrf import _sign_in, _token
from tracker.models import OutboxMessage, WebhookEndpoint
from tracker.services import outbox


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "WTF_CSRF_ENABLED": True}


def test_registering_an_endpoint_needs_the_token(client, make, db):
    _sign_in(client, make.admin())
    form = {"url": "https://93.184.215.14/hook", "events": ["hold.started"]}
    assert client.post("/admin/webhooks", data=form).status_code == 400
    assert db.scalar(select(WebhookEndpoint)) is None
    token = _token(client, "/admin/webhooks")
    assert client.post("/admin/webhooks", data={**form, "csrf_token": token}).status_code == 200
    assert db.scalar(select(WebhookEndpoint)) is not None


def test_retrying_and_the_reminder_switch_need_the_token(client, make, db):
    person = make.contractor()
    outbox.email_user(
        db, person.id, outbox.Email("setup_link", {"purpose": "reset", "token": "t", "hours": 1})
    )
    row = db.scalar(select(OutboxMessage))
    row.status = "dead"
    db.commit()
    _sign_in(client, make.admin())
    assert client.post(f"/admin/outbox/{row.id}/retry").status_code == 400
    db.refresh(row)
    assert row.status == "dead"
    other = client.application.test_client()
    _sign_in(other, person)
    assert other.post("/account/reminders", data={}).status_code == 400
