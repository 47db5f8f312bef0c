"""Credentials cannot outlive their owner's control: recent login for the account's keys,
API tokens revoked with the account's control, the pending TOTP secret kept on the server, and
setup links that never skip an enrolled second factor."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from tracker.models import ApiToken, AuditEvent, User
from tracker.services import mfa, users


def _expire(client):
    with client.session_transaction() as session:
        session["auth_at"] -= 16 * 60


def _tokens(db, user):
    return db.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id))


def _works(client, raw):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("post", "/account/tokens", {"tk-name": "laptop"}),
        (
            "post",
            "/account/password",
            {"pw-current_password": PASSWORD, "pw-new_password": "x" * 20},
        ),
        ("get", "/account/mfa", None),
        ("post", "/account/mfa", {"code": "123456"}),
        ("post", "/account/mfa/disable", {"password": PASSWORD}),
    ],
)
def test_the_accounts_keys_need_a_recent_login(client, auth, make, db, method, path, data):
    user = make.contractor()
    auth.login(user)
    _expire(client)
    response = getattr(client, method)(path, data=data)
    assert response.status_code == 302
    assert "/reauth" in response.headers["Location"]
    db.expire_all()
    assert _tokens(db, user) == 0
    fresh = db.get(User, user.id)
    assert fresh.totp_pending_secret is None
    assert fresh.session_token == user.session_token  # the password did not change
    # Once the password is confirmed again, the same request goes through.
    assert client.post("/reauth", data={"password": PASSWORD}).status_code == 302
    again = getattr(client, method)(path, data=data)
    assert "/reauth" not in again.headers.get("Location", "")


def test_enrolling_while_the_role_requires_it_can_confirm_the_password(client, auth, make, app):
    app.config["REQUIRE_MFA"] = True
    auth.login(make.admin())
    _expire(client)
    assert "/reauth" in client.get("/account/mfa").headers["Location"]
    assert client.get("/reauth").status_code == 200  # not sent back to enrol first
    assert client.post("/reauth", data={"password": PASSWORD}).status_code == 302
    assert "<svg" in client.get("/account/mfa").get_data(as_text=True)


@pytest.mark.parametrize("action", ["disable", "reset"])
def test_disabling_or_resetting_a_user_revokes_their_api_tokens(client, auth, make, db, action):
    target = make.contractor()
    raw = make.token(target)
    assert _works(client, raw)
    auth.login(make.admin())
    done = client.post(f"/admin/users/{target.id}/{action}")
    assert done.status_code == 302
    assert not _works(client, raw)
    revoked = db.scalar(select(AuditEvent).where(AuditEvent.action == "token.revoke_all"))
    assert revoked.target_id == target.id


def test_a_role_change_through_the_api_revokes_the_users_tokens(client, api, make):
    target = make.contractor()
    raw = make.token(target)
    changed = api(make.admin()).patch(f"/users/{target.id}", json={"role": "payroll"})
    assert changed.status_code == 200
    assert not _works(client, raw)


def test_a_name_change_keeps_the_tokens(client, api, make):
    target = make.contractor()
    raw = make.token(target)
    assert api(make.admin()).patch(f"/users/{target.id}", json={"name": "New"}).status_code == 200
    assert _works(client, raw)


def test_signing_out_everywhere_offers_to_revoke_the_tokens(client, auth, make):
    user = make.contractor()
    kept, gone = make.token(user), make.token(user)
    auth.login(user)
    assert "Also revoke my API tokens" in client.get("/account/").get_data(as_text=True)
    client.post("/logout")
    assert _works(client, kept)
    auth.login(user)
    client.post("/logout", data={"revoke_tokens": "1"})
    assert not _works(client, kept)
    assert not _works(client, gone)


def test_an_admin_signs_someone_out_everywhere_with_their_tokens(client, auth, make):
    target = make.contractor()
    raw = make.token(target)
    auth.login(make.admin())
    client.post(f"/admin/users/{target.id}/signout")
    assert _works(client, raw)
    page = client.post(
        f"/admin/users/{target.id}/signout", data={"revoke_tokens": "1"}, follow_redirects=True
    )
    assert "their API tokens are revoked" in page.get_data(as_text=True)
    assert not _works(client, raw)


def test_a_reset_link_asks_an_enrolled_user_for_the_second_factor(client, make, db):
    user = db.get(User, make.contractor().id)
    secret = mfa.pending_secret(db, user)
    mfa.enable(db, user, mfa.code_at(secret, time.time() - mfa.STEP))
    token = users.create_setup_link(db, None, user, "reset")
    db.commit()
    client.get(f"/setup/{token}")
    done = client.post("/setup", data={"password": "a brand new password 42"})
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/login/code")
    assert client.get("/").status_code == 302  # not signed in without the code
    signed_in = client.post("/login/code", data={"code": mfa.code_at(secret)})
    assert signed_in.status_code == 302
    assert client.get("/").status_code == 200


def test_the_pending_secret_is_kept_on_the_server_and_used_up_by_enrolment(client, auth, make, db):
    user = make.contractor()
    auth.login(user)
    page = client.get("/account/mfa").get_data(as_text=True)
    shown = re.search(r'<span class="token">([A-Z2-7]+)</span>', page).group(1)
    with client.session_transaction() as session:
        assert shown not in repr(dict(session))
    db.expire_all()
    assert db.get(User, user.id).totp_pending_secret == shown
    client.post("/account/mfa", data={"code": mfa.code_at(shown, time.time() - mfa.STEP)})
    db.expire_all()
    enrolled = db.get(User, user.id)
    assert (enrolled.totp_secret, enrolled.totp_pending_secret) == (shown, None)
