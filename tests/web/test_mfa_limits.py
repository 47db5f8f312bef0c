"""The second factor and re-authentication have attempt limits, and a TOTP code works once."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from tracker.models import AuditEvent, User
from tracker.services import mfa


@pytest.fixture
def enrolled(make, db):
    """A contractor with TOTP on, enrolled with the previous step's code; (user, secret)."""
    user = make.contractor()
    secret = mfa.pending_secret(db, db.get(User, user.id))
    mfa.enable(db, db.get(User, user.id), mfa.code_at(secret, time.time() - mfa.STEP))
    db.commit()
    return user, secret


def _password_step(client, user):
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/login/code")


def _events(db, action):
    return db.scalar(select(func.count()).where(AuditEvent.action == action))


def test_five_wrong_codes_cancel_the_pending_sign_in(client, db, enrolled):
    user, secret = enrolled
    _password_step(client, user)
    for _ in range(4):
        page = client.post("/login/code", data={"code": "000000"}).get_data(as_text=True)
        assert "not right" in page
    fifth = client.post("/login/code", data={"code": "000000"}, follow_redirects=True)
    assert "Too many wrong codes" in fifth.get_data(as_text=True)
    assert client.get("/login/code").headers["Location"].endswith("/login")  # step cancelled
    assert _events(db, "mfa.failure") == 5
    # Entering the password again does not buy more guesses: even the right code is refused.
    _password_step(client, user)
    again = client.post("/login/code", data={"code": mfa.code_at(secret)}, follow_redirects=True)
    assert "Too many wrong codes" in again.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not signed in
    assert _events(db, "mfa.throttled") == 1


def test_a_right_code_before_the_limit_signs_in_and_resets_the_count(client, auth, db, enrolled):
    user, secret = enrolled
    _password_step(client, user)
    for _ in range(4):
        client.post("/login/code", data={"code": "000000"})
    assert client.post("/login/code", data={"code": mfa.code_at(secret)}).status_code == 302
    assert mfa.failures(db, db.get(User, user.id)) == 0


def test_a_code_cannot_be_used_twice(client, auth, db, enrolled):
    user, secret = enrolled
    code = mfa.code_at(secret)
    _password_step(client, user)
    assert client.post("/login/code", data={"code": code}).status_code == 302
    auth.logout()
    _password_step(client, user)
    replay = client.post("/login/code", data={"code": code})
    assert replay.status_code == 200
    assert "not right" in replay.get_data(as_text=True)
    # The next code of the app is accepted.
    assert (
        client.post(
            "/login/code", data={"code": mfa.code_at(secret, time.time() + mfa.STEP)}
        ).status_code
        == 302
    )


def _old_login(client):
    with client.session_transaction() as session:
        session["auth_at"] -= 3600


def test_reauth_stops_after_five_wrong_passwords(client, auth, make, db):
    admin = make.admin()
    auth.login(admin)
    _old_login(client)
    for _ in range(5):
        page = client.post("/reauth", data={"password": "not my password"})
        assert page.status_code == 200
        assert "This is not your password." in page.get_data(as_text=True)
    refused = client.post("/reauth?next=/admin/users/new", data={"password": PASSWORD})
    assert refused.status_code == 429
    assert "Too many wrong passwords" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) > 0
    assert client.get("/admin/users/new").status_code == 302  # still not confirmed
    assert _events(db, "reauth.failure") == 5
    failure = db.scalar(select(AuditEvent).where(AuditEvent.action == "reauth.failure"))
    assert failure.actor_id == admin.id
    assert "not my password" not in str(failure.data)


def test_a_right_reauth_password_resets_the_count(client, auth, make, db):
    auth.login(make.admin())
    _old_login(client)
    for _ in range(4):
        client.post("/reauth", data={"password": "not my password"})
    assert client.post("/reauth", data={"password": PASSWORD}).status_code == 302
    _old_login(client)
    for _ in range(4):
        client.post("/reauth", data={"password": "not my password"})
    assert client.post("/reauth", data={"password": PASSWORD}).status_code == 302


def test_the_code_typed_at_enrolment_cannot_sign_in(client, auth, make, db):
    user = make.contractor()
    auth.login(user)
    client.get("/account/mfa")
    db.expire_all()
    secret = db.get(User, user.id).totp_pending_secret
    assert secret
    code = mfa.code_at(secret)
    assert "recovery codes" in client.post("/account/mfa", data={"code": code}).get_data(
        as_text=True
    )
    auth.logout()
    _password_step(client, user)
    replay = client.post("/login/code", data={"code": code})
    assert "not right" in replay.get_data(as_text=True)
    later = mfa.code_at(secret, time.time() + mfa.STEP)
    assert client.post("/login/code", data={"code": later}).status_code == 302


def _sign_in(client, user, secret):
    _password_step(client, user)
    assert client.post("/login/code", data={"code": mfa.code_at(secret)}).status_code == 302


def test_turning_the_second_factor_off_stops_after_five_wrong_passwords(client, db, enrolled):
    user, secret = enrolled
    _sign_in(client, user, secret)
    for _ in range(5):
        page = client.post(
            "/account/mfa/disable", data={"password": "not my password"}, follow_redirects=True
        )
        assert "This is not your password." in page.get_data(as_text=True)
    refused = client.post(
        "/account/mfa/disable", data={"password": PASSWORD}, follow_redirects=True
    )
    assert "Too many wrong passwords" in refused.get_data(as_text=True)
    db.expire_all()
    assert db.get(User, user.id).totp_secret is not None  # still on
    assert _events(db, "reauth.failure") == 5
    assert _events(db, "mfa.disable") == 0


def test_the_right_password_turns_the_second_factor_off(client, db, enrolled):
    user, secret = enrolled
    _sign_in(client, user, secret)
    page = client.post("/account/mfa/disable", data={"password": PASSWORD}, follow_redirects=True)
    assert "The second factor is off." in page.get_data(as_text=True)
    db.expire_all()
    assert db.get(User, user.id).totp_secret is None
    assert _events(db, "mfa.disable") == 1
