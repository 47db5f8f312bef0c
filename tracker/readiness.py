"""Readiness (``GET /readyz``): may an orchestrator send traffic to this process yet?

``/healthz`` only asks whether the database answers. Ready also means every check registered
here passes: the schema is migrated to what this code needs, and whatever a feature adds with
``register_check``, and the outbox worker seen within ``OUTBOX_STALE_SECONDS`` (0 turns that
check off, for deployments that send no email). Each check is one cheap query:
the code's head revision is read from the migration scripts once per process, at start-up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import Flask, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from tracker import db_faults, migrate
from tracker.db import get_engine
from tracker.services import outbox

# A readiness check reads what it needs through the session and returns None when ready,
# otherwise a sentence saying what is not (shown to anyone: no host names, no secrets).
Check = Callable[[Session], "str | None"]

OK = "ok"
_EXTENSION = "tracker.readiness_checks"


def init_app(app: Flask) -> None:
    """Register the built-in checks, and read the code's head revision now (once per process)."""
    migrate.heads()
    migrate.known_revisions()
    register_check(app, "migrations", migrations_applied)
    stale_after = int(app.config["OUTBOX_STALE_SECONDS"])
    if stale_after:
        window = dt.timedelta(seconds=stale_after)
        register_check(app, "outbox", lambda session: outbox.worker_staleness(session, window))


def register_check(app: Flask, name: str, check: Check) -> None:
    """Add a readiness check under ``name`` (the key in /readyz's ``checks``)."""
    app.extensions.setdefault(_EXTENSION, {})[name] = check


def migrations_applied(session: Session) -> str | None:
    """Not ready while the database is behind this code's migrations (``db upgrade`` pending).

    A database at a revision this code does not know was migrated by a newer version; the
    older code keeps serving while a rolling upgrade replaces it.
    """
    try:
        at = set(session.scalars(text("SELECT version_num FROM alembic_version")))
    except SQLAlchemyError as exc:
        if db_faults.classify(exc) is not None:
            raise
        session.rollback()  # no such table: never migrated
        at = set()
    needed = migrate.heads()
    if at == needed or (at - migrate.known_revisions()):
        return None
    upgrade = "run `flask --app tracker db upgrade`"
    if not at:
        return f"the database has no schema yet; {upgrade}"
    return (
        f"migrations pending: the database is at revision {', '.join(sorted(at))}, this version "
        f"needs {', '.join(sorted(needed))}; {upgrade}"
    )


def report() -> tuple[bool, dict[str, str]]:
    """(ready, {check name: "ok" or what is not}); "database" comes first.

    Reads through a session of its own that takes no write lock on SQLite, so an orchestrator
    polling every few seconds never queues behind (or ahead of) the writers.
    """
    session = Session(bind=get_engine().execution_options(sqlite_read_only=True))
    checks: dict[str, str] = {"database": OK}
    try:
        session.execute(text("SELECT 1"))
        for name, check in current_app.extensions.get(_EXTENSION, {}).items():
            checks[name] = check(session) or OK
    except SQLAlchemyError as exc:
        fault = db_faults.classify(exc)
        if fault is None:
            raise
        checks = {"database": fault.summary()}
    finally:
        session.close()
    return all(value == OK for value in checks.values()), checks
