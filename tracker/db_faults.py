"""Database failures that are nobody's input error: unreachable, busy, read-only, out of space.

One owner for two questions: is this exception such a failure, and what do people read about it?
The web pages, the API and the command line each turn a ``Fault`` into their own answer in one
place (a 503 page, a 503 ``unavailable`` error body, one line on stderr); every other exception
stays an unexpected error. The transaction it happened in was rolled back, so nothing half-done
remains: the request can simply be sent again.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import make_url

from tracker.errors import Unavailable

UNREACHABLE = "unreachable"
BUSY = "busy"
READ_ONLY = "read_only"
FULL = "full"

# What a user reads (no host names, no driver words), and when a retry may help.
_USER_MESSAGES = {
    UNREACHABLE: "The database cannot be reached right now, so nothing was saved. "
    "Try again in a minute.",
    BUSY: "The database is too busy to take this right now, so nothing was saved. "
    "Try again in a moment.",
    READ_ONLY: "The database is read-only right now, so nothing can be saved. "
    "Tell an administrator.",
    FULL: "The database has run out of space, so nothing was saved. Tell an administrator.",
}
_RETRY_AFTER = {UNREACHABLE: 10, BUSY: 2}

# What an operator reads after the database's location.
_OPERATOR_WORDS = {
    UNREACHABLE: "cannot be reached",
    BUSY: "is busy (locked by another writer for longer than the busy timeout)",
    READ_ONLY: "is read-only",
    FULL: "is out of space",
}

# SQLite primary result codes (the low byte of the extended code).
_SQLITE = {
    sqlite3.SQLITE_BUSY: BUSY,
    sqlite3.SQLITE_LOCKED: BUSY,
    sqlite3.SQLITE_READONLY: READ_ONLY,
    sqlite3.SQLITE_PERM: READ_ONLY,
    sqlite3.SQLITE_FULL: FULL,
    sqlite3.SQLITE_CANTOPEN: UNREACHABLE,
    sqlite3.SQLITE_IOERR: UNREACHABLE,
}

# PostgreSQL SQLSTATEs, most specific first: a class ("08") or a full code ("53100").
_POSTGRES = (
    ("53100", FULL),  # disk_full
    ("25006", READ_ONLY),  # read_only_sql_transaction: a standby, or a read-only default
    ("08", UNREACHABLE),  # connection exceptions
    ("57P", UNREACHABLE),  # admin or crash shutdown, cannot connect now
    ("58", UNREACHABLE),  # system or I/O error
    ("53", BUSY),  # out of memory, too many connections
)


@dataclass(frozen=True)
class Fault:
    """A database failure that is not the request's fault, and what to say about it."""

    reason: str  # UNREACHABLE, BUSY, READ_ONLY or FULL
    detail: str  # the driver's own first line, for operators (never a password)

    def error(self) -> Unavailable:
        """The refusal the web pages and the API answer with (503 ``unavailable``)."""
        return Unavailable(_USER_MESSAGES[self.reason], retry_after=_RETRY_AFTER.get(self.reason))

    def summary(self) -> str:
        """A few words for anyone (a readiness probe): what is wrong, without where."""
        return f"the database {_OPERATOR_WORDS[self.reason]}"

    def operator_line(self, url: str) -> str:
        """One line for a log or a terminal: where the database is, and what is wrong."""
        return f"the database {where(url)} {_OPERATOR_WORDS[self.reason]}: {self.detail}"


def where(url: str) -> str:
    """The database's location from its URL: host, port and name, or the SQLite file.

    Never the user name or the password.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"file {parsed.database or ':memory:'}"
    host = parsed.host or "localhost"
    port = f":{parsed.port}" if parsed.port else ""
    return f"at {host}{port}/{parsed.database or ''}"


def classify(exc: BaseException, url: str | None = None) -> Fault | None:
    """The fault behind an exception, or None when it is not a database outage.

    ``url``, when given, lets the detail be scrubbed of the URL's password, should a driver
    ever repeat it.
    """
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection came free in time
        return Fault(BUSY, "every pooled connection is in use")
    original: Any = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    reason = _sqlite_reason(original) or _postgres_reason(original)
    if reason is None and isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        reason = UNREACHABLE  # the driver lost its connection in the middle of the statement
    if reason is None:
        return None
    return Fault(reason, driver_message(exc, url))


def _sqlite_reason(original: Any) -> str | None:
    if not isinstance(original, sqlite3.Error):
        return None
    code = getattr(original, "sqlite_errorcode", None)
    if code is None:
        return None
    return _SQLITE.get(code & 0xFF)


def _postgres_reason(original: Any) -> str | None:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a runtime dependency
        return None
    if not isinstance(original, psycopg.Error):
        return None
    sqlstate = original.sqlstate or ""
    for prefix, reason in _POSTGRES:
        if sqlstate.startswith(prefix):
            return reason
    if not sqlstate and isinstance(original, psycopg.OperationalError):
        return UNREACHABLE  # no server reply to carry a code: the connection itself failed
    return None


def driver_message(exc: BaseException, url: str | None = None) -> str:
    """The first line of what the database driver said (without the URL's password)."""
    original = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    text = lines[0] if lines else type(original).__name__
    password = make_url(url).password if url else None
    if password:
        text = text.replace(str(password), "***")
    return text
