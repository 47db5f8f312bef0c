"""People and how they sign in: users, one-time setup links, API tokens, failed sign-ins."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.clock import utcnow
from tracker.models.base import (
    Base,
    UTCDateTime,
    bool_true,
    created_at,
    intpk,
    money_or_none,
    one_of,
    tags,
    timestamp,
    user_fk,
    user_fk_or_none,
)

# The roles, in the order pages list them, with what pages call one and several of them; every
# role check, constraint and choice list reads these.
ROLE_NAMES = {
    "contractor": ("Contractor", "Contractors"),
    "admin": ("Admin", "Admins"),
    "payroll": ("Payroll", "Payroll"),
}
ROLES = tuple(ROLE_NAMES)
# The languages pages are shown in, by code, each named in itself (the account page's choices).
LANGUAGES = {"en": "English", "ar": "العربية", "es": "Español"}
DEFAULT_LANGUAGE = "en"
# The roles a configured second factor is required for (REQUIRE_MFA).
SECOND_FACTOR_ROLES = ("admin", "payroll")
# What a signed-in user can fail at: the second sign-in step, or re-entering their password.
AUTH_FAILURE_KINDS = ("mfa", "reauth")


class User(Base):
    """A person who signs in: contractor, admin or payroll."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(one_of("role", ROLES), name="role"),
        CheckConstraint("hourly_rate IS NULL OR hourly_rate >= 0", name="rate_not_negative"),
    )

    id: Mapped[intpk]
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool_true]
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # The language pages are shown in; None: the browser's Accept-Language decides.
    language: Mapped[str | None] = mapped_column(String(16))
    skills: Mapped[tags]
    hourly_rate: Mapped[money_or_none]
    # Rotated on logout, password change, role change and disable: old sessions stop working.
    session_token: Mapped[str] = mapped_column(String(64))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The secret shown while enrolling, until a code from it turns the second factor on: kept
    # here, never in the (signed, readable) session cookie.
    totp_pending_secret: Mapped[str | None] = mapped_column(String(64))
    # The last TOTP time step accepted, so a code signs in once (None: none accepted yet).
    totp_last_step: Mapped[int | None]
    recovery_codes: Mapped[list[str]] = mapped_column(JSON, default=list)  # hashes
    password_changed_at: Mapped[timestamp]
    last_login_at: Mapped[timestamp]
    created_at: Mapped[created_at]
    # Weekly missing-hours emails; hold and incident notices are sent whatever this says.
    reminders: Mapped[bool_true]

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_contractor(self) -> bool:
        return self.role == "contractor"

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """Flask-Login's alternative id: the user id plus the rotating session token."""
        return f"{self.id}:{self.session_token}"


class SetupLink(Base):
    """A one-time link that lets a person set their password (first admin, new user, reset)."""

    __tablename__ = "setup_links"

    id: Mapped[intpk]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[user_fk_or_none]  # None: the link creates the first admin
    purpose: Mapped[str] = mapped_column(String(20))  # first_admin | welcome | reset
    created_at: Mapped[created_at]
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[timestamp]


class ApiToken(Base):
    """A per-user bearer token; only the SHA-256 of the secret is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[intpk]
    user_id: Mapped[user_fk] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # shown so people can tell tokens apart
    created_at: Mapped[created_at]
    last_used_at: Mapped[timestamp]
    expires_at: Mapped[timestamp]
    revoked_at: Mapped[timestamp]

    user: Mapped[User] = relationship(lazy="joined")

    def usable(self, now: dt.datetime) -> bool:
        """True when the token is neither revoked nor expired."""
        return self.usable_at(self.revoked_at, self.expires_at, now)

    @staticmethod
    def usable_at(
        revoked_at: dt.datetime | None, expires_at: dt.datetime | None, now: dt.datetime
    ) -> bool:
        """The rule of ``usable`` for a token read as columns, not as an object."""
        return revoked_at is None and (expires_at is None or expires_at > now)


class AuthFailure(Base):
    """A signed-in (or half signed-in) user's failed check: a second-step code or a re-entered
    password. Counted per user and kind for throttling; typed emails never reach this table.

    Rows older than ``auth.KEEP_ATTEMPTS`` are deleted whenever a new failure is recorded.
    """

    __tablename__ = "auth_failures"
    __table_args__ = (
        CheckConstraint(one_of("kind", AUTH_FAILURE_KINDS), name="kind"),
        Index("ix_auth_failures_user_kind_at", "user_id", "kind", "at"),
        Index("ix_auth_failures_at", "at"),
    )

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginAttempt(Base):
    """A failed sign-in with a typed email, kept for throttling per account and client address.

    Only typed emails live here; a signed-in user's own failures are ``AuthFailure`` rows.
    Rows older than ``auth.KEEP_ATTEMPTS`` are deleted whenever a new failure is recorded.
    """

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
        Index("ix_login_attempts_at", "at"),
    )

    id: Mapped[intpk]
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
