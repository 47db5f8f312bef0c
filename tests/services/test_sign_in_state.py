"""A signed-in user's failed checks and last accepted code step have a table and a column of
their own: no text typed into the sign-in form can reach them."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tracker.models import AuthFailure, LoginAttempt, User
from tracker.services import auth, mfa


def _count(db, model):
    return db.scalar(select(func.count()).select_from(model))


def test_typed_sign_in_keys_never_count_as_a_users_code_or_password_failures(db, make):
    user = db.get(User, make.contractor().id)
    for typed in (f"mfa:{user.id}", f"reauth:{user.id}", f"totp:{user.id}"):
        for _ in range(6):
            auth.authenticate(db, typed, "wrong password", "203.0.113.7")
    db.commit()
    assert mfa.failures(db, user) == 0
    assert auth.count_user_failures(db, user, "reauth", 900) == 0
    # The same right password is not refused for a throttle that typed text ran up.
    assert auth.reauthenticate(db, user, "factory-password-1234", "203.0.113.8") is None
    assert _count(db, AuthFailure) == 0


def test_wrong_codes_and_passwords_are_kept_per_user_apart_from_typed_emails(db, make):
    user = db.get(User, make.contractor().id)
    secret = mfa.pending_secret(db, user)
    mfa.enable(db, user, mfa.code_at(secret, time.time() - mfa.STEP))
    assert not mfa.verify(db, user, "000000", "203.0.113.7")
    assert auth.reauthenticate(db, user, "not my password", "203.0.113.7") is not None
    db.commit()
    assert mfa.failures(db, user) == 1
    assert auth.count_user_failures(db, user, "reauth", 900) == 1
    assert _count(db, LoginAttempt) == 0


def test_a_code_works_once_and_its_step_is_kept_on_the_user(db, make):
    user = db.get(User, make.contractor().id)
    secret = mfa.pending_secret(db, user)
    mfa.enable(db, user, mfa.code_at(secret, time.time() - mfa.STEP))
    code = mfa.code_at(secret)
    step = mfa.matching_step(secret, code)
    assert mfa.verify(db, user, code)
    db.commit()
    db.refresh(user)
    assert user.totp_last_step == step
    assert not mfa.verify(db, user, code)  # reused: refused, and counted
    assert _count(db, LoginAttempt) == 0


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(typed=st.text(max_size=300), address=st.text(max_size=60))
def test_no_typed_email_or_address_reaches_a_users_checks_or_a_device(db, make, typed, address):
    user = db.get(User, make.contractor(email=f"victim{time.monotonic_ns()}@example.com").id)
    for text in (typed, f"{typed}:{user.id}"):
        auth.authenticate(db, text, "wrong password", address, max_attempts=1000)
    db.commit()
    assert _count(db, AuthFailure) == 0
    typed_addresses = set(db.scalars(select(LoginAttempt.address)))
    assert not any(a.startswith("device:") for a in typed_addresses)
    assert mfa.failures(db, user) == 0
