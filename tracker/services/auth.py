"""Signing in and re-entering the password: the same answer for unknown users and wrong
passwords, throttled in the database (every process and host sees the same counts), audited.

Throttling holds across processes and hosts without letting an attacker lock a victim out for
long:

- per (account, client address): after ``max_attempts`` failures in the window that address is
  refused for that account, even with the right password;
- per client address, whatever the account: refused after 20 times ``max_attempts``;
- per account across many addresses: never refused outright, since anyone could then keep the
  owner out; the answer is only slowed down (``login_delay``, at most about a second), and a
  correct password from a clean address still signs in;
- from a trusted device (a browser the account signed in from before, holding the signed
  device cookie ``security`` issues): only that device's own failures count, so nobody sharing
  the owner's address (an office, a proxy) can lock them out, and an admin can always get in
  during an incident. A stolen device cookie still gets ``max_attempts`` guesses per window.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass, replace
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tracker.db import is_postgres
from tracker.errors import Invalid, RateLimited, Unauthorized
from tracker.models import AuthFailure, LoginAttempt, User, utcnow
from tracker.services import audit, passwords
from tracker.services.users import find_by_email

# Lazy: each refusal reads in the language of the request that gets it (str() at that moment).
FAILED = _l("Email or password is not right.")
TOO_MANY = _l("Too many sign-in attempts. Wait a few minutes and try again.")
NOT_YOURS = _l("This is not your password.")
ADDRESS_FACTOR = 20  # failures per address (any account) = this times max_attempts
DELAY_CAP_SECONDS = 1.0
KEEP_ATTEMPTS = dt.timedelta(days=1)  # failed attempts older than this (or the window) go
PURGE_BATCH = 200  # old attempts forgotten per new failure, at most

Failures = type[LoginAttempt] | type[AuthFailure]


def _remember(session: Session, failure: LoginAttempt | AuthFailure, window_seconds: int) -> None:
    """Keep one failed attempt, and forget a few attempts of its kind too old to count.

    Kept for a day at least, or the throttle window when that is longer. Each failure removes
    at most ``PURGE_BATCH`` of the oldest, through the index on ``at``, so a backlog drains
    over a few failures instead of stalling one; on PostgreSQL rows another transaction holds
    are skipped, never waited for.
    """
    model: Failures = type(failure)
    failure.at = utcnow()
    keep = max(KEEP_ATTEMPTS, dt.timedelta(seconds=window_seconds))
    oldest = select(model.id).where(model.at < failure.at - keep).order_by(model.at)
    oldest = oldest.limit(PURGE_BATCH)
    if is_postgres(session):
        oldest = oldest.with_for_update(skip_locked=True)
    session.execute(delete(model).where(model.id.in_(oldest.scalar_subquery())))
    session.add(failure)


def _count(session: Session, model: Failures, window_seconds: int, *where: Any) -> int:
    since = utcnow() - dt.timedelta(seconds=window_seconds)
    query = select(func.count()).select_from(model).where(model.at > since, *where)
    return int(session.scalar(query) or 0)


def record_failure(session: Session, key: str, address: str, window_seconds: int) -> None:
    """Count one failed sign-in for the typed email ``key`` from ``address`` (a client address
    or a trusted device's key)."""
    _remember(session, LoginAttempt(email=key, address=(address or "?")[:100]), window_seconds)


def clear_failures(session: Session, key: str, address: str | None = None) -> None:
    """Forget the failed sign-ins of ``key`` (from ``address`` only, when given)."""
    query = delete(LoginAttempt).where(LoginAttempt.email == key)
    if address is not None:
        query = query.where(LoginAttempt.address == address)
    session.execute(query)


def count_failures(session: Session, window_seconds: int, **keys: str) -> int:
    """Failed sign-ins within the window matching the keys (``email=``, ``address=``)."""
    return _count(
        session,
        LoginAttempt,
        window_seconds,
        *(getattr(LoginAttempt, name) == value for name, value in keys.items()),
    )


DEVICE_PREFIX = "device:"  # a trusted device's key, where failures otherwise keep an address


def device_source(device: str | None) -> str | None:
    """The ``address`` failures from a trusted device are kept under (None: no device)."""
    return f"{DEVICE_PREFIX}{device}"[:100] if device else None


def record_user_failure(
    session: Session,
    user: User,
    kind: str,
    address: str,
    window_seconds: int,
    device: str | None = None,
) -> None:
    """Count one failed check of a signed-in user: ``kind`` is "mfa" or "reauth".

    From a trusted device (its key), the failure is kept under the device, which alone counts
    it; otherwise under the client address (an IP address, else "?").
    """
    source = device_source(device) or _clean_address(address)
    _remember(session, AuthFailure(user_id=user.id, kind=kind, address=source), window_seconds)


def clear_user_failures(session: Session, user: User, kind: str) -> None:
    """Forget the user's failed checks of one kind."""
    session.execute(
        delete(AuthFailure).where(AuthFailure.user_id == user.id, AuthFailure.kind == kind)
    )


def count_user_failures(
    session: Session, user: User, kind: str, window_seconds: int, device: str | None = None
) -> int:
    """The user's failed checks of one kind within the window: those of the trusted device
    ``device`` only, or (without one) those from anywhere but a trusted device."""
    source = device_source(device)
    return _count(
        session,
        AuthFailure,
        window_seconds,
        AuthFailure.user_id == user.id,
        AuthFailure.kind == kind,
        AuthFailure.address == source
        if source is not None
        else AuthFailure.address.not_like(f"{DEVICE_PREFIX}%"),
    )


def _clean_address(address: str | None) -> str:
    """The client address as an IP address, else "?": behind a proxy the address comes from a
    header the client can type into, and no typed text may land in another key's space (the
    trusted devices' ``device:…``)."""
    try:
        return str(ipaddress.ip_address((address or "").strip()))
    except ValueError:
        return "?"


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # text PostgreSQL refuses to store or compare


def _clean_email(email: str | None) -> str:
    """The typed email as a throttle key: trimmed, lower case, at most 254 characters, with
    what no database column can hold replaced (so it matches no account, and is still counted).
    """
    return _UNSTORABLE.sub("\ufffd", (email or "").strip().lower()[:254])


def login_delay(
    session: Session,
    email: str,
    *,
    max_attempts: int = 5,
    window_seconds: int = 900,
    cap_seconds: float = DELAY_CAP_SECONDS,
) -> float:
    """Seconds to hold back the answer to a sign-in for an account with many recent failures.

    Counted over every address: 0 below ``max_attempts``, then 0.25 s doubling per further
    failure, never more than ``cap_seconds``. The caller waits outside any transaction.
    """
    excess = count_failures(session, window_seconds, email=_clean_email(email)) - max_attempts
    if excess < 0:
        return 0.0
    return min(cap_seconds, 0.25 * 2 ** min(excess, 8))


@dataclass(frozen=True)
class SignIn:
    """What a sign-in attempt found before any write: ``check_sign_in``'s answer, for
    ``record_sign_in``."""

    email: str
    address: str  # the client address, or the trusted device's key ("device:…")
    window_seconds: int
    throttled: bool = False
    user_id: int | None = None
    password: passwords.Checked | None = None
    new_hash: str | None = None  # the password hashed again with the active parameters


def check_sign_in(
    session: Session,
    email: str,
    password: str,
    address: str,
    *,
    device: tuple[int, str] | None = None,
    max_attempts: int = 5,
    window_seconds: int = 900,
) -> SignIn:
    """Read the throttle's counts and the account, and compare the password: reads only.

    Call it before the unit of work (``db.begin_read``): the password is hashed here, where no
    write lock is held. A throttled attempt is not hashed at all. ``device`` is the (user id,
    key) of a trusted-device cookie the client sent: for that user, only the device's own
    failures count (see the module docstring).
    """
    email = _clean_email(email)
    address = _clean_address(address)
    user = find_by_email(session, email)
    if device is not None and user is not None and device[0] == user.id:
        address = device_source(device[1]) or address
        too_many = count_failures(session, window_seconds, email=email, address=address)
        throttled = too_many >= max_attempts
    else:
        pair = count_failures(session, window_seconds, email=email, address=address)
        per_address = count_failures(session, window_seconds, address=address)
        throttled = pair >= max_attempts or per_address >= max_attempts * ADDRESS_FACTOR
    attempt = SignIn(email, address, window_seconds)
    if throttled:
        return replace(attempt, throttled=True)
    checked = passwords.check(user.password_hash if user else None, password)
    new_hash = None
    if checked.ok and checked.stored_hash and passwords.needs_rehash(checked.stored_hash):
        new_hash = passwords.hash_password(password)
    return replace(attempt, user_id=user.id if user else None, password=checked, new_hash=new_hash)


def throttled(attempt: SignIn) -> RateLimited:
    """The answer to a throttled attempt, without recording it (the edge audits throttled
    attempts at most once a minute per account and address, through ``record_sign_in``)."""
    return RateLimited(str(TOO_MANY), retry_after=attempt.window_seconds)


def record_sign_in(session: Session, attempt: SignIn) -> User | RateLimited | Unauthorized:
    """Keep what a checked sign-in attempt means: the user, or the refusal to show.

    Writes only what the answer needs (a failure, the audit event, the last sign-in); no
    hashing. The account is read again here: one disabled, or whose password changed, since
    the check is refused. The refusal is returned, not raised, so the edge commits it.
    """
    email, address = attempt.email, attempt.address
    if attempt.throttled:
        audit.record(session, None, "login.throttled", target_type="user", email=email)
        return throttled(attempt)
    user = session.get(User, attempt.user_id) if attempt.user_id is not None else None
    checked = attempt.password
    ok = user is not None and checked is not None and checked.still_matches(user.password_hash)
    if not ok or user is None or not user.active:
        record_failure(session, email, address, attempt.window_seconds)
        audit.record(
            session,
            None,
            "login.failure",
            target_type="user",
            target_id=user.id if user else None,
            email=email,
        )
        return Unauthorized(str(FAILED))
    if attempt.new_hash is not None:
        user.password_hash = attempt.new_hash
    clear_failures(session, email, address)
    user.last_login_at = utcnow()
    audit.record(session, user, "login.success", user)
    return user


def authenticate(
    session: Session,
    email: str,
    password: str,
    address: str,
    *,
    max_attempts: int = 5,
    window_seconds: int = 900,
) -> User | RateLimited | Unauthorized:
    """The active user with these credentials, or the refusal to show (check, then record).

    RateLimited when this address has ``max_attempts`` failures for this account in the window,
    or 20 times that for any accounts; failures from other addresses never refuse a correct
    password (see the module docstring). A correct password clears this address's failures
    for the account only, so an attacker's count elsewhere keeps running down on its own.
    Interfaces call ``check_sign_in`` before their unit of work and ``record_sign_in`` in it.
    """
    attempt = check_sign_in(
        session,
        email,
        password,
        address,
        max_attempts=max_attempts,
        window_seconds=window_seconds,
    )
    return record_sign_in(session, attempt)


def reauthenticate(
    session: Session,
    user: User,
    password: str | passwords.Checked,
    address: str,
    *,
    max_attempts: int = 5,
    window_seconds: int = 900,
) -> RateLimited | Invalid | None:
    """Check the signed-in user's password before a sensitive action; None when it is right.

    The refusal is returned, not raised, so the edge commits the failure record with it.
    Failures are counted per user in the database (a stolen session cannot guess the password
    for long) and audited as ``reauth.failure``; after ``max_attempts`` in the window the answer
    is RateLimited, even for the right password, until the window has passed. Interfaces pass
    the password already compared (``passwords.check``, before the unit of work), so no hashing
    happens under the write lock.
    """
    if isinstance(password, str):
        password = passwords.check(user.password_hash, password)
    if count_user_failures(session, user, "reauth", window_seconds) >= max_attempts:
        audit.record(session, user, "reauth.throttled", user)
        return RateLimited(
            _("Too many wrong passwords. Wait a few minutes and try again."),
            retry_after=window_seconds,
        )
    if not password.still_matches(user.password_hash):
        record_user_failure(session, user, "reauth", address, window_seconds)
        audit.record(session, user, "reauth.failure", user)
        return Invalid.field("password", str(NOT_YOURS))
    clear_user_failures(session, user, "reauth")
    return None
