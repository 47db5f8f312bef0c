"""Configuration layered as built-in defaults → instance/config.py → TRACKER_* environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

# Every setting the app reads, with its default. Each can be overridden in instance/config.py or
# by an environment variable named TRACKER_<NAME>; the README documents them.
DEFAULTS: dict[str, Any] = {
    "ENV": "development",  # "production" turns on the start-up safety checks
    "DATABASE_URL": None,  # None → sqlite:///instance/tracker.db
    "SECRET_KEY": None,  # None → generated into instance/secret_key (mode 0600)
    "REDIS_URL": None,  # API rate-limit counts shared by processes and hosts; None → memory
    "API_RATE_LIMIT": "300/minute",  # per API token, across all API routes; "off" for none
    "API_ADDRESS_RATE_LIMIT": "600/minute",  # per client address, checked before the token
    "BACKDATING_DAYS": 14,  # contractors cannot log or change time older than this
    "RECENT_LOGIN_MINUTES": 15,  # freeze, unfreeze, payroll, user admin, tokens, MFA, password
    "SESSION_IDLE_HOURS": 8,
    "SESSION_ABSOLUTE_DAYS": 7,
    "SETUP_LINK_HOURS": 24,  # one-time setup and reset links expire after this
    "BASE_URL": "http://127.0.0.1:5000",  # used to print setup links from the CLI
    "REQUIRE_MFA": False,  # admin and payroll accounts must enrol TOTP
    "TRUSTED_PROXIES": 0,  # number of proxies in front whose X-Forwarded-* headers are trusted
    "MAX_CONTENT_LENGTH": 1024 * 1024,  # bytes; larger request bodies get 413
    "IMPORT_MAX_BYTES": 4 * 1024 * 1024,  # largest CSV file an import takes (web, API, CLI)
    "LOGIN_MAX_ATTEMPTS": 5,  # failures per account (and 20 times that per address) in the window
    "LOGIN_WINDOW_SECONDS": 900,
    "PASSWORD_TIME_COST": 2,  # Argon2id parameters, at OWASP's minimum or above
    "PASSWORD_MEMORY_KIB": 19456,
    "PASSWORD_PARALLELISM": 1,
    "DB_POOL_SIZE": 5,
    "SQLITE_BUSY_TIMEOUT_MS": 30_000,  # how long a SQLite writer waits for the write lock
    "LOG_LEVEL": "INFO",
    # Delivery: email, webhooks, reminders; see tracker.services.mail for the SMTP URL's schemes.
    "SMTP_URL": None,  # None → each email is written as an .eml file under MAIL_DIR
    "MAIL_FROM": None,  # None → tracker <tracker@the BASE_URL's host>
    "MAIL_DIR": None,  # None → instance/mail
    "OUTBOX_MAX_ATTEMPTS": 8,  # a delivery is dead after this many failed attempts
    "OUTBOX_RETRY_SECONDS": 60,  # wait before the first retry; it doubles each time, up to 1 h
    "OUTBOX_LEASE_SECONDS": 300,  # a worker's claim on a message; after it, another may send it
    "OUTBOX_POLL_SECONDS": 2,  # how often an idle worker looks for new messages
    "OUTBOX_KEEP_DAYS": 30,  # sent deliveries are removed after this many days
    "OUTBOX_STALE_SECONDS": 120,  # /readyz is 503 when no worker was seen for this long; 0: off
    "WEBHOOK_ALLOW_PRIVATE": False,  # 1: webhooks may go to loopback and private addresses
    "REMINDER_MIN_HOURS": 20,  # a contractor who logged less last week gets a reminder
    "ACK_REMINDER_HOURS": 24,  # an incident notice unacknowledged this long is sent again
}


class ConfigError(RuntimeError):
    """The configuration is unsafe or malformed; the message says which setting."""


ENVIRONMENTS = ("development", "production")

_BOOL = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
    "": False,
}


def _coerce(name: str, raw: str) -> Any:
    """Turn an environment string into the type of the setting's default.

    Raises ConfigError naming the variable when the value does not fit.
    """
    default = DEFAULTS.get(name)
    if isinstance(default, bool):
        try:
            return _BOOL[raw.strip().lower()]
        except KeyError:
            raise ConfigError(f"TRACKER_{name} must be 0 or 1, not {raw!r}") from None
    if isinstance(default, int):
        try:
            number = int(raw.strip())
        except ValueError:
            raise ConfigError(f"TRACKER_{name} must be a whole number, not {raw!r}") from None
        if number < 0:
            raise ConfigError(f"TRACKER_{name} cannot be negative, not {raw!r}")
        return number
    return raw


def load_config(app: Flask, test_config: dict[str, Any] | None = None) -> None:
    """Fill app.config from the three layers, then derive database URL and secret key."""
    app.config.update(DEFAULTS)
    instance = Path(app.instance_path)
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    app.config.from_pyfile(str(instance / "config.py"), silent=True)
    for name in DEFAULTS:
        raw = os.environ.get(f"TRACKER_{name}")
        if raw is not None:
            app.config[name] = _coerce(name, raw)
    if test_config:
        app.config.update(test_config)

    if app.config["ENV"] not in ENVIRONMENTS:
        raise ConfigError(
            f"TRACKER_ENV must be one of {', '.join(ENVIRONMENTS)}, not {app.config['ENV']!r}"
        )
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'tracker.db'}"
    if not app.config["SECRET_KEY"] and app.config["ENV"] != "production":
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")
    _check_production(app)

    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config["ENV"] == "production",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=app.config["ENV"] == "production",
        WTF_CSRF_TIME_LIMIT=None,  # tied to the session, which has its own lifetimes
    )


def _instance_secret(path: Path) -> str:
    """Read the generated secret key, creating it with mode 0600 on first start."""
    if path.exists():
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)  # a copied or restored key file must not stay readable by others
        return path.read_text().strip()
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def _check_production(app: Flask) -> None:
    """Refuse to run production with debug on or a missing or short secret key."""
    if app.config["ENV"] != "production":
        return
    if app.debug or os.environ.get("FLASK_DEBUG") in ("1", "true"):
        raise ConfigError("refusing to start: debug mode is on in production (unset FLASK_DEBUG)")
    key = app.config.get("SECRET_KEY") or ""
    if not key:
        raise ConfigError("refusing to start: TRACKER_SECRET_KEY is not set in production")
    if len(key) < 32:
        raise ConfigError("refusing to start: TRACKER_SECRET_KEY is shorter than 32 characters")
