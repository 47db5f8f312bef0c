"""Engine and session setup, the unit of work, and SQLite's pragmas and transaction modes.

One SQLAlchemy session per app context (request or CLI command). Services flush, never commit;
the edge opens a unit of work and commits once.

On SQLite a transaction begins in one of three ways (see ``_configure_sqlite``): a reader's
``BEGIN`` (deferred: under WAL it takes no lock and is never blocked by a writer), a writer's
``BEGIN IMMEDIATE`` (the write lock up front, so two writers never both read and then fail to
upgrade), or a priority writer's ``BEGIN IMMEDIATE`` that polls ahead of waiting writers
(freeze and unfreeze). A request that only reads (GET, HEAD) and a CLI command get a reader
session; ``unit_of_work`` turns it into a writer for its transaction. A request that changes
things (POST, PATCH, DELETE) gets a writer session from its first statement, except for the
checks of who is calling (``begin_read``): a cookie's user, an API token, a password being
hashed never hold the write lock. The freeze's priority goes only to a caller whose role the
interface has accepted (``caller_authorized``); anonymous or refused requests never get it.
"""

from __future__ import annotations

import os
import select
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

F = TypeVar("F", bound=Callable[..., Any])

BUSY_TIMEOUT_MS = 30_000  # how long a SQLite writer waits for the write lock before giving up
PRIORITY_POLL = 0.001  # seconds between a priority writer's tries for SQLite's write lock
PRIORITY_WAIT_SECONDS = BUSY_TIMEOUT_MS / 1000  # and how long it keeps trying
READ_ONLY = "sqlite_read_only"  # execution option: this transaction begins deferred
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})  # requests that read (their writes: units)


def make_engine(url: str, pool_size: int = 5, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Engine:
    """Create the engine for a URL, with SQLite's pragmas and BEGIN IMMEDIATE, or a PG pool.

    ``busy_timeout_ms``: how long a SQLite writer waits for the write lock before giving up.
    """
    if url.startswith("sqlite"):
        private_sqlite_file(url)
        engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000})
        _configure_sqlite(engine, busy_timeout_ms)
    else:
        # A host that does not answer costs a request 10 s, not the minutes TCP would wait
        # (unless the URL sets its own connect_timeout).
        timeout = {} if "connect_timeout" in make_url(url).query else {"connect_timeout": 10}
        engine = create_engine(
            url,
            connect_args=timeout,
            pool_size=pool_size,
            max_overflow=pool_size * 2,
            pool_recycle=1800,
        )
        # Survive a database restart: the first request after it works. Instead of a ping
        # (a round trip on every checkout), a connection the server has closed is noticed
        # from its socket and replaced, and one that dies unnoticed is replaced when its
        # BEGIN fails, before any statement ran.
        event.listen(engine, "checkout", _replace_if_closed)
        event.listen(engine, "begin", _begin_on_a_live_connection)
    # A forked worker must never reuse the parent's sockets.
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    return engine


def _replace_if_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Refuse a pooled connection the server has ended; the pool then opens a new one.

    A server that restarts, or ends a connection (``pg_terminate_backend``), sends its goodbye
    and closes the socket, so an idle connection with something to read, or already marked
    broken, is dead. Checking costs a system call, not a round trip.
    """
    if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
        raise DisconnectionError("the connection was closed")
    try:
        poller = select.poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLPRI)
        ready = poller.poll(0)
    except (OSError, ValueError) as exc:  # no socket any more
        raise DisconnectionError("the connection has no socket") from exc
    if ready:  # an idle connection is sent nothing unless the server is ending it
        raise DisconnectionError("the server ended the connection")


def _send_begin(driver_connection: Any) -> bool | None:
    """BEGIN, exactly as psycopg sends it before a transaction's first statement.

    True when the transaction began; False when the connection turned out dead; None when it
    is left to the driver (not psycopg, autocommit, or transaction settings of its own).
    """
    pgconn = getattr(driver_connection, "pgconn", None)
    if pgconn is None or driver_connection.autocommit:
        return None
    if any(
        getattr(driver_connection, name, None) is not None
        for name in ("isolation_level", "read_only", "deferrable")
    ):
        return None
    from psycopg import OperationalError, pq

    try:
        result = pgconn.exec_(b"BEGIN")
    except OperationalError:
        return False
    if result.status == pq.ExecStatus.COMMAND_OK:
        return True
    return False if pgconn.status == pq.ConnStatus.BAD else None


def _begin_on_a_live_connection(connection: Any) -> None:
    """Begin a PostgreSQL transaction; on a dead connection, once more on a new one.

    The BEGIN is the round trip the driver would make anyway, so this costs nothing; when it
    fails, nothing has run in the transaction yet, so retrying is safe. The pool is renewed
    too: its other connections were most likely lost in the same restart. A second failure
    (the server is still away) surfaces as the usual "cannot be reached" error.
    """
    if _send_begin(connection.connection.driver_connection) is not False:
        return
    connection.invalidate()
    connection.engine.dispose()  # the connections checked in now were lost with this one
    _send_begin(connection.connection.driver_connection)  # a new connection, or its error


def private_sqlite_file(url: str) -> None:
    """Create a SQLite database file readable by its owner only (mode 0600) before first use.

    SQLite gives its -wal and -shm files the same permissions as the database file.
    """
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        fd = os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except (FileExistsError, FileNotFoundError):  # exists already, or SQLite reports the folder
        return
    os.close(fd)


def _configure_sqlite(engine: Engine, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
    """WAL, foreign keys, and write transactions that take the write lock when they begin."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        record.info["busy_timeout_ms"] = busy_timeout_ms
        # Stop the driver from issuing its own deferred BEGIN; the "begin" hook below does it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the database write lock up front, so two transactions never both read
        # and then fail to upgrade; this is SQLite's side of the race-free freeze (an entry
        # racing it commits first or is refused). A reader asks for sqlite_read_only: a
        # deferred BEGIN takes no lock, and under WAL readers and the writer never block each
        # other.
        options = connection.get_execution_options()
        if options.get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        elif options.get("sqlite_write_priority"):
            _begin_ahead_of_waiters(connection)
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def _begin_ahead_of_waiters(connection: Any) -> None:
    """BEGIN IMMEDIATE, trying every millisecond instead of SQLite's growing back-off.

    SQLite's busy handler is not a queue: a waiter sleeps longer and longer (up to 100 ms a
    time) while writers that arrive later take the lock in between, so under a crowd of entry
    writers a freeze could wait seconds. A priority writer polls instead, so it takes the lock
    within about a millisecond of its release. After the engine's busy timeout (at most
    ``PRIORITY_WAIT_SECONDS``) it gives up with SQLite's own "database is locked", as any writer
    does.
    """
    raw = connection.connection.driver_connection
    busy_timeout_ms = connection.connection.info.get("busy_timeout_ms", BUSY_TIMEOUT_MS)
    deadline = time.monotonic() + min(PRIORITY_WAIT_SECONDS, busy_timeout_ms / 1000)
    raw.execute("PRAGMA busy_timeout=0")
    try:
        while time.monotonic() < deadline:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                    raise
            time.sleep(PRIORITY_POLL)
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # a last try, without waiting: raises
    finally:
        raw.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")


def is_postgres(session: Session) -> bool:
    """True when the session talks to PostgreSQL (advisory locks, COPY, FOR UPDATE apply)."""
    return session.get_bind().dialect.name == "postgresql"


def init_app(app: Flask) -> None:
    """Create the engine and session factories for the app and close sessions at teardown."""
    engine = make_engine(
        app.config["DATABASE_URL"], app.config["DB_POOL_SIZE"], app.config["SQLITE_BUSY_TIMEOUT_MS"]
    )
    app.extensions["tracker.engine"] = engine
    app.extensions["tracker.sessions"] = {
        "read": sessionmaker(
            bind=engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        ),
        "write": sessionmaker(bind=engine, expire_on_commit=False),
        "priority": sessionmaker(
            bind=engine.execution_options(sqlite_write_priority=True), expire_on_commit=False
        ),
    }
    # Close at the end of every request too: a request may run inside an app context pushed by
    # someone else (a test, a CLI command), and must not leave its transaction open there.
    app.teardown_request(_close_session)
    app.teardown_appcontext(_close_session)


def get_engine() -> Engine:
    """The current app's engine."""
    engine: Engine = current_app.extensions["tracker.engine"]
    return engine


def get_session() -> Session:
    """The session of the current app context, created on first use (see the module doc)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["tracker.sessions"][_kind()]()
    session: Session = g.db_session
    return session


def database_answers() -> bool:
    """True when the database answers a trivial query now (the health check)."""
    session = get_session()
    try:
        session.execute(text("SELECT 1"))
        session.rollback()
    except Exception:  # any database failure means "not healthy"
        return False
    return True


def write_priority(view: F) -> F:
    """Mark a view whose transaction must not queue behind a crowd of writers.

    For the incident controls (freeze, unfreeze): on SQLite the request takes the write lock
    ahead of waiting entry writers (see ``_begin_ahead_of_waiters``). PostgreSQL's lock queue
    is already first come, first served, so there it changes nothing.
    """
    view.write_priority = True  # type: ignore[attr-defined]  # copied outward by functools.wraps
    return view


def begin_read(session: Session | None = None) -> Session:
    """Begin the session's transaction as a reader, unless one is in progress already.

    For what a request reads before deciding to change anything — who the caller is (a cookie's
    user, an API token), the sign-in throttle's counts, the stored password hash — so an
    anonymous crowd never takes SQLite's write lock, and no password is hashed while it is held.
    ``unit_of_work`` ends this read and begins the writer's transaction.
    """
    session = session or get_session()
    if not session.in_transaction():
        session.connection(execution_options={READ_ONLY: True})
    return session


def caller_authorized() -> None:
    """The interface accepted the caller's role: a ``write_priority`` view may now use it.

    Called by the web's and the API's role checks just before the view runs; until then (and
    for anyone refused) a freeze's route writes as any other request does.
    """
    g.caller_authorized = True


def _priority() -> bool:
    """Whether the current context's write transaction begins ahead of waiting writers."""
    if g.get("write_priority"):
        return True
    if not has_request_context() or not g.get("caller_authorized"):
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "write_priority", False))


def claim_write_priority() -> None:
    """Give the current app context's transactions write priority (a CLI freeze, say).

    A session the context already opened is replaced when it has no transaction in progress;
    one in the middle of a transaction keeps it (its lock is taken already).
    """
    g.write_priority = True
    session = g.get("db_session")
    if session is not None and not session.in_transaction():
        g.pop("db_session").close()


def _kind() -> str:
    """Which session the current app context gets: "priority", "write" or "read"."""
    if g.get("write_priority"):
        return "priority"
    if not has_request_context():
        return "read"  # a CLI command: its unit of work begins the write transaction
    # A freeze's route gets its priority in its unit of work, once the caller is accepted
    # (``_begin_write``), never for the checks of who is calling.
    return "read" if request.method in SAFE_METHODS else "write"


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()  # rolls back anything left uncommitted


def _begin_write(session: Session) -> None:
    """Make the session's transaction a writer's, ending the read it was in (if any).

    A read transaction began deferred; writing in it could fail on SQLite (a writer that
    committed since it began makes the upgrade impossible), so it ends first, and what it
    loaded is expired: the unit of work reads everything again under the write lock. A session
    whose transaction already writes carries on.

    PostgreSQL has no write lock to take (its rules take their own locks and read after them),
    so there the reader's transaction simply becomes the writer's: no round trip to end it and
    begin another, and nothing loaded (the caller) read again.
    """
    options: dict[str, Any] = {READ_ONLY: False}
    if _priority():
        options["sqlite_write_priority"] = True
    if session.in_transaction():
        connection = session.connection()
        if not connection.get_execution_options().get(READ_ONLY):
            return
        if session.new or session.deleted or any(session.is_modified(o) for o in session.dirty):
            raise RuntimeError("changes made outside a unit of work would be lost")
        if connection.dialect.name == "postgresql":
            connection.execution_options(**options)  # changes this connection's, in place
            return
        session.rollback()
    session.connection(execution_options=options)


@contextmanager
def unit_of_work(session: Session | None = None) -> Iterator[Session]:
    """One write transaction around a request's or command's changes: commit, else roll back.

    A transaction that already writes (a POST request's, begun with BEGIN IMMEDIATE) simply
    carries on: one request, one transaction, one commit. A reader's transaction ends first
    and the unit begins as a writer (see ``_begin_write``).
    """
    session = session or get_session()
    _begin_write(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
