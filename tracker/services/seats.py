"""Seats: how many contractors are on a project now, and how many more it takes.

The one place the free-seat arithmetic lives; every page, offer and API answer asks here. Seats
are counted under the project's row lock whenever one is taken (``locks.project_row``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.models import Assignment, Project


def active_counts(session: Session, project_ids: Iterable[int]) -> dict[int, int]:
    """Active assignments per project, in one query (projects without any are left out)."""
    ids = list(project_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Assignment.project_id, func.count())
        .where(Assignment.project_id.in_(ids), Assignment.end_date.is_(None))
        .group_by(Assignment.project_id)
    )
    return {row[0]: row[1] for row in rows}


def free(project: Project, taken: int) -> int | None:
    """Seats left when ``taken`` are in use; None when the project has no limit."""
    if project.seats is None:
        return None
    return max(project.seats - taken, 0)


def free_seats_of(session: Session, projects: Iterable[Project]) -> dict[int, int | None]:
    """Free seats per project (None: no limit), in one query."""
    listed = list(projects)
    counts = active_counts(session, [p.id for p in listed])
    return {p.id: free(p, counts.get(p.id, 0)) for p in listed}


def free_seats(session: Session, project: Project) -> int | None:
    """Seats left on the project, or None when it has no limit."""
    return free_seats_of(session, [project])[project.id]
