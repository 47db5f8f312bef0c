"""Rate limits on the JSON API: per client address (before authentication) and per token.

Both limits apply to every ``/api/v1`` route (freeze and unfreeze: the token limit only, so a
crowd at an admin's address cannot refuse the admin's freeze); ``/healthz`` and the HTML pages
are not limited (sign-in keeps its own throttling in ``tracker.services.auth``). The address
limit is checked before the token is even looked at, so a flood of made-up tokens from one
address is refused with 429 before any of them costs a database query.

Counts live in Redis when ``REDIS_URL`` is set, so every process and host shares them; otherwise
in the memory of each process (a limit then holds per process: with N workers a client can make
up to N times as many requests).

When Redis cannot be reached, the limiter falls back to counting in each process's memory and
tries Redis again after 1, 2, 4, … 32 seconds (Flask-Limiter's in-memory fallback). That keeps the
API up (a Redis outage never turns into a 5xx for every request) without switching the limits
off: failing open would let exactly the flood the limits exist for through whenever Redis is
down, and an attacker able to upset Redis would get that on demand.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import time
from typing import Any

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter, RateLimitExceeded
from limits import parse_many

from tracker.config import ConfigError

EXTENSION = "tracker.limiter"
OFF = "off"
# A Redis that does not answer within this many seconds counts as down (then: memory fallback).
REDIS_TIMEOUT_SECONDS = 0.5
MESSAGE = "Too many requests; try again in {seconds} s."


def client_address() -> str:
    """The caller's address, as ``ProxyFix`` left it; IPv6 grouped by /64.

    One IPv6 host usually holds a whole /64, so counting single addresses would let it make as
    many buckets as it likes.
    """
    raw = request.remote_addr or "unknown"
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def token_key() -> str:
    """A keyed hash of the bearer token: the stored key never holds (or reveals) the token.

    Keyed with the app's secret, so the key cannot be matched against the token hashes in the
    database either.
    """
    from tracker.api.access import bearer

    secret = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(secret, (bearer() or "").encode(), hashlib.sha256).hexdigest()
    return f"token:{digest[:40]}"


def _incident_control() -> bool:
    """Freeze and unfreeze (``write_priority`` routes) are not counted per address.

    A crowd of made-up tokens at the admin's address (an office, a shared proxy) would otherwise
    use up that address's allowance and refuse the admin's freeze with 429. These routes keep
    the per-token limit; a made-up token there costs one read and no audit row (see
    ``api.access``).
    """
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "write_priority", False))


def _no_token() -> bool:
    """Requests without a bearer token are counted by address only."""
    from tracker.api.access import bearer

    return bearer() is None


def _check(app: Flask, name: str) -> bool:
    """Whether the limit is on; a malformed one stops the app naming the variable."""
    value = str(app.config[name]).strip()
    if value.lower() == OFF:
        return False
    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(
            f"TRACKER_{name} must be a limit like 300/minute (or {OFF}), not {value!r}"
        ) from None
    return True


def retry_after(exc: RateLimitExceeded) -> int:
    """Whole seconds until the breached limit lets one more request through (1 to its window)."""
    limiter: Limiter = current_app.extensions[EXTENSION]
    window = int(exc.limit.limit.get_expiry())
    try:
        current = limiter.current_limit
        reset = current.window.reset_time if current is not None else None
    except Exception:  # the store went away between the check and now
        reset = None
    if reset is None:
        return window
    return min(window, max(1, math.ceil(reset - time.time())))


def _rate_limited(exc: RateLimitExceeded) -> Response:
    from tracker.api.errors import error_response

    seconds = retry_after(exc)
    response = error_response(429, "rate_limited", MESSAGE.format(seconds=seconds))
    response.headers["Retry-After"] = str(seconds)
    return response


def init_app(app: Flask) -> None:
    """Install the limiter, with the per-address and per-token limits of every API route."""
    from tracker.api.blueprint import bp

    redis_url = app.config.get("REDIS_URL")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "tracker")
    options: dict[str, Any] = {}
    if redis_url:
        options = {
            "socket_timeout": REDIS_TIMEOUT_SECONDS,
            "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
        }
    limiter = Limiter(
        client_address,
        storage_uri=redis_url or "memory://",
        storage_options=options,
        strategy="sliding-window-counter",
        in_memory_fallback_enabled=bool(redis_url),
        swallow_errors=True,  # any other failure of the store: log it and serve the request
        headers_enabled=False,  # Retry-After is set on the 429 itself, below
    )
    limiter.init_app(app)
    app.extensions[EXTENSION] = limiter
    # Shared limits: one count per address (and per token) across every API route.
    if _check(app, "API_ADDRESS_RATE_LIMIT"):
        limiter.shared_limit(
            app.config["API_ADDRESS_RATE_LIMIT"],
            scope="api-address",
            key_func=client_address,
            exempt_when=_incident_control,
        )(bp)
    if _check(app, "API_RATE_LIMIT"):
        limiter.shared_limit(
            app.config["API_RATE_LIMIT"],
            scope="api-token",
            key_func=token_key,
            exempt_when=_no_token,
        )(bp)
    app.register_error_handler(RateLimitExceeded, _rate_limited)
