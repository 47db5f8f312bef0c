"""Users: create, change, disable, passwords, one-time setup links, ending sessions."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from functools import partial
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from tracker.db import is_postgres
from tracker.errors import Duplicate, Invalid, NotFound
from tracker.models import DEFAULT_LANGUAGE, LANGUAGES, ROLES, SetupLink, User, utcnow
from tracker.services import audit, bulk, inputs, passwords, tokens, validation

USERS = cast(Table, User.__table__)
SETUP_LINKS = cast(Table, SetupLink.__table__)
USER_FIELDS = ("email", "name", "role", "active", "timezone", "skills", "hourly_rate")


def _new_session_token() -> str:
    return secrets.token_urlsafe(24)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def get_user(session: Session, user_id: int) -> User:
    """The user with that id. Raises NotFound."""
    user = inputs.find(session, User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    return user


def find_user(session: Session, user_id: Any) -> User | None:
    """The user with that id, or None (also for an id that is not a whole number, or that no row
    can have)."""
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        return None
    return inputs.find(session, User, user_id)


def signed_in(session: Session, user_id: Any, session_token: Any) -> User | None:
    """The active user whose current session token this is, or None.

    A cookie (or a pending second step) names a user and the token it was issued with; a
    logout, password or role change, or disable rotates the token, so the old one stops here.
    """
    user = find_user(session, user_id)
    if user is None or not user.active or not session_token:
        return None
    return user if user.session_token == session_token else None


def by_ids(session: Session, ids: list[int]) -> dict[int, User]:
    """The users with these ids (unknown ones left out), in one query."""
    if not ids:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))}


def find_by_email(session: Session, email: str) -> User | None:
    """The user with that email (case-insensitive), or None."""
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def list_users(session: Session, role: str | None = None) -> list[User]:
    """Every user, by name; optionally of one role."""
    query = select(User).order_by(User.name, User.id)
    if role:
        query = query.where(User.role == role)
    return list(session.scalars(query))


def _role(value: Any) -> str:
    role = str(value or "").strip().lower()
    if role not in ROLES:
        raise Invalid.field(
            "role", _("Choose %(roles)s or %(last)s.", roles=", ".join(ROLES[:-1]), last=ROLES[-1])
        )
    return role


# Every field a user has that an admin (or the API) may set, with its parser.
USER_PARSERS: dict[str, Callable[[Any], Any]] = {
    "email": validation.email,
    "name": lambda v: validation.required_text(v, "name"),
    "role": _role,
    "active": lambda v: validation.boolean(v, "active"),
    "timezone": validation.timezone,
    "skills": validation.skills,
    "hourly_rate": lambda v: validation.money(v, required=False),
}


def parse_new_user(
    *,
    email: Any,
    name: Any,
    role: Any,
    password: str | passwords.Hashed | None = None,
    timezone: Any = "UTC",
    skills: Any = None,
    hourly_rate: Any = None,
) -> dict[str, Any]:
    """The clean fields of a new user (the password checked, not kept). Raises Invalid."""
    given = {"email": email, "name": name, "role": role, "timezone": timezone}
    given.update(skills=skills, hourly_rate=hourly_rate)
    checks: dict[str, Callable[[], Any]] = {
        k: partial(USER_PARSERS[k], v) for k, v in given.items()
    }
    if isinstance(password, str):  # a prepared one (passwords.Hashed) was checked already
        checks["password"] = partial(passwords.check_policy, password)
    values = validation.collect(checks)
    values.pop("password", None)
    return values


def taken_emails(session: Session, emails: list[str]) -> dict[str, User]:
    """The users already holding these (clean, lower-cased) emails, by email, in few queries."""
    found: dict[str, User] = {}
    for start in range(0, len(emails), 1000):
        chunk = emails[start : start + 1000]
        found.update(
            (u.email, u) for u in session.scalars(select(User).where(User.email.in_(chunk)))
        )
    return found


def create_user(
    session: Session,
    actor: User | None,
    *,
    email: Any,
    name: Any,
    role: Any,
    password: str | passwords.Hashed | None = None,
    timezone: Any = "UTC",
    skills: Any = None,
    hourly_rate: Any = None,
) -> User:
    """Create a user. Raises Invalid (field errors) or Duplicate (email taken)."""
    values = parse_new_user(
        email=email,
        name=name,
        role=role,
        password=password,
        timezone=timezone,
        skills=skills,
        hourly_rate=hourly_rate,
    )
    if find_by_email(session, values["email"]) is not None:
        raise Duplicate({"email": [_("A user with this email already exists.")]})
    if password:
        values.update(password_hash=_hash_of(password), password_changed_at=utcnow())
    return session.get_one(User, add_users(session, actor, [values])[0])


def add_users(session: Session, actor: User | None, people: list[dict[str, Any]]) -> list[int]:
    """Insert users from ``parse_new_user`` values (emails checked free), each audited; their
    ids, in order.

    Set-based (``bulk.insert_rows``): one executemany, a SELECT of the ids per thousand and one
    statement for their audit events, so an import of 10,000 costs a few dozen statements.
    Nobody gets a password here unless the values carry its hash; new people set theirs from a
    one-time link.
    """
    if not people:
        return []
    now = utcnow()
    rows = [
        {
            "password_hash": None,
            "password_changed_at": None,
            "timezone": "UTC",
            "skills": [],
            "hourly_rate": None,
            **values,
            "active": True,
            "session_token": _new_session_token(),
            "created_at": now,
            "reminders": True,
            "recovery_codes": [],
        }
        for values in people
    ]
    made = bulk.insert_rows(session, USERS, rows, "email")
    audit.record_many(
        session,
        actor,
        "user.create",
        "user",
        [
            (user_id, {"after": {k: row[k] for k in USER_FIELDS}})
            for user_id, row in zip(made, rows, strict=True)
        ],
    )
    return made


def _hash_of(password: str | passwords.Hashed | None) -> str | None:
    if isinstance(password, passwords.Hashed):
        return password.value
    return passwords.hash_password(password) if password else None


def update_user(session: Session, actor: User | None, user: User, **changes: Any) -> User:
    """Change name, role, active, timezone, skills or hourly_rate. Raises Invalid.

    A role change or a disable ends the user's sessions and revokes their API tokens. Nobody
    disables their own account, and the last active admin keeps the role (someone must be able
    to manage the portal).
    """
    changeable = {k: p for k, p in USER_PARSERS.items() if k != "email"}  # emails are fixed
    clean = validation.clean(changes, changeable)
    _keep_an_admin(session, actor, user, clean)
    before = audit.snapshot(user, *USER_FIELDS)
    for key, value in clean.items():
        setattr(user, key, value)
    if user.role != before["role"] or (before["active"] and not user.active):
        user.session_token = _new_session_token()
        why = "role change" if user.role != before["role"] else "disabled"
        tokens.revoke_all(session, actor, user, why)
    after = audit.snapshot(user, *USER_FIELDS)
    if before != after:
        audit.record(
            session, actor, "user.update", user, target_id=user.id, **audit.changes(before, after)
        )
    return user


def set_own_timezone(session: Session, user: User, timezone: Any) -> User:
    """A user sets the timezone their dates and times are in. Raises Invalid."""
    return update_user(session, user, user, timezone=timezone)


def language(value: Any) -> str | None:
    """A language code for the pages: "" or None follows the browser; an unknown code is the
    default language (a stale or hand-made form value is never an error)."""
    code = str(value or "").strip().lower()
    if not code:
        return None
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def set_own_language(session: Session, user: User, value: Any) -> User:
    """A user picks the language of their pages (None: the browser's Accept-Language decides)."""
    before = user.language
    user.language = language(value)
    if user.language != before:
        audit.record(
            session,
            user,
            "user.update",
            user,
            target_id=user.id,
            **audit.changes({"language": before}, {"language": user.language}),
        )
    session.flush()
    return user


def _keep_an_admin(session: Session, actor: User | None, user: User, clean: dict[str, Any]) -> None:
    """Refuse a self-disable, and a change that would leave the portal without an active admin."""
    disabling = user.active and clean.get("active") is False
    if disabling and actor is not None and actor.id == user.id:
        raise Invalid.field("active", _("You cannot disable your own account."))
    demoting = "role" in clean and clean["role"] != "admin"
    if user.role != "admin" or not user.active or not (disabling or demoting):
        return
    # Every active admin's row is locked (in id order) and the count taken from what the lock
    # saw: two admins demoting each other at once are decided one after the other, and the
    # second sees the first's change (SQLite's writer holds the whole database anyway).
    query = select(User.id).where(User.role == "admin", User.active.is_(True)).order_by(User.id)
    if is_postgres(session):
        query = query.with_for_update()
    others = [i for i in session.scalars(query) if i != user.id]
    if not others:
        field = "active" if disabling else "role"
        raise Invalid.field(field, _("This is the only active admin; make another admin first."))


def set_password(
    session: Session, actor: User | None, user: User, password: str | passwords.Hashed
) -> None:
    """Set a new password and end every existing session of the user. Raises Invalid.

    Interfaces pass it prepared (``passwords.prepare``, before the unit of work): no hashing
    under the write lock.
    """
    if isinstance(password, str):
        password = passwords.prepare(password)
    user.password_hash = password.value
    user.password_changed_at = utcnow()
    user.session_token = _new_session_token()
    audit.record(session, actor, "user.password", user)


def change_own_password(
    session: Session,
    user: User,
    current: str | passwords.Checked,
    new: str | passwords.Hashed,
) -> None:
    """A user changes their own password, proving the current one. Raises Invalid.

    Interfaces pass both already checked and hashed (``passwords.check``, ``prepare``).
    """
    if isinstance(current, str):
        current = passwords.check(user.password_hash, current)
    if not current.still_matches(user.password_hash):
        raise Invalid.field("current_password", _("This is not your current password."))
    set_password(session, user, user, new)


def end_sessions(
    session: Session, actor: User | None, user: User, *, revoke_tokens: bool = False
) -> None:
    """Sign the user out everywhere (their session cookies stop working); with
    ``revoke_tokens``, their API tokens stop working too."""
    user.session_token = _new_session_token()
    audit.record(session, actor, "user.sessions_ended", user, tokens_revoked=revoke_tokens)
    if revoke_tokens:
        tokens.revoke_all(session, actor, user, "signed out everywhere")


def needs_first_admin(session: Session) -> bool:
    """True while the database has no admin yet."""
    return session.scalar(select(func.count()).select_from(User).where(User.role == "admin")) == 0


def create_setup_link(
    session: Session,
    actor: User | None,
    user: User | None,
    purpose: str,
    hours: int = 24,
) -> str:
    """A one-time link token (returned raw, stored hashed). ``user`` None: the first admin.

    A password reset (``purpose`` "reset") revokes the user's API tokens: whoever may have
    had the password may have made one.
    """
    return create_setup_links(session, actor, [user.id if user else None], purpose, hours)[0]


def create_setup_links(
    session: Session,
    actor: User | None,
    people: list[int | None],
    purpose: str,
    hours: int = 24,
) -> list[str]:
    """One one-time link per user id (None: the first admin), in order: the raw tokens
    (stored hashed), each audited. Password resets revoke the people's API tokens.

    Set-based: an executemany of the links, their ids, and one statement for the audit events.
    """
    if not people:
        return []
    if purpose == "reset":  # whoever may have had the password may have made an API token
        for user_id in people:
            if user_id is not None:
                tokens.revoke_all(session, actor, session.get_one(User, user_id), "password reset")
    raw = [secrets.token_urlsafe(32) for _person in people]
    now = utcnow()
    expires = now + dt.timedelta(hours=hours)
    rows: list[dict[str, Any]] = [
        {
            "token_hash": _hash(token),
            "user_id": user_id,
            "purpose": purpose,
            "created_at": now,
            "expires_at": expires,
        }
        for token, user_id in zip(raw, people, strict=True)
    ]
    ids = bulk.insert_rows(session, SETUP_LINKS, rows, "token_hash")
    audit.record_many(
        session,
        actor,
        "setup_link.create",
        "setup_link",
        [
            (i, {"purpose": purpose, "user_id": row["user_id"]})
            for i, row in zip(ids, rows, strict=True)
        ],
    )
    return raw


def find_setup_link(session: Session, token: str) -> SetupLink:
    """The unused, unexpired link for a token. Raises NotFound (used, expired or unknown)."""
    link = session.scalar(select(SetupLink).where(SetupLink.token_hash == _hash(token)))
    if link is None or link.used_at is not None or link.expires_at <= utcnow():
        raise NotFound(_("This link has expired or has already been used."))
    if link.purpose == "first_admin" and not needs_first_admin(session):
        raise NotFound(_("This link has expired or has already been used."))
    return link


def use_setup_link(
    session: Session,
    token: str,
    password: str | passwords.Hashed,
    *,
    email: Any = None,
    name: Any = None,
    timezone: Any = "UTC",
) -> User:
    """Consume a link: create the first admin, or set the linked user's password.

    Raises NotFound (bad link) or Invalid.
    """
    link = find_setup_link(session, token)
    # Claim the link atomically, so two people opening it at once cannot both use it.
    claimed = session.execute(
        update(SetupLink)
        .where(SetupLink.id == link.id, SetupLink.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound(_("This link has expired or has already been used."))
    if link.user_id is None:
        user = create_user(
            session,
            None,
            email=email,
            name=name,
            role="admin",
            password=password,
            timezone=timezone,
        )
    else:
        user = get_user(session, link.user_id)
        set_password(session, user, user, password)
    return user
