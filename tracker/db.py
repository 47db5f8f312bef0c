"""Engine and session setup, the declarative Base, the unit of work, and SQLite's pragmas.

One SQLAlchemy session per app context (request or CLI command). Services flush, never commit;
the edge opens a unit of work and commits once (house style rule 2).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import MetaData, create_engine, event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

F = TypeVar("F", bound=Callable[..., Any])

BUSY_TIMEOUT_MS = 30_000  # how long a SQLite writer waits for the write lock before giving up
PRIORITY_POLL = 0.001  # seconds between a priority writer's tries for SQLite's write lock
PRIORITY_WAIT_SECONDS = BUSY_TIMEOUT_MS / 1000  # and how long it keeps trying

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base whose metadata names constraints, so migrations stay stable."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


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
            pool_pre_ping=True,  # survive a database restart: the first request after it works
            pool_size=pool_size,
            max_overflow=pool_size * 2,
            pool_recycle=1800,
        )
    # A forked worker must never reuse the parent's sockets.
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    return engine


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
        # and then fail to upgrade; this is SQLite's side of the race-free rules (design rule 9).
        # A long read that never writes (a streamed payroll export) asks for sqlite_read_only: a
        # deferred BEGIN takes no write lock, and under WAL it never blocks writers.
        options = connection.get_execution_options()
        if options.get("sqlite_read_only"):
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
    """Create the engine and session factory for the app and close sessions at teardown."""
    engine = make_engine(
        app.config["DATABASE_URL"], app.config["DB_POOL_SIZE"], app.config["SQLITE_BUSY_TIMEOUT_MS"]
    )
    app.extensions["tracker.engine"] = engine
    app.extensions["tracker.sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)
    app.extensions["tracker.priority_sessionmaker"] = sessionmaker(
        bind=engine.execution_options(sqlite_write_priority=True), expire_on_commit=False
    )
    # Close at the end of every request too: a request may run inside an app context pushed by
    # someone else (a test, a CLI command), and must not leave its transaction open there.
    app.teardown_request(_close_session)
    app.teardown_appcontext(_close_session)


def get_engine() -> Engine:
    """The current app's engine."""
    engine: Engine = current_app.extensions["tracker.engine"]
    return engine


def get_session() -> Session:
    """The session of the current app context, created on first use."""
    if "db_session" not in g:
        factory = "tracker.priority_sessionmaker" if _wants_priority() else "tracker.sessionmaker"
        g.db_session = current_app.extensions[factory]()
    session: Session = g.db_session
    return session


def write_priority(view: F) -> F:
    """Mark a view whose transaction must not queue behind a crowd of writers.

    For the incident controls (freeze, unfreeze): on SQLite the request takes the write lock
    ahead of waiting entry writers (see ``_begin_ahead_of_waiters``). PostgreSQL's lock queue
    is already first come, first served, so there it changes nothing.
    """
    view.write_priority = True  # type: ignore[attr-defined]  # copied outward by functools.wraps
    return view


def claim_write_priority() -> None:
    """Give the current app context's transactions write priority (a CLI freeze, say).

    A session the context already opened is replaced when it has no transaction in progress;
    one in the middle of a transaction keeps it (its lock is taken already).
    """
    g.write_priority = True
    session = g.get("db_session")
    if session is not None and not session.in_transaction():
        g.pop("db_session").close()


def _wants_priority() -> bool:
    if g.get("write_priority"):
        return True
    if not has_request_context() or request.endpoint is None:
        return False
    return getattr(current_app.view_functions.get(request.endpoint), "write_priority", False)


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()  # rolls back anything left uncommitted


@contextmanager
def unit_of_work(session: Session | None = None) -> Iterator[Session]:
    """One transaction around a request's or command's changes: commit on success, else roll back.

    A transaction the request already opened (reading the caller's token, say) simply carries on:
    on SQLite every transaction began with BEGIN IMMEDIATE, so it already holds the write lock,
    and on PostgreSQL each statement reads fresh data under READ COMMITTED. One request, one
    transaction, one commit.
    """
    session = session or get_session()
    try:
        yield session
        session.commit()
    except BaseException as exc:
        session.rollback()
        _record_refusal(session, exc)
        raise


def _record_refusal(session: Session, exc: BaseException) -> None:
    """Write the audit event a refused action asked for, in its own transaction."""
    event = getattr(exc, "audit", None)
    if not event:
        return
    from tracker.services import audit  # late: services import this module

    audit.record(
        session,
        None,
        event["action"],
        target_type=event["data"].pop("target_type", None),
        target_id=event["data"].pop("target_id", None),
        actor_id=event["actor_id"],
        refused=getattr(exc, "code", None),
        **event["data"],
    )
    session.commit()
