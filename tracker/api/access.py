"""Bearer-token authentication and role checks for the JSON API."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request

from tracker.db import begin_read, caller_authorized, unit_of_work
from tracker.errors import Forbidden, Unauthorized
from tracker.models import User
from tracker.security import audit_due
from tracker.services import audit, tokens

F = TypeVar("F", bound=Callable[..., Any])


def bearer() -> str | None:
    """The request's bearer token, or None without one."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _audit_due(user: User | None, reason: str) -> bool:
    """Whether this refusal is the first of its kind within ``REPEATED_REFUSAL_AUDIT``: per
    client address for a call without a valid token, per user and action for a refused role."""
    if user is None:
        return audit_due("api-denied", request.remote_addr or "?", reason)
    return audit_due(
        "api-denied", f"user:{user.id}", request.method, request.endpoint or "", reason
    )


def _deny(user: User | None, reason: str) -> None:
    """Record a refused API call (who, what, from where) in its own transaction, once a minute
    per address, or per user and action (see ``security.audit_due``)."""
    if not _audit_due(user, reason):
        return
    with unit_of_work() as db:
        audit.record(
            db,
            user,
            "api.denied",
            reason=reason,
            method=request.method,
            path=request.path,
            note="refusals like this one within the next minute are not recorded",
        )


def caller() -> User:
    """The user the request's token belongs to (set by ``api_roles``)."""
    user: User = g.api_user
    return user


def api_roles(*allowed: str) -> Callable[[F], F]:
    """Require a valid bearer token whose user has one of these roles (401, then 403)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            raw = bearer()
            db = begin_read()  # checking a token takes no write lock (see tracker.db)
            user = tokens.authenticate(db, raw) if raw else None
            if tokens.TOUCH_DUE in db.info:
                with unit_of_work() as db:  # last_used_at moves on (every few minutes at most)
                    tokens.touch(db)
            if user is None:
                _deny(None, "no valid token")
                raise Unauthorized("A valid API token is required (Authorization: Bearer <token>).")
            if user.role not in allowed:
                _deny(user, "role")
                raise Forbidden("Your role may not do this.")
            g.api_user = user
            caller_authorized()
            return view(*args, **kwargs)

        wrapper.allowed_roles = frozenset(allowed)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
