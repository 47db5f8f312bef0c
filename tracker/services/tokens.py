"""API bearer tokens: create (the secret is shown once), authenticate, revoke."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask_babel import gettext as _
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from tracker.errors import NotFound
from tracker.models import ApiToken, User, utcnow
from tracker.services import audit, validation

PREFIX = "trk_"
# last_used_at is refreshed at most this often, so reads do not turn into writes on every call.
_TOUCH_EVERY = dt.timedelta(minutes=5)
# Built once: every API call runs it, and only the hash changes (a bound parameter). The user is
# the one object loaded; of the token only what the checks need.
_BY_HASH = (
    select(User, ApiToken.id, ApiToken.revoked_at, ApiToken.expires_at, ApiToken.last_used_at)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)
_TOUCH = (
    update(ApiToken)
    .where(ApiToken.id == bindparam("token_id"))
    .values(last_used_at=bindparam("now"))
)
TOUCH_DUE = "tracker.token_touch_due"  # session.info key: (token id, when) for ``touch``


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
    """The active user a raw token belongs to, or None when unknown, revoked or expired.

    Reads only. When the token has not been used for a while, ``session.info[TOUCH_DUE]`` says
    so, and the caller moves its ``last_used_at`` on with ``touch`` in a unit of work, even
    when the request itself changes nothing.
    """
    row = session.execute(_BY_HASH, {"token_hash": _hash(raw)}).first()
    if row is None:
        return None
    user, token_id, revoked_at, expires_at, last_used_at = row
    now = utcnow()
    if not ApiToken.usable_at(revoked_at, expires_at, now) or not user.active:
        return None
    if last_used_at is None or now - last_used_at > _TOUCH_EVERY:
        session.info[TOUCH_DUE] = (token_id, now)
    return user


def touch(session: Session) -> None:
    """Move the last authenticated token's ``last_used_at`` on, when ``authenticate`` said so."""
    due = session.info.pop(TOUCH_DUE, None)
    if due is not None:
        token_id, now = due
        session.execute(_TOUCH, {"token_id": token_id, "now": now})


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens, newest first."""
    query = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    return list(session.scalars(query))


def revoke_token(session: Session, actor: User, token_id: int) -> ApiToken:
    """Revoke one of the actor's own tokens (admins: anyone's). Raises NotFound."""
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.id and not actor.is_admin):
        raise NotFound(_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(session, actor, "token.revoke", token, user_id=token.user_id)
    return token


def revoke_all(session: Session, actor: User | None, user: User, why: str) -> int:
    """Revoke every usable token of the user (their owner lost control, or asked); the count.

    Audited once as ``token.revoke_all`` with the reason (disabled, role change, password
    reset, signed out everywhere).
    """
    now = utcnow()
    revoked = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )
    count = int(revoked.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        audit.record(session, actor, "token.revoke_all", user, count=count, why=why)
    return count
