"""Second factor: TOTP (RFC 6238) with single-use recovery codes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.db import is_postgres
from tracker.errors import Invalid, RateLimited
from tracker.models import SECOND_FACTOR_ROLES, User
from tracker.services import audit, passwords
from tracker.services.auth import (
    clear_user_failures,
    count_user_failures,
    reauthenticate,
    record_user_failure,
)

STEP = 30
DIGITS = 6
ISSUER = "tracker"
RECOVERY_CODES = 10
TOO_MANY = _l("Too many wrong codes. Sign in again in a few minutes.")


def required_for(user: User, required_by_config: bool) -> bool:
    """True when the user's role must use a second factor (admins and payroll, when configured)."""
    return required_by_config and user.role in SECOND_FACTOR_ROLES


def new_secret() -> str:
    """A random base32 secret (160 bits, as RFC 4226 recommends)."""
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def _code(secret: str, counter: int) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def code_at(secret: str, when: float | None = None) -> str:
    """The TOTP code for a moment (now by default)."""
    return _code(secret, int((time.time() if when is None else when) // STEP))


def matching_step(secret: str, code: str, when: float | None = None, window: int = 1) -> int | None:
    """The time step whose code this is (current step or one either side), or None."""
    # ASCII digits only: other scripts' digits pass isdigit() but are no code (and
    # hmac.compare_digest refuses non-ASCII text with a TypeError).
    clean = "".join(ch for ch in code if ch in "0123456789")
    if len(clean) != DIGITS:
        return None
    counter = int((time.time() if when is None else when) // STEP)
    for drift in range(-window, window + 1):
        if hmac.compare_digest(_code(secret, counter + drift), clean):
            return counter + drift
    return None


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    label = quote(f"{ISSUER}:{user.email}")
    return f"otpauth://totp/{label}?secret={secret}&issuer={ISSUER}&digits={DIGITS}&period={STEP}"


def qr_svg(uri: str) -> str:
    """The QR code of uri as inline SVG markup, rendered on the server (no script, no CDN)."""
    import segno

    return str(segno.make(uri, error="m").svg_inline(scale=4, title=_("QR code to scan")))


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").lower().encode()).hexdigest()


def pending_secret(session: Session, user: User) -> str:
    """The secret the user is enrolling with, made (and kept on the server) the first time.

    Kept on the user's row until ``enable`` accepts a code from it, so reloading the page shows
    the same QR code, and the secret never travels in the session cookie.
    """
    if not user.totp_pending_secret:
        user.totp_pending_secret = new_secret()
        session.flush()
    return user.totp_pending_secret


def enable(session: Session, user: User, code: str) -> list[str]:
    """Turn TOTP on with the pending secret once the user proves their app shows its code.

    Returns the recovery codes (shown once, stored hashed). Raises Invalid.
    """
    secret = user.totp_pending_secret
    if not secret:
        raise Invalid.field(
            "code", _("Start again: open the second-factor page to scan a new code.")
        )
    step = matching_step(secret, code)
    if step is None:
        raise Invalid.field("code", _("That code does not match; check the time on your phone."))
    _remember_step(session, user, step)  # the code just typed cannot then sign anyone in
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _code in range(RECOVERY_CODES)]
    user.totp_secret, user.totp_pending_secret = secret, None
    user.recovery_codes = [_hash_code(c) for c in codes]
    audit.record(session, user, "mfa.enable", user)
    return codes


def disable(
    session: Session,
    user: User,
    password: str | passwords.Checked,
    address: str = "?",
    *,
    max_attempts: int = 5,
    window_seconds: int = 900,
) -> RateLimited | Invalid | None:
    """Turn TOTP off, proving the password; None when done.

    The password check is the throttled one of re-authentication (``auth.reauthenticate``):
    wrong passwords are counted and audited, and after ``max_attempts`` in the window even the
    right one is refused for a while. The refusal is returned, not raised, so the edge commits
    the failure record with it.
    """
    refusal = reauthenticate(
        session,
        user,
        password,
        address,
        max_attempts=max_attempts,
        window_seconds=window_seconds,
    )
    if refusal is not None:
        return refusal
    user.totp_secret = None
    user.recovery_codes = []
    audit.record(session, user, "mfa.disable", user)
    return None


def _lock_user(session: Session, user: User) -> None:
    """Lock the user's row (PostgreSQL; SQLite's writer holds the database) and read it afresh.

    Whatever the code checks next — the last accepted step, the unused recovery codes — is then
    what the transaction before committed, and no other check of the same user's codes runs
    until this one commits.
    """
    query = select(User).where(User.id == user.id).execution_options(populate_existing=True)
    if is_postgres(session):
        query = query.with_for_update()
    session.scalars(query).one()


def _last_step(session: Session, user: User) -> int:
    """The last TOTP time step accepted for the user (-1: none); read under ``_lock_user``."""
    return -1 if user.totp_last_step is None else user.totp_last_step


def _remember_step(session: Session, user: User, step: int) -> None:
    user.totp_last_step = step


def failures(
    session: Session, user: User, window_seconds: int = 900, device: str | None = None
) -> int:
    """Wrong second-step codes for the user within the window: from the trusted device
    ``device`` only, or (without one) from anywhere but a trusted device."""
    return count_user_failures(session, user, "mfa", window_seconds, device)


def verify(
    session: Session,
    user: User,
    code: str,
    address: str = "?",
    *,
    device: str | None = None,
    max_attempts: int = 5,
    window_seconds: int = 900,
) -> bool:
    """True for a TOTP code not used before or an unused recovery code (then used up).

    A TOTP code is accepted once: its time step must be later than the last one accepted.
    Each wrong (or reused) code is counted per user in the database and audited as
    ``mfa.failure``; once ``max_attempts`` are in the window every code is refused. From the
    user's trusted device (``device``, its key) only that device's wrong codes count, so someone
    who has the password cannot keep the owner's own browser from the second step.
    Raises RateLimited (asking to be audited as ``mfa.throttled``) when that limit is reached.
    """
    _lock_user(session, user)  # two sign-ins with one code (TOTP or recovery): one waits
    if not user.totp_secret:
        return False
    if failures(session, user, window_seconds, device) >= max_attempts:
        raise RateLimited(str(TOO_MANY), retry_after=window_seconds).logged(
            "mfa.throttled", None, target_type="user", target_id=user.id
        )
    step = matching_step(user.totp_secret, code)
    if step is not None and step > _last_step(session, user):
        _remember_step(session, user, step)
        clear_user_failures(session, user, "mfa")
        return True
    hashed = _hash_code(code.strip())
    if step is None and hashed in (user.recovery_codes or []):
        user.recovery_codes = [h for h in user.recovery_codes if h != hashed]
        audit.record(session, user, "mfa.recovery_code_used", user, left=len(user.recovery_codes))
        return True
    record_user_failure(session, user, "mfa", address, window_seconds, device)
    audit.record(session, None, "mfa.failure", user, reused=step is not None)
    return False
