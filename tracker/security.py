"""Sign-in sessions, CSRF, security headers, proxies and the audit origin of each request."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, Response, current_app, g, request, session
from flask_login import LoginManager, current_user, logout_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from tracker.db import get_session
from tracker.models import User
from tracker.services import audit

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"
csrf = CSRFProtect()

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


@login_manager.user_loader
def _load_user(alternative_id: str) -> User | None:
    """Load the user only when the cookie's session token is still the user's current one."""
    user_id, _, token = alternative_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    db = get_session()
    user = db.get(User, int(user_id))
    db.commit()  # end the read transaction: a later unit of work begins afresh
    if user is None or not user.active or user.session_token != token:
        return None
    return user


def init_app(app: Flask) -> None:
    """Install sign-in, CSRF, headers and proxy handling."""
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.permanent_session_lifetime = dt.timedelta(days=app.config["SESSION_ABSOLUTE_DAYS"])
    login_manager.init_app(app)
    csrf.init_app(app)
    app.before_request(_before_request)
    app.after_request(_security_headers)
    app.teardown_request(_forget_caller)


def _forget_caller(_exc: BaseException | None) -> None:
    """Drop the request's signed-in user from ``g``.

    A request can run inside an app context pushed by someone else (a test, a CLI command); the
    next request there must load its own caller from its own cookie or token, never reuse this one.
    """
    for name in ("_login_user", "api_user"):
        g.pop(name, None)


def _now() -> float:
    return dt.datetime.now(dt.UTC).timestamp()


def _before_request() -> None:
    audit.set_origin(request.remote_addr)
    g.request_started = _now()
    if "login_at" not in session:
        return
    now = _now()
    idle = current_app.config["SESSION_IDLE_HOURS"] * 3600
    absolute = current_app.config["SESSION_ABSOLUTE_DAYS"] * 86400
    if now - session.get("seen_at", now) > idle or now - session["login_at"] > absolute:
        logout_user()
        session.clear()
        return
    session["seen_at"] = now


def start_session(user: User) -> None:
    """A fresh session for a user who just proved who they are (never reuse the old one)."""
    from flask_login import login_user

    session.clear()
    session.permanent = True
    login_user(user)
    session["login_at"] = session["seen_at"] = session["auth_at"] = _now()


def mark_recent_login() -> None:
    """The user re-entered their password just now."""
    session["auth_at"] = _now()


def login_is_recent() -> bool:
    """True when the password was entered within RECENT_LOGIN_MINUTES."""
    minutes = current_app.config["RECENT_LOGIN_MINUTES"]
    return bool(session.get("auth_at")) and _now() - session["auth_at"] < minutes * 60


def _security_headers(response: Response) -> Response:
    headers: Any = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    # Private pages and every API answer (token-authenticated) must not be kept by caches.
    # The path is checked first: an API answer needs no cookie user loaded (bearer tokens only);
    # an answer that says already (a 503 when the database is down) loads no user at all.
    if "Cache-Control" not in headers and (
        request.path.startswith("/api/")
        or (current_user and getattr(current_user, "is_authenticated", False))
    ):
        headers["Cache-Control"] = "no-store"
    return response
