"""Who may open each page: every view declares its roles, and the matrix test checks them all."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, redirect, request, url_for
from flask_login import current_user

from tracker.security import login_is_recent, login_manager

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC = "public"


def roles(*allowed: str) -> Callable[[F], F]:
    """Only signed-in users with one of these roles; others get the sign-in page or 403."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapper.allowed_roles = frozenset(allowed)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def public(view: F) -> F:
    """Anyone, signed in or not (sign-in page, setup links)."""
    view.allowed_roles = PUBLIC  # type: ignore[attr-defined]
    return view


def recent_login(view: F) -> F:
    """Ask for the password again when it was last entered too long ago."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not login_is_recent():
            return redirect(url_for("auth.reauth", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


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
