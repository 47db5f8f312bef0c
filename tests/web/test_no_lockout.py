"""Nobody can lock another person out, whatever they type or wherever they sit.

An attacker who shares the owner's address (an office, a proxy) can run that address's throttle
up; a browser the owner signed in from before (its signed device cookie) still gets in with the
right password. Typed text and header-typed addresses never reach another account's counters.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from tracker.models import AuthFailure, LoginAttempt, User
from tracker.security import DEVICE_COOKIE
from tracker.services import auth as auth_service
from tracker.services import mfa

OFFICE = "198.51.100.20"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "LOGIN_MAX_ATTEMPTS": 3}


def _login(client, email, password, address=OFFICE):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def _trusted_browser(app, user):
    """A browser the user signed in from once (and signed out of)."""
    browser = app.test_client()
    assert _login(browser, user.email, PASSWORD).status_code == 302
    browser.post("/logout")
    return browser


def test_an_attacker_at_the_admins_address_cannot_keep_the_admin_out(app, client, make):
    admin = make.admin()
    browser = _trusted_browser(app, admin)
    for _ in range(5):  # more than the limit, from the admin's own office address
        _login(client, admin.email, "guessing wrong 123")
    assert _login(app.test_client(), admin.email, PASSWORD).status_code == 429  # a new browser
    signed_in = _login(browser, admin.email, PASSWORD)
    assert signed_in.status_code == 302
    assert browser.get("/").status_code == 200


def test_an_address_refused_for_every_account_still_lets_trusted_browsers_in(app, client, make):
    admin = make.admin()
    browser = _trusted_browser(app, admin)
    for n in range(60):  # twenty times the limit, spread over made-up accounts
        _login(client, f"someone{n}@example.com", "guessing wrong 123")
    assert _login(client, make.contractor().email, PASSWORD).status_code == 429
    assert _login(browser, admin.email, PASSWORD).status_code == 302


def test_a_trusted_browser_gets_only_its_own_few_guesses(app, make):
    admin = make.admin()
    browser = _trusted_browser(app, admin)
    for _ in range(3):
        assert _login(browser, admin.email, "guessing wrong 123").status_code == 401
    assert _login(browser, admin.email, PASSWORD).status_code == 429
    # The owner's other browsers and addresses are not affected.
    assert _login(app.test_client(), admin.email, PASSWORD, "203.0.113.5").status_code == 302


@pytest.mark.parametrize("cookie", ["not-signed", "W1sxXSwgImtleSJd.forged.signature", "x" * 600])
def test_a_forged_device_cookie_is_no_trusted_browser(app, client, make, cookie):
    admin = make.admin()
    for _ in range(3):
        _login(client, admin.email, "guessing wrong 123")
    forger = app.test_client()
    forger.set_cookie(DEVICE_COOKIE, cookie)
    assert _login(forger, admin.email, PASSWORD).status_code == 429


def test_another_accounts_device_cookie_does_not_help(app, client, make):
    admin, other = make.admin(), make.contractor()
    browser = _trusted_browser(app, other)  # trusted, but for someone else
    for _ in range(3):
        _login(client, admin.email, "guessing wrong 123")
    assert _login(browser, admin.email, PASSWORD).status_code == 429


def test_the_device_cookie_is_http_only_and_set_after_the_second_step(app, make, db):
    user = db.get(User, make.contractor().id)
    secret = mfa.pending_secret(db, user)
    mfa.enable(db, user, _previous_code(secret))
    db.commit()
    browser = app.test_client()
    password_step = _login(browser, user.email, PASSWORD)
    assert DEVICE_COOKIE not in password_step.headers.get("Set-Cookie", "")
    done = browser.post("/login/code", data={"code": mfa.code_at(secret)})
    cookie = next(c for c in done.headers.getlist("Set-Cookie") if c.startswith(DEVICE_COOKIE))
    assert "HttpOnly" in cookie


def _previous_code(secret):
    import time

    return mfa.code_at(secret, time.time() - mfa.STEP)


HOSTILE = [
    "mfa:{id}",
    "reauth:{id}",
    "totp:{id}",
    "device:{id}",
    "{id}",
    " {email} ",
    "{email}\x00",
    "{email}" + " " * 300,
    "ＭＦＡ:{id}",
    "' OR 1=1 --",
]


@pytest.mark.parametrize("typed", HOSTILE)
def test_typed_strings_never_reach_another_accounts_counters(app, client, make, db, typed):
    victim = db.get(User, make.admin().id)
    text = typed.format(id=victim.id, email="someone-else@example.com")
    for _ in range(6):
        _login(client, text, "guessing wrong 123", "203.0.113.66")
    assert mfa.failures(db, victim) == 0
    assert auth_service.count_user_failures(db, victim, "reauth", 900) == 0
    assert db.scalar(select(func.count()).select_from(AuthFailure)) == 0
    typed_rows = select(func.count()).where(LoginAttempt.email == victim.email)
    assert db.scalar(typed_rows) == 0
    assert _login(app.test_client(), victim.email, PASSWORD).status_code == 302


@pytest.mark.parametrize("forwarded", ["device:abc", "not an address", "203.0.113.9, device:x"])
def test_an_address_typed_into_a_header_lands_in_no_other_key(app, make, db, forwarded):
    # Behind a proxy, the client address comes from a header the client writes.
    admin = make.admin()
    browser = _trusted_browser(app, admin)
    for _ in range(4):
        _login(app.test_client(), admin.email, "guessing wrong 123", forwarded)
    addresses = set(db.scalars(select(LoginAttempt.address)))
    assert not any(a.startswith("device:") for a in addresses)
    assert _login(browser, admin.email, PASSWORD).status_code == 302


def test_someone_with_the_password_cannot_keep_the_owners_browser_from_the_second_step(
    app, make, db
):
    import time

    admin = db.get(User, make.admin().id)
    secret = mfa.pending_secret(db, admin)
    mfa.enable(db, admin, _previous_code(secret))
    db.commit()
    browser = app.test_client()  # the owner's browser: fully signed in once, then out
    assert _login(browser, admin.email, PASSWORD).status_code == 302
    assert browser.post("/login/code", data={"code": mfa.code_at(secret)}).status_code == 302
    browser.post("/logout")
    intruder = app.test_client()  # has the password, not the phone
    for _ in range(6):
        assert _login(intruder, admin.email, PASSWORD, "203.0.113.99").status_code == 302
        intruder.post("/login/code", data={"code": "000000"})
    # A browser the owner never used is now refused the second step for a while …
    other = app.test_client()
    _login(other, admin.email, PASSWORD, "203.0.113.98")
    later = mfa.code_at(secret, time.time() + mfa.STEP)
    refused = other.post("/login/code", data={"code": later}, follow_redirects=True)
    assert "Too many wrong codes" in refused.get_data(as_text=True)
    # … but the owner's own browser gets in with the next code.
    assert _login(browser, admin.email, PASSWORD).status_code == 302
    assert browser.post("/login/code", data={"code": later}).status_code == 302
    assert browser.get("/").status_code == 200
