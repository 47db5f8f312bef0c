"""The account page: change your password (other sessions end), create and revoke API tokens."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.conftest import PASSWORD
from tracker.models import ApiToken, AuditEvent

NEW_PASSWORD = "a fresh long passphrase"


def _token(page: str) -> str:
    match = re.search(r'<p class="token">(trk_[^<]+)</p>', page)
    assert match, "no new token shown"
    return match.group(1)


def test_changing_the_password_ends_other_sessions_and_keeps_this_one(app, client, auth, make):
    user = make.contractor()
    auth.login(user)
    other = app.test_client()
    other.post("/login", data={"email": user.email, "password": PASSWORD})
    response = client.post(
        "/account/password",
        data={
            "pw-current_password": PASSWORD,
            "pw-new_password": NEW_PASSWORD,
        },
        follow_redirects=True,
    )
    assert "Your password is changed." in response.get_data(as_text=True)
    assert client.get("/account/").status_code == 200
    assert other.get("/").status_code == 302
    assert (
        app.test_client()
        .post("/login", data={"email": user.email, "password": NEW_PASSWORD})
        .status_code
        == 302
    )
    assert (
        app.test_client()
        .post("/login", data={"email": user.email, "password": PASSWORD})
        .status_code
        == 401
    )


def test_a_wrong_current_password_is_refused_beside_the_field(client, auth, make):
    user = make.contractor()
    auth.login(user)
    response = client.post(
        "/account/password",
        data={
            "pw-current_password": "not my password!",
            "pw-new_password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This is not your current password." in page.split('id="pw-current_password-error"')[1]


def test_a_weak_new_password_is_refused_beside_the_field(client, auth, make):
    auth.login(make.contractor())
    for weak, message in (
        ("short", "Use at least 12 characters."),
        ("password1234", "common passwords"),
        ("x" * 129, "Field cannot be longer than 128 characters."),
    ):
        response = client.post(
            "/account/password",
            data={
                "pw-current_password": PASSWORD,
                "pw-new_password": weak,
            },
        )
        page = response.get_data(as_text=True)
        assert message in page.split('id="pw-new_password-error"')[1].split("</p>")[0], weak


def test_a_new_token_is_shown_once_and_works_against_the_api(app, client, auth, make, db):
    user = make.contractor()
    auth.login(user)
    page = client.post("/account/tokens", data={"tk-name": "laptop script"}).get_data(as_text=True)
    raw = _token(page)
    api = app.test_client()
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert me.status_code == 200
    assert me.get_json()["email"] == user.email
    listing = client.get("/account/").get_data(as_text=True)
    assert "laptop script" in listing
    assert raw not in listing
    row = db.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert raw not in (row.token_hash, row.prefix)
    assert raw not in str([e.data for e in db.scalars(select(AuditEvent))])


def test_a_revoked_token_stops_working(app, client, auth, make, db):
    user = make.contractor()
    auth.login(user)
    raw = _token(client.post("/account/tokens", data={"tk-name": "ci"}).get_data(as_text=True))
    token = db.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    page = client.post(f"/account/tokens/{token.id}/revoke", follow_redirects=True)
    assert "The token is revoked." in page.get_data(as_text=True)
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 401


def test_revoking_someone_elses_token_is_a_404_and_leaves_it_working(app, client, auth, make, db):
    owner, intruder = make.contractor(), make.contractor()
    raw = make.token(owner)
    token = db.scalar(select(ApiToken).where(ApiToken.user_id == owner.id))
    auth.login(intruder)
    response = client.post(f"/account/tokens/{token.id}/revoke")
    assert response.status_code == 404
    db.refresh(token)
    assert token.revoked_at is None
    assert (
        app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code
        == 200
    )


def test_a_token_needs_a_name(client, auth, make, db):
    user = make.contractor()
    auth.login(user)
    response = client.post("/account/tokens", data={"tk-name": ""})
    assert response.status_code == 422
    assert 'id="tk-name-error"' in response.get_data(as_text=True)
    assert db.scalar(select(ApiToken).where(ApiToken.user_id == user.id)) is None


def test_someone_elses_tokens_are_not_listed(client, auth, make):
    owner, viewer = make.contractor(), make.contractor()
    make.token(owner)
    auth.login(viewer)
    assert "You have no API tokens." in client.get("/account/").get_data(as_text=True)


def test_a_contractor_sets_their_own_timezone(client, auth, db, make):
    person = make.contractor(timezone="UTC")
    auth.login(person)
    page = client.get("/account/").get_data(as_text=True)
    assert 'name="tz-timezone"' in page
    done = client.post(
        "/account/timezone", data={"tz-timezone": "Pacific/Auckland"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Your timezone is Pacific/Auckland." in done
    db.refresh(person)
    assert person.timezone == "Pacific/Auckland"
    refused = client.post("/account/timezone", data={"tz-timezone": "Mars/Olympus"})
    assert refused.status_code == 422
    db.refresh(person)
    assert person.timezone == "Pacific/Auckland"
