"""API bearer tokens: create (the secret is shown once), authenticate, revoke."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from tracker.errors import NotFound
from tracker.models import ApiToken, User, utcnow
from tracker.services import audit, validation

PREFIX = "trk_"
# last_used_at is refreshed at most this often, so reads do not turn into writes on every call.
_TOUCH_EVERY = dt.timedelta(minutes=5)
# Built once: every API call runs it, and only the hash changes (a bound parameter).
_BY_HASH = select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash"))


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(
    session: Session,
    actor: User | None,
    user: User,
    name: str = "",
    expires_days: int | None = 90,
) -> tuple[ApiToken, str]:
    """A new token for user; returns the row and the raw secret (never stored)."""
    clean_name = validation.plain_text(name, "name", 100)
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=clean_name,
        token_hash=_hash(raw),
        prefix=raw[: len(PREFIX) + 6],
        expires_at=utcnow() + dt.timedelta(days=expires_days) if expires_days else None,
    )
    session.add(token)
    audit.record(session, actor, "token.create", token, user_id=user.id, name=clean_name)
    return token, raw


def authenticate(session: Session, raw: str) -> User | None:
    """The active user a raw token belongs to, or None when unknown, revoked or expired."""
    token = session.scalar(_BY_HASH, {"token_hash": _hash(raw)})
    now = utcnow()
    if token is None or not token.usable(now) or not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY:
        token.last_used_at = now
    return token.user


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens, newest first."""
    query = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    return list(session.scalars(query))


def revoke_token(session: Session, actor: User, token_id: int) -> ApiToken:
    """Revoke one of the actor's own tokens (admins: anyone's). Raises NotFound."""
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.id and not actor.is_admin):
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(session, actor, "token.revoke", token, user_id=token.user_id)
    return token
