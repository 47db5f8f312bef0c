"""Assignments: put contractors on projects within their seats, end them, list them.

Every assignment — direct, a contractor's own move off a held project, an admin's bulk move —
is made by ``assign_many`` (``assign`` is its one-person form), so the seat count, the
contractor's default rate and the audit event never differ by the door it came through.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from tracker.clock import local_today
from tracker.errors import (
    AlreadyAssigned,
    DomainError,
    Invalid,
    NotFound,
    ProjectClosed,
    ProjectFull,
)
from tracker.models import Assignment, Hold, Project, User
from tracker.models.projects import pay_rate
from tracker.services import audit, inputs, locks, seats, validation

ASSIGNMENT_FIELDS = (
    "user_id",
    "project_id",
    "start_date",
    "end_date",
    "hourly_rate",
    "origin",
    "from_project_id",
    "from_hold_id",
)


def is_assigned(session: Session, user: User, project: Project, active: bool = False) -> bool:
    """True when the user has, or has had, an assignment on the project (``active``: has now)."""
    query = select(Assignment.id).where(
        Assignment.user_id == user.id, Assignment.project_id == project.id
    )
    if active:
        query = query.where(Assignment.end_date.is_(None))
    return session.scalar(query.limit(1)) is not None


def project_ids_of(user: User) -> Any:
    """The ids of every project the user is or was on, as a subquery."""
    return select(Assignment.project_id).where(Assignment.user_id == user.id)


def starting_override(user: User, hourly_rate: Decimal | None = None) -> Decimal | None:
    """The rate override a new assignment gets: the one given, else the contractor's default."""
    return hourly_rate if hourly_rate is not None else user.hourly_rate


def starting_rate(user: User, project: Project) -> Decimal:
    """What an hour would pay the contractor on joining the project now (offers show it)."""
    return pay_rate(starting_override(user), project)


def current_assignments(session: Session, user: User) -> list[tuple[Assignment, Project]]:
    """The contractor's active assignments with their projects, by project code."""
    rows = session.execute(
        select(Assignment, Project)
        .join(Project, Project.id == Assignment.project_id)
        .where(Assignment.user_id == user.id, Assignment.end_date.is_(None))
        .order_by(Project.code)
    )
    return [(assignment, project) for assignment, project in rows]


def origin_codes(session: Session, assignments: list[Assignment]) -> dict[int, str]:
    """The codes of the projects these assignments were reassigned from, in one query."""
    ids = {a.from_project_id for a in assignments if a.from_project_id is not None}
    if not ids:
        return {}
    rows = session.execute(select(Project.id, Project.code).where(Project.id.in_(ids)))
    return {int(pid): str(code) for pid, code in rows}


def assign_many(
    session: Session,
    actor: User | None,
    project: Project,
    people: Sequence[User],
    *,
    hourly_rate: Any = None,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    origin: str = "direct",
    from_hold: Hold | None = None,
    today: dt.date | None = None,
    action: str | None = None,
    **audit_data: Any,
) -> tuple[list[tuple[User, Assignment]], list[tuple[User, DomainError]]]:
    """Put contractors on a project, in the order given, while it has free seats.

    Without ``hourly_rate`` a contractor's default rate (``User.hourly_rate``), when set,
    becomes the assignment's rate override, so the member rate wins over the project's; with
    neither, entries use the project rate. The rate is in the project's currency. Without
    ``start_date`` each assignment starts on today's date where that contractor is. Seats are
    counted once, under the project's row lock. Each new assignment is audited as ``action``
    (default: ``assignment.create``, or ``reassignment.accept`` for a reassignment) with
    ``audit_data``.

    Returns (made [(user, assignment)], refused [(user, refusal)]), where a refusal is Invalid
    (not a contractor, disabled), AlreadyAssigned or ProjectFull. Raises Invalid (bad rate),
    ProjectClosed, NotFound.
    """
    rate = validation.money(hourly_rate, required=False)
    if end_date is not None and start_date is not None and end_date < start_date:
        raise Invalid.field("end_date", "The end date cannot be before the start date.")
    project = locks.project_row(session, project.id)  # seats are counted under the row lock
    if project.status == "closed":
        raise ProjectClosed(f"Project {project.code} is closed.")
    on_it = set(
        session.scalars(
            select(Assignment.user_id).where(
                Assignment.project_id == project.id,
                Assignment.end_date.is_(None),
                Assignment.user_id.in_([u.id for u in people]),
            )
        )
    )
    left = seats.free_seats(session, project)
    made: list[tuple[User, Assignment]] = []
    refused: list[tuple[User, DomainError]] = []
    for user in people:
        if end_date is None:
            refusal = _refusal(user, project, on_it, left)
        else:  # an ended assignment (history) takes no seat and is not the one active one
            refusal = _refusal(user, project, set(), None)
        if refusal is not None:
            refused.append((user, refusal))
            continue
        assignment = Assignment(
            user_id=user.id,
            project_id=project.id,
            start_date=start_date or today or local_today(user),
            end_date=end_date,
            hourly_rate=starting_override(user, rate),
            origin=origin,
            from_project_id=from_hold.project_id if from_hold else None,
            from_hold_id=from_hold.id if from_hold else None,
            created_by_id=actor.id if actor else None,
            ended_by_id=actor.id if actor and end_date is not None else None,
        )
        session.add(assignment)
        made.append((user, assignment))
        if end_date is None:
            on_it.add(user.id)
            left = None if left is None else left - 1
    if made:
        session.flush()  # the audit events name the new assignments by id
    action = action or ("reassignment.accept" if origin == "reassignment" else "assignment.create")
    audit.record_many(  # one statement for the events of a bulk move or an import
        session,
        actor,
        action,
        "assignment",
        [
            (a.id, {**audit_data, "after": audit.snapshot(a, *ASSIGNMENT_FIELDS)})
            for _user, a in made
        ],
    )
    return made, refused


def _refusal(user: User, project: Project, on_it: set[int], left: int | None) -> DomainError | None:
    """Why this person cannot join the project now, or None."""
    if not user.is_contractor:
        return Invalid.field("user_id", "Only contractors can be assigned to projects.")
    if not user.active:
        return Invalid.field("user_id", "This user is disabled.")
    if user.id in on_it:
        return AlreadyAssigned(f"{user.name} is already on {project.code}.")
    if left is not None and left <= 0:
        return ProjectFull(f"Project {project.code} has no free seat.")
    return None


def assign(
    session: Session, actor: User | None, project: Project, user: User, **options: Any
) -> Assignment:
    """Put one contractor on a project within its seats (``assign_many`` for one person).

    Raises Invalid (not a contractor, disabled, bad rate), ProjectClosed, AlreadyAssigned,
    ProjectFull, NotFound.
    """
    made, refused = assign_many(session, actor, project, [user], **options)
    if refused:
        raise refused[0][1]
    return made[0][1]


def get_assignment(session: Session, assignment_id: int) -> Assignment:
    """The assignment. Raises NotFound."""
    assignment = inputs.find(session, Assignment, assignment_id)
    if assignment is None:
        raise NotFound("No such assignment.")
    return assignment


ASSIGNMENT_PARSERS = {
    "end_date": lambda v: inputs.optional_date(v, "end_date"),
    "hourly_rate": lambda v: validation.money(v, required=False),
}


def change_assignment(
    session: Session, actor: User | None, assignment: Assignment, **changes: Any
) -> Assignment:
    """Change an assignment's end date or rate override, audited as ``assignment.update``.

    Entries keep the rate they were logged with (``TimeEntry.hourly_rate``), so a new rate
    pays new entries only and nothing payroll has paid changes. Raises Invalid (bad values,
    an end before the start, clearing an end: that would reopen an ended assignment).
    """
    clean = validation.clean(changes, ASSIGNMENT_PARSERS)
    if "end_date" in clean:
        if clean["end_date"] is None and assignment.end_date is not None:
            raise Invalid.field("end_date", "An ended assignment cannot be reopened here.")
        if clean["end_date"] is not None and clean["end_date"] < assignment.start_date:
            raise Invalid.field("end_date", "The end date cannot be before the start date.")
    before = audit.snapshot(assignment, *ASSIGNMENT_FIELDS)
    for key, value in clean.items():
        setattr(assignment, key, value)
    after = audit.snapshot(assignment, *ASSIGNMENT_FIELDS)
    if before != after:
        if "end_date" in clean and assignment.end_date is not None:
            assignment.ended_by_id = actor.id if actor else None
        audit.record(
            session,
            actor,
            "assignment.update",
            assignment,
            target_id=assignment.id,
            **audit.changes(before, after),
        )
    return assignment


def end_assignment(
    session: Session, actor: User | None, assignment: Assignment, today: dt.date | None = None
) -> Assignment:
    """End an active assignment today (the contractor's date); entries are kept.

    Raises Invalid when already ended.
    """
    if assignment.end_date is not None:
        raise Invalid.field("assignment", "This assignment has already ended.")
    day = today or local_today(session.get(User, assignment.user_id))
    assignment.end_date = max(day, assignment.start_date)
    assignment.ended_by_id = actor.id if actor else None
    audit.record(
        session,
        actor,
        "assignment.end",
        assignment,
        after={"end_date": assignment.end_date.isoformat()},
    )
    return assignment


def list_assignments(
    session: Session, project: Project | None = None, user: User | None = None
) -> list[Assignment]:
    """Assignments of a project or a user, active first, with users and projects loaded."""
    query = (
        select(Assignment)
        .options(joinedload(Assignment.user), joinedload(Assignment.project))
        .order_by(Assignment.end_date.is_not(None), Assignment.id)
    )
    if project is not None:
        query = query.where(Assignment.project_id == project.id)
    if user is not None:
        query = query.where(Assignment.user_id == user.id)
    return list(session.scalars(query))
