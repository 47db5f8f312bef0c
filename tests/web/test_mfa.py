"""TOTP second factor: enrolment with a server-rendered QR code, the sign-in step, enforcement."""

from __future__ import annotations

import time

import pytest

from tests.conftest import PASSWORD
from tracker.services import mfa


def test_rfc6238_reference_code():
    # RFC 6238 appendix B, SHA-1, T = 59 s, secret "12345678901234567890", 8 digits → 94287082;
    # with six digits the code is the last six.
    import base64

    secret = base64.b32encode(b"12345678901234567890").decode()
    assert mfa.code_at(secret, 59) == "287082"
    assert mfa.code_at(secret, 1111111109) == "081804"


def _shown_secret(page):
    """The key the enrolment page shows for typing in by hand."""
    import re

    return re.search(r'<span class="token">([A-Z2-7]+)</span>', page).group(1)


def _enrol(client, auth, user):
    auth.login(user)
    page = client.get("/account/mfa").get_data(as_text=True)
    assert "<svg" in page  # the QR code is inline SVG made on the server
    secret = _shown_secret(page)
    with client.session_transaction() as s:
        assert secret not in repr(dict(s))  # never in the (signed, readable) cookie
    # Reloading the page shows the same key: it is kept on the server until enrolment ends.
    assert _shown_secret(client.get("/account/mfa").get_data(as_text=True)) == secret
    # The previous step's code (still accepted), so the current one can sign in afterwards.
    code = mfa.code_at(secret, time.time() - mfa.STEP)
    response = client.post("/account/mfa", data={"code": code})
    assert response.status_code == 200
    assert "recovery codes" in response.get_data(as_text=True).lower()
    return secret, response.get_data(as_text=True)


def test_enrolled_user_needs_the_code_to_sign_in(client, auth, make):
    user = make.contractor()
    secret, _ = _enrol(client, auth, user)
    auth.logout()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/login/code")
    assert client.get("/").status_code == 302  # not signed in yet
    wrong = client.post("/login/code", data={"code": "000000"})
    assert "not right" in wrong.get_data(as_text=True)
    ok = client.post("/login/code", data={"code": mfa.code_at(secret)})
    assert ok.status_code == 302
    assert client.get("/").status_code == 200


def test_a_recovery_code_works_once(client, auth, make):
    user = make.contractor()
    _secret, page = _enrol(client, auth, user)
    code = page.split("<code>")[1].split("</code>")[0]
    for expected in (200, None):
        auth.logout()
        client.post("/login", data={"email": user.email, "password": PASSWORD})
        response = client.post("/login/code", data={"code": code})
        if expected == 200:
            assert response.status_code == 302
        else:
            assert "not right" in response.get_data(as_text=True)


def test_the_second_step_expires(client, auth, make):
    user = make.contractor()
    secret, _ = _enrol(client, auth, user)
    auth.logout()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    with client.session_transaction() as s:
        s["mfa_started"] = time.time() - 3600
    response = client.post("/login/code", data={"code": mfa.code_at(secret)})
    assert "/login" in response.headers["Location"]
    assert client.get("/").status_code == 302


class TestRequired:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "REQUIRE_MFA": True}

    def test_admin_must_enrol_before_anything_else(self, client, auth, make):
        admin = make.admin()
        auth.login(admin)
        response = client.get("/admin/projects/")
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/account/mfa")

    def test_contractor_is_not_forced(self, client, auth, make):
        auth.login(make.contractor())
        assert client.get("/").status_code == 200
