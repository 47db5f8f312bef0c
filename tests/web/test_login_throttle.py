"""Login throttling holds across app processes, and no secret ever reaches a log or audit row."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from tracker import create_app
from tracker.models import ApiToken, AuditEvent


@pytest.fixture
def app_config(app_config):
    return {**app_config, "LOGIN_MAX_ATTEMPTS": 3}


def test_failures_on_one_instance_count_on_another(app, app_config, make):
    user = make.contractor()
    second = create_app(app_config)  # another process or host sharing the database
    first_client, second_client = app.test_client(), second.test_client()
    try:
        for _ in range(2):
            assert (
                first_client.post(
                    "/login", data={"email": user.email, "password": "wrong password 123"}
                ).status_code
                == 401
            )
        assert (
            second_client.post(
                "/login", data={"email": user.email, "password": "wrong password 123"}
            ).status_code
            == 401
        )
        blocked = second_client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert blocked.status_code == 429
        assert "Too many sign-in attempts" in blocked.get_data(as_text=True)
        assert (
            first_client.post(
                "/login", data={"email": user.email, "password": PASSWORD}
            ).status_code
            == 429
        )
    finally:
        second.extensions["tracker.engine"].dispose()


def test_unknown_accounts_are_throttled_the_same_way(client):
    answers = [
        client.post(
            "/login", data={"email": "ghost@example.com", "password": "guess number 1"}
        ).status_code
        for _ in range(4)
    ]
    assert answers == [401, 401, 401, 429]


def test_no_password_token_or_totp_secret_in_logs_or_audit(client, auth, make, db, caplog):
    caplog.set_level(logging.DEBUG)
    user = make.contractor()
    client.post("/login", data={"email": user.email, "password": "my-typo-password-9"})
    auth.login(user)
    client.post("/account/tokens", data={"tk-name": "script"})
    from tracker.services import tokens as token_service

    _row, raw = token_service.create_token(db, None, user, "direct")
    db.commit()
    client.post(
        "/account/password",
        data={"pw-current_password": PASSWORD, "pw-new_password": "a brand new passphrase 42"},
    )
    events = db.scalars(select(AuditEvent)).all()
    blob = " ".join(str(e.data) for e in events) + caplog.text
    hashes = [t.token_hash for t in db.scalars(select(ApiToken))]
    for secret in ("my-typo-password-9", PASSWORD, "a brand new passphrase 42", raw, *hashes):
        assert secret not in blob
    db.refresh(user)
    assert user.password_hash not in blob
