"""Who may open each page: every view declares its roles, and the matrix test checks them all."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.db import caller_authorized, unit_of_work
from tracker.security import PUBLIC, login_is_recent, login_manager, public
from tracker.services import audit

F = TypeVar("F", bound=Callable[..., Any])
__all__ = ["PUBLIC", "me", "public", "recent_login", "roles", "safe_next"]


def roles(*allowed: str) -> Callable[[F], F]:
    """Only signed-in users with one of these roles; others get the sign-in page or 403."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                _deny()
                abort(403)
            caller_authorized()
            return view(*args, **kwargs)

        wrapper.allowed_roles = frozenset(allowed)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def _deny() -> None:
    """Record a refused page (who, which role, what) in its own short transaction."""
    with unit_of_work() as db:
        audit.record(
            db,
            me(),
            "access.denied",
            role=current_user.role,
            method=request.method,
            path=request.path,
        )


def recent_login(view: F) -> F:
    """Ask for the password again when it was last entered too long ago."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not login_is_recent():
            if request.method in ("GET", "HEAD"):
                target = request.full_path.rstrip("?")
            else:
                # A POST cannot be replayed by a redirect: come back to the page the button
                # was on, and press it again once the password is confirmed.
                target = _referring_page()
                flash(_("Confirm your password, then repeat the action."), "info")
            return redirect(url_for("auth.reauth", next=target))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _referring_page() -> str:
    """The page of this site the request came from (path and query), else the home page."""
    home = url_for("home.index")
    referrer = request.referrer
    if not referrer:
        return home
    parts = urlsplit(referrer)
    if parts.netloc != request.host or parts.scheme not in ("http", "https"):
        return home
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next(path, home)


def safe_next(target: str | None, default: str = "/") -> str:
    """A same-site path to go to after sign-in; anything else becomes the default."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return default
    return target


def me() -> Any:
    """The signed-in User model object (not Flask-Login's proxy), for passing to services."""
    return current_user._get_current_object()
