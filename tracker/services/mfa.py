"""Second factor: TOTP (RFC 6238) with single-use recovery codes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote

from sqlalchemy.orm import Session

from tracker.errors import Invalid
from tracker.models import User
from tracker.services import audit, passwords

STEP = 30
DIGITS = 6
ISSUER = "tracker"
RECOVERY_CODES = 10


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


def check_code(secret: str, code: str, when: float | None = None, window: int = 1) -> bool:
    """True when code matches the current step or one step either side (clock drift)."""
    clean = "".join(ch for ch in code if ch.isdigit())
    if len(clean) != DIGITS:
        return False
    counter = int((time.time() if when is None else when) // STEP)
    return any(
        hmac.compare_digest(_code(secret, counter + drift), clean)
        for drift in range(-window, window + 1)
    )


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    label = quote(f"{ISSUER}:{user.email}")
    return f"otpauth://totp/{label}?secret={secret}&issuer={ISSUER}&digits={DIGITS}&period={STEP}"


def qr_svg(uri: str) -> str:
    """The QR code of uri as inline SVG markup, rendered on the server (no script, no CDN)."""
    import segno

    return str(segno.make(uri, error="m").svg_inline(scale=4, title="QR code to scan"))


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").lower().encode()).hexdigest()


def enable(session: Session, user: User, secret: str, code: str) -> list[str]:
    """Turn TOTP on once the user proves their app shows the right code.

    Returns the recovery codes (shown once, stored hashed). Raises Invalid.
    """
    if not check_code(secret, code):
        raise Invalid.field("code", "That code does not match; check the time on your phone.")
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    user.totp_secret = secret
    user.recovery_codes = [_hash_code(c) for c in codes]
    audit.record(session, user, "mfa.enable", user)
    return codes


def disable(session: Session, user: User, password: str) -> None:
    """Turn TOTP off, proving the password. Raises Invalid."""
    if not passwords.verify(user.password_hash, password):
        raise Invalid.field("password", "This is not your password.")
    user.totp_secret = None
    user.recovery_codes = []
    audit.record(session, user, "mfa.disable", user)


def verify(session: Session, user: User, code: str) -> bool:
    """True for a current TOTP code or an unused recovery code (which is then used up)."""
    if not user.totp_secret:
        return False
    if check_code(user.totp_secret, code):
        return True
    hashed = _hash_code(code.strip())
    if hashed in (user.recovery_codes or []):
        user.recovery_codes = [h for h in user.recovery_codes if h != hashed]
        audit.record(session, user, "mfa.recovery_code_used", user,
                     left=len(user.recovery_codes))
        return True
    audit.record(session, None, "mfa.failure", user)
    return False
