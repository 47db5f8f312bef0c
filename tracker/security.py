"""Sign-in sessions, CSRF, security headers, proxies and the audit origin of each request.

Also what every interface shares about who may open a route: the ``public`` marker the route
and role matrix reads, the sign-in throttle's settings, and the pending second sign-in step.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request, session
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFProtect
from itsdangerous import BadData, URLSafeTimedSerializer
from limits import parse as parse_limit
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response as BaseResponse

from tracker.db import begin_read
from tracker.models import User
from tracker.services import audit, inputs, users

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC = "public"
SECOND_STEP_SECONDS = 300  # the second sign-in step must follow the password within this

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to continue.")
login_manager.localize_callback = str  # flashed in the language of the page that asked
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
    # Read as a reader: whoever sends a cookie never takes the write lock just by asking.
    return users.signed_in(begin_read(), inputs.id_or_none(user_id), token)


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


# Refusals that anyone can cause as often as they like (a made-up API token, a throttled
# sign-in) are audited at most this often per key: a crowd of them must not become a crowd of
# writes, each one a turn at SQLite's write lock.
REPEATED_REFUSAL_AUDIT = parse_limit("1/minute")


def audit_due(*key: str) -> bool:
    """Whether a repeatable refusal with this key is the first within the limit.

    Counted in the API rate limiter's store (Redis when configured, so every process and host
    shares the count; memory otherwise). When the store fails, the refusal is not recorded: an
    outage of the counter must not reopen the flood of writes.
    """
    limiter = current_app.extensions.get("tracker.limiter")
    if limiter is None:
        return True
    try:
        return bool(limiter.limiter.hit(REPEATED_REFUSAL_AUDIT, "refusal-audit", *key))
    except Exception:  # the store went away: skip the row, never the answer
        return False


# Slowed answers to wrong passwords sleep in a worker thread: at most this many at once per
# process, so a crowd of guessers cannot fill the threads a freeze (or anyone) needs.
SLOWED_AT_ONCE = 2
_slowed = threading.BoundedSemaphore(SLOWED_AT_ONCE)
_sleep = time.sleep


def slow_down(seconds: float) -> bool:
    """Hold back a wrong-password answer; False (at once) when enough answers wait already.

    The caller then refuses the attempt as too many instead of waiting: the guesser is slowed
    either way, and no more than ``SLOWED_AT_ONCE`` threads per process ever sleep.
    """
    if not _slowed.acquire(blocking=False):
        return False
    try:
        _sleep(seconds)
    finally:
        _slowed.release()
    return True


def public(view: F) -> F:
    """Anyone, signed in or not (sign-in page, setup links, health check)."""
    view.allowed_roles = PUBLIC  # type: ignore[attr-defined]
    return view


def login_settings() -> dict[str, Any]:
    """The sign-in throttle's settings, for every password or code check the portal makes."""
    return {
        "max_attempts": current_app.config["LOGIN_MAX_ATTEMPTS"],
        "window_seconds": current_app.config["LOGIN_WINDOW_SECONDS"],
    }


def begin_second_step(user: User, next_url: str | None) -> None:
    """After a correct password for a user with TOTP: remember who, until the code comes."""
    session.clear()
    session["mfa_user_id"] = user.id
    session["mfa_token"] = user.session_token
    session["mfa_started"] = time.time()
    session["mfa_next"] = next_url


def second_step_user_id() -> int | None:
    """The user waiting for their second step, while it is still in time; else None."""
    user_id = session.get("mfa_user_id")
    if not user_id or time.time() - session.get("mfa_started", 0) > SECOND_STEP_SECONDS:
        return None
    return int(user_id)


DEVICE_COOKIE = "tracker_device"
DEVICE_DAYS = 365
_DEVICE_SALT = "tracker.trusted-device"


def _device_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=_DEVICE_SALT)


def trusted_device() -> tuple[int, str] | None:
    """The (user id, device key) of the trusted-device cookie the request carries, if valid.

    Set once an account has fully signed in from this browser (``remember_device``); with it,
    failures from other clients at the same address cannot lock that account out (see
    ``services.auth``). Forged, foreign-keyed or expired cookies count as none.
    """
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw or len(raw) > 500:
        return None
    try:
        data = _device_signer().loads(raw, max_age=DEVICE_DAYS * 86400)
    except BadData:
        return None
    if not isinstance(data, list) or len(data) != 2:
        return None
    user_id, key = data
    if not isinstance(user_id, int) or isinstance(user_id, bool) or not isinstance(key, str):
        return None
    return user_id, key


def remember_device(response: BaseResponse, user: User) -> BaseResponse:
    """Mark this browser as the user's trusted device (after a complete sign-in)."""
    current = trusted_device()
    key = current[1] if current is not None and current[0] == user.id else secrets.token_hex(16)
    response.set_cookie(
        DEVICE_COOKIE,
        _device_signer().dumps([user.id, key]),
        max_age=DEVICE_DAYS * 86400,
        httponly=True,
        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]),
        samesite="Lax",
    )
    return response


def start_session(user: User) -> None:
    """A fresh session for a user who just proved who they are (never reuse the old one)."""
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
