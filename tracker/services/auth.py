"""Signing in: the same answer for unknown users and wrong passwords, throttled, audited."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tracker.errors import RateLimited, Unauthorized
from tracker.models import LoginAttempt, User, utcnow
from tracker.services import audit, passwords
from tracker.services.users import find_by_email

FAILED = "Email or password is not right."


def authenticate(
    session: Session,
    email: str,
    password: str,
    address: str,
    *,
    max_attempts: int = 5,
    window_seconds: int = 900,
) -> User | RateLimited | Unauthorized:
    """The active user with these credentials, or the refusal to show.

    The refusal is returned, not raised, so the edge commits the failure record with it.

    Failures are counted per account and per client address in the database, so every app
    process and host sees the same count; the window is short so nobody is locked out for long.
    """
    email = (email or "").strip().lower()[:254]
    since = utcnow() - dt.timedelta(seconds=window_seconds)
    per_account = session.scalar(
        select(func.count()).where(LoginAttempt.email == email, LoginAttempt.at > since)
    )
    per_address = session.scalar(
        select(func.count()).where(LoginAttempt.address == address, LoginAttempt.at > since)
    )
    if (per_account or 0) >= max_attempts or (per_address or 0) >= max_attempts * 20:
        audit.record(session, None, "login.throttled", target_type="user", email=email)
        return RateLimited(
            "Too many sign-in attempts. Wait a few minutes and try again.",
            retry_after=window_seconds,
        )
    user = find_by_email(session, email)
    ok = passwords.verify(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        session.add(LoginAttempt(email=email, address=address))
        audit.record(
            session, None, "login.failure", target_type="user",
            target_id=user.id if user else None, email=email,
        )
        return Unauthorized(FAILED)
    assert user.password_hash is not None  # verify() is False without one  # noqa: S101
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
    user.last_login_at = utcnow()
    audit.record(session, user, "login.success", user)
    return user
