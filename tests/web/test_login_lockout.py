"""Nobody can lock someone else out: the hard block is per (account, address) and per address;
failures from many addresses only slow the account's answers down, briefly."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from tracker import security
from tracker.models import AuditEvent, LoginAttempt
from tracker.services import auth as auth_service


@pytest.fixture
def app_config(app_config):
    return {**app_config, "LOGIN_MAX_ATTEMPTS": 3}


def _login(client, email, password, address):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_failures_from_many_addresses_do_not_lock_the_owner_out(client, make, db):
    victim = make.admin()
    for n in range(6):  # twice the limit, each from its own address
        assert (
            _login(client, victim.email, "guessing wrong 123", f"203.0.113.{n}").status_code == 401
        )
    # A further wrong guess from a new address is answered as usual, not refused …
    assert _login(client, victim.email, "guessing wrong 123", "203.0.113.50").status_code == 401
    # … and the owner, from their own address, signs in with the right password.
    ok = _login(client, victim.email, PASSWORD, "198.51.100.9")
    assert ok.status_code == 302
    assert client.get("/").status_code == 200


def test_the_address_that_failed_is_refused_for_that_account_even_with_the_password(
    client, make, db
):
    user = make.contractor()
    for _ in range(3):
        assert _login(client, user.email, "guessing wrong 123", "203.0.113.7").status_code == 401
    blocked = _login(client, user.email, PASSWORD, "203.0.113.7")
    assert blocked.status_code == 429
    assert "Too many sign-in attempts" in blocked.get_data(as_text=True)
    assert 0 < int(blocked.headers["Retry-After"]) <= 900  # bounded by the window
    # Another account from the same address is not affected by that account's count.
    other = make.contractor()
    assert _login(client, other.email, PASSWORD, "203.0.113.7").status_code == 302


def test_one_address_guessing_many_accounts_is_refused_after_twenty_times_the_limit(
    client, make, db
):
    user = make.contractor()
    for n in range(60):  # 20 times the limit, over accounts that mostly do not exist
        email = f"nobody{n % 30}@example.com"
        assert _login(client, email, "guessing wrong 123", "203.0.113.99").status_code == 401
    assert _login(client, user.email, PASSWORD, "203.0.113.99").status_code == 429
    assert _login(client, user.email, PASSWORD, "198.51.100.1").status_code == 302


def test_unknown_accounts_get_the_same_answers_from_many_addresses(client):
    answers = [
        _login(client, "ghost@example.com", "guessing wrong 123", f"203.0.113.{n}").status_code
        for n in range(5)
    ]
    assert answers == [401] * 5


def test_signing_in_clears_only_the_failures_of_that_address(client, make, db):
    user = make.contractor()
    _login(client, user.email, "guessing wrong 123", "203.0.113.1")
    _login(client, user.email, "guessing wrong 123", "203.0.113.2")
    assert _login(client, user.email, PASSWORD, "203.0.113.2").status_code == 302
    left = db.scalars(select(LoginAttempt.address).where(LoginAttempt.email == user.email)).all()
    assert left == ["203.0.113.1"]  # the attacker's count elsewhere keeps running


def test_the_account_wide_slowdown_is_short_and_capped(app, db, make):
    user = make.contractor()
    assert auth_service.login_delay(db, user.email, max_attempts=3) == 0
    for n in range(30):
        db.add(LoginAttempt(email=user.email, address=f"203.0.113.{n}"))
    db.commit()
    delay = auth_service.login_delay(db, user.email, max_attempts=3)
    assert 0 < delay <= 1.0
    assert auth_service.login_delay(db, "other@example.com", max_attempts=3) == 0


def test_refusals_and_failures_are_audited(client, make, db):
    user = make.contractor()
    for _ in range(6):  # the refusals after the first throttled one are not each recorded
        _login(client, user.email, "guessing wrong 123", "203.0.113.3")
    actions = dict(
        db.execute(
            select(AuditEvent.action, func.count())
            .where(AuditEvent.action.like("login.%"))
            .group_by(AuditEvent.action)
        ).all()
    )
    assert actions == {"login.failure": 3, "login.throttled": 1}


@pytest.fixture
def sleeps(monkeypatch):
    """The seconds each slowed answer waited (the wait itself skipped)."""
    waited: list[float] = []
    monkeypatch.setattr(security, "_sleep", waited.append)
    return waited


def _many_failures(db, email):
    for n in range(30):
        db.add(LoginAttempt(email=email, address=f"203.0.113.{n}"))
    db.commit()


def test_after_many_failures_only_wrong_passwords_are_slowed(client, make, db, sleeps):
    user = make.contractor()
    _many_failures(db, user.email)
    assert _login(client, user.email, "guessing wrong 123", "198.51.100.1").status_code == 401
    assert len(sleeps) == 1
    assert 0 < sleeps[0] <= 1.0
    # The owner's right password is answered at once, and so is a throttled refusal.
    assert _login(client, user.email, PASSWORD, "198.51.100.2").status_code == 302
    client.post("/logout")
    for _ in range(3):
        _login(client, user.email, "guessing wrong 123", "198.51.100.3")
    sleeps.clear()
    assert _login(client, user.email, PASSWORD, "198.51.100.3").status_code == 429
    assert sleeps == []


def test_when_enough_answers_are_slowed_a_wrong_password_is_refused_at_once(
    client, make, db, sleeps
):
    user = make.contractor()
    _many_failures(db, user.email)
    busy = [security._slowed.acquire(blocking=False) for _ in range(security.SLOWED_AT_ONCE)]
    try:
        refused = _login(client, user.email, "guessing wrong 123", "198.51.100.4")
    finally:
        for taken in busy:
            if taken:
                security._slowed.release()
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert sleeps == []
    assert _login(client, user.email, PASSWORD, "198.51.100.5").status_code == 302
