"""Every lock the app takes, in one place (docs/architecture.md has the order they go in).

PostgreSQL: every path that writes entries of a project takes the transaction-scoped *shared*
advisory lock keyed on the project; freeze, unfreeze and close take the *exclusive* one.
Advisory locks queue fairly, so a waiting freeze is not overtaken by new entry writers
(``SELECT … FOR SHARE`` is, and starves it). Callers read the project's status only after the
lock is granted. Seats are counted under the project's row lock (``FOR UPDATE``).

SQLite: every write transaction begins with ``BEGIN IMMEDIATE`` (see ``tracker.db``), which
already serialises writers, so the advisory locks do nothing there and the row lock is a read.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tracker.db import is_postgres
from tracker.errors import NotFound
from tracker.models import Project
from tracker.models.base import client_key

# Two-key advisory locks: (namespace, id). Namespaces keep the key spaces apart.
PROJECT_ENTRIES = 1
PAYROLL_EXPORT = 3
REMINDERS = 4
CLIENT = 5


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


_EXCLUSIVE_MANY = text(
    "SELECT count(pg_advisory_xact_lock(:ns, id)) FROM unnest(CAST(:ids AS integer[])) AS t(id)"
)


def exclusive_projects(session: Session, project_ids: list[int]) -> None:
    """``exclusive_project`` for many projects in one statement, in ascending id order.

    ``unnest`` yields the array in order, so the locks are taken one after the other from the
    lowest id up, as every other path takes them: two incidents never deadlock.
    """
    if project_ids and is_postgres(session):
        session.execute(_EXCLUSIVE_MANY, {"ns": PROJECT_ENTRIES, "ids": sorted(set(project_ids))})


def projects_rows(session: Session, project_ids: list[int]) -> list[Project]:
    """The projects re-read under their row locks, in id order (``FOR UPDATE`` on PostgreSQL)."""
    if not project_ids:
        return []
    query = select(Project).where(Project.id.in_(project_ids)).order_by(Project.id)
    if is_postgres(session):
        query = query.with_for_update()
    return list(session.scalars(query.execution_options(populate_existing=True)))


def client(session: Session, name: str) -> None:
    """Serialise a client-wide incident's start with a project joining that client.

    Keyed on the client's name as incidents compare it (``client_key``), so a project
    created for a client while its incident starts is either seen by the start or sees the
    incident. Taken before any project lock.
    """
    if is_postgres(session):
        session.execute(
            text("SELECT pg_advisory_xact_lock(:ns, hashtext(:key))"),
            {"ns": CLIENT, "key": client_key(name)},
        )


def _day_key(user_id: int, day: dt.date) -> int:
    """One bigint key: user id and day ordinal (< 10**6) packed without collisions."""
    return user_id * 1_000_000 + day.toordinal()


def contractor_day(session: Session, user_id: int, day: dt.date) -> None:
    """Serialise writers of one contractor's one work date (the 24-hour daily limit)."""
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _day_key(user_id, day)})


# The materialised CTE is evaluated before the outer select list: project first, then the day,
# the same order as share_project followed by contractor_day, in one round trip.
_PROJECT_THEN_DAY = text(
    "WITH project AS MATERIALIZED (SELECT pg_advisory_xact_lock_shared(:ns, :id) AS granted) "
    "SELECT pg_advisory_xact_lock(:key) FROM project"
)


def share_project_then_day(session: Session, project_id: int, user_id: int, day: dt.date) -> None:
    """``share_project`` and then ``contractor_day``, in one statement (a new entry takes both)."""
    if is_postgres(session):
        session.execute(
            _PROJECT_THEN_DAY,
            {"ns": PROJECT_ENTRIES, "id": project_id, "key": _day_key(user_id, day)},
        )


def payroll_export(session: Session) -> None:
    """Serialise export batches, so two at the same instant never take the same entry."""
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:ns, 0)"), {"ns": PAYROLL_EXPORT})


def project_row(session: Session, project_id: int) -> Project:
    """The project re-read under its row lock (``FOR UPDATE`` on PostgreSQL). Raises NotFound.

    Taken to count seats, and by the hold lifecycle after the exclusive advisory lock.
    """
    query = select(Project).where(Project.id == project_id)
    if is_postgres(session):
        query = query.with_for_update()
    project = session.scalars(query.execution_options(populate_existing=True)).first()
    if project is None:
        raise NotFound(_("No such project."))
    return project


def reminders(session: Session) -> None:
    """Serialise reminder and digest runs, so two at the same instant never write one twice."""
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:ns, 0)"), {"ns": REMINDERS})
