"""The lock scheme of design rule 9, in one place.

PostgreSQL: every path that writes entries of a project takes the transaction-scoped *shared*
advisory lock keyed on the project; freeze and unfreeze take the *exclusive* one. Advisory locks
queue fairly, so a waiting freeze is not overtaken by new entry writers (``SELECT … FOR SHARE``
is, and starves it). Callers read the project's status only after the lock is granted.

SQLite: every write transaction begins with ``BEGIN IMMEDIATE`` (see ``tracker.db``), which
already serialises writers, so these functions do nothing there.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.orm import Session

from tracker.db import is_postgres

# Two-key advisory locks: (namespace, id). Namespaces keep the key spaces apart.
PROJECT_ENTRIES = 1
PAYROLL_EXPORT = 3


def share_project(session: Session, project_id: int) -> None:
    """Take the shared per-project lock before writing any entry of that project."""
    if is_postgres(session):
        session.execute(
            text("SELECT pg_advisory_xact_lock_shared(:ns, :id)"),
            {"ns": PROJECT_ENTRIES, "id": project_id},
        )


def exclusive_project(session: Session, project_id: int) -> None:
    """Take the exclusive per-project lock before changing the project's hold status."""
    if is_postgres(session):
        session.execute(
            text("SELECT pg_advisory_xact_lock(:ns, :id)"),
            {"ns": PROJECT_ENTRIES, "id": project_id},
        )


def contractor_day(session: Session, user_id: int, day: dt.date) -> None:
    """Serialise writers of one contractor's one work date (the 24-hour daily limit)."""
    if is_postgres(session):
        # One bigint key: user id and day ordinal (< 10**6) packed without collisions.
        session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"),
            {"key": user_id * 1_000_000 + day.toordinal()},
        )


def payroll_export(session: Session) -> None:
    """Serialise export batches, so two at the same instant never take the same entry."""
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:ns, 0)"), {"ns": PAYROLL_EXPORT})
