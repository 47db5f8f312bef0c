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

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from tracker.clock import day_text, local_today
from tracker.errors import (
    AlreadyAssigned,
    DomainError,
    Invalid,
    NotFound,
    ProjectClosed,
    ProjectFull,
)
from tracker.models import Assignment, Hold, Project, TimeEntry, User
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
    start_date: Any = None,
    end_date: Any = None,
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
    ``start_date`` each assignment starts on today's date where that contractor is; with an
    ``end_date`` (not after that today) it records a stint that has ended and takes no seat. An
    assignment never overlaps another of the same person on the project. Seats are counted
    once, under the project's row lock. Each new assignment is audited as ``action``
    (default: ``assignment.create``, or ``reassignment.accept`` for a reassignment) with
    ``audit_data``.

    Returns (made [(user, assignment)], refused [(user, refusal)]), where a refusal is Invalid
    (not a contractor, disabled, dates out of order or in the future), AlreadyAssigned
    (overlapping dates) or ProjectFull. Raises Invalid (bad rate or date), ProjectClosed,
    NotFound.
    """
    rate = validation.money(hourly_rate, required=False)
    first = inputs.optional_date(start_date, "start_date")
    last = inputs.optional_date(end_date, "end_date")
    project = locks.project_row(session, project.id)  # seats are counted under the row lock
    if project.status == "closed":
        raise ProjectClosed(_("Project %(code)s is closed.", code=project.code))
    stints = _stints(session, project, [u.id for u in people])
    left = seats.free_seats(session, project)
    made: list[tuple[User, Assignment]] = []
    refused: list[tuple[User, DomainError]] = []
    for user in people:
        their_today = today or local_today(user)
        begins = first or their_today
        refusal = (
            _refusal(user)
            or _date_refusal(user, project, begins, last, their_today, stints.get(user.id, []))
            or _seat_refusal(project, left if last is None else None)
        )
        if refusal is not None:
            refused.append((user, refusal))
            continue
        assignment = Assignment(
            user_id=user.id,
            project_id=project.id,
            start_date=begins,
            end_date=last,
            hourly_rate=starting_override(user, rate),
            origin=origin,
            from_project_id=from_hold.project_id if from_hold else None,
            from_hold_id=from_hold.id if from_hold else None,
            created_by_id=actor.id if actor else None,
            ended_by_id=actor.id if actor and last is not None else None,
        )
        session.add(assignment)
        made.append((user, assignment))
        stints.setdefault(user.id, []).append(assignment)
        if last is None and left is not None:
            left -= 1
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


def _stints(session: Session, project: Project, user_ids: list[int]) -> dict[int, list[Assignment]]:
    """Every assignment, past and present, of these people on the project, by user id."""
    found: dict[int, list[Assignment]] = {}
    for assignment in session.scalars(
        select(Assignment)
        .where(Assignment.project_id == project.id, Assignment.user_id.in_(user_ids))
        .order_by(Assignment.start_date)
    ):
        found.setdefault(assignment.user_id, []).append(assignment)
    return found


def _refusal(user: User) -> DomainError | None:
    """Why this person cannot be assigned to any project, or None."""
    if not user.is_contractor:
        return Invalid.field("user_id", _("Only contractors can be assigned to projects."))
    if not user.active:
        return Invalid.field("user_id", _("This user is disabled."))
    return None


def _seat_refusal(project: Project, left: int | None) -> DomainError | None:
    """ProjectFull when no seat is left (``left`` None: no limit, or no seat needed)."""
    if left is not None and left <= 0:
        return ProjectFull(_("Project %(code)s has no free seat.", code=project.code))
    return None


def _date_refusal(
    user: User,
    project: Project,
    first: dt.date,
    last: dt.date | None,
    today: dt.date,
    others: Sequence[Assignment],
) -> DomainError | None:
    """Why an assignment of ``user`` on these dates cannot be, or None.

    The dates are in order, the end is not after the contractor's today (an assignment with an
    end date has ended), and no other assignment of theirs on the project shares a day.
    """
    if last is not None and last < first:
        return Invalid.field("end_date", _("The end date is before the start date."))
    if last is not None and last > today:
        return Invalid.field(
            "end_date",
            _(
                "The end date is after today (%(today)s for %(name)s). Leave it empty and end "
                "the assignment on its last day.",
                today=day_text(today, today),
                name=user.name,
            ),
        )
    for other in others:
        if other.start_date <= (last or dt.date.max) and first <= (other.end_date or dt.date.max):
            if other.end_date is None:
                return AlreadyAssigned(
                    _(
                        "%(name)s is already on %(code)s from %(start)s.",
                        name=user.name,
                        code=project.code,
                        start=day_text(other.start_date, today),
                    )
                )
            return AlreadyAssigned(
                _(
                    "%(name)s was on %(code)s from %(start)s to %(end)s; choose dates outside "
                    "that, or correct the earlier assignment's dates.",
                    name=user.name,
                    code=project.code,
                    start=day_text(other.start_date, today),
                    end=day_text(other.end_date, today),
                )
            )
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
        raise NotFound(_("No such assignment."))
    return assignment


def change_assignment(
    session: Session, actor: User | None, assignment: Assignment, **changes: Any
) -> Assignment:
    """Change an assignment's end date or rate override (an import's update).

    The end date goes through ``change_dates`` and its rules (order, overlaps, hours logged
    outside, a seat when made active again). Entries keep the rate they were logged with
    (``TimeEntry.hourly_rate``), so a new rate pays new entries only and nothing payroll has
    paid changes; it is audited as ``assignment.update``. Raises Invalid, AlreadyAssigned,
    ProjectFull, ProjectClosed.
    """
    if "end_date" in changes:
        change_dates(
            session,
            actor,
            assignment,
            start_date=assignment.start_date,
            end_date=changes.pop("end_date"),
        )
    clean = validation.clean(
        changes, {"hourly_rate": lambda v: validation.money(v, required=False)}
    )
    before = audit.snapshot(assignment, *ASSIGNMENT_FIELDS)
    for key, value in clean.items():
        setattr(assignment, key, value)
    after = audit.snapshot(assignment, *ASSIGNMENT_FIELDS)
    if before != after:
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
        raise Invalid.field("assignment", _("This assignment has already ended."))
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


def change_dates(
    session: Session,
    actor: User | None,
    assignment: Assignment,
    *,
    start_date: Any,
    end_date: Any = None,
    today: dt.date | None = None,
) -> Assignment:
    """Correct an assignment's dates (``end_date`` empty: it is active again).

    The same date rules as a new assignment; an assignment made active again needs a free seat
    on a project that is not closed. Every hour the contractor logged on the project stays
    inside one of their assignments. Raises Invalid, AlreadyAssigned, ProjectFull,
    ProjectClosed.
    """
    first = inputs.date(
        start_date, "start_date", _("Give the start date, like %(example)s.", example="2026-12-01")
    )
    last = inputs.optional_date(end_date, "end_date")
    project = locks.project_row(session, assignment.project_id)  # seats, and one change at once
    user = session.get(User, assignment.user_id)
    if user is None:  # the foreign key makes this impossible; fail closed all the same
        raise NotFound(_("No such assignment."))
    their_today = today or local_today(user)
    others = [
        a for a in _stints(session, project, [user.id]).get(user.id, []) if a is not assignment
    ]
    refusal = _date_refusal(user, project, first, last, their_today, others)
    if refusal is None and last is None and assignment.end_date is not None:
        if project.status == "closed":
            raise ProjectClosed(_("Project %(code)s is closed.", code=project.code))
        refusal = _seat_refusal(project, seats.free_seats(session, project))
    if refusal is not None:
        raise refusal
    _check_entries_covered(session, user, project, others, (first, last), their_today)
    before = audit.snapshot(assignment, "start_date", "end_date")
    assignment.start_date, assignment.end_date = first, last
    if last is not None and before["end_date"] is None:
        assignment.ended_by_id = actor.id if actor else None
    after = audit.snapshot(assignment, "start_date", "end_date")
    if before != after:
        audit.record(
            session, actor, "assignment.update", assignment, **audit.changes(before, after)
        )
    session.flush()
    return assignment


def _check_entries_covered(
    session: Session,
    user: User,
    project: Project,
    others: list[Assignment],
    changed: tuple[dt.date, dt.date | None],
    today: dt.date,
) -> None:
    """Refuse dates that would leave logged hours outside every assignment. Raises Invalid."""
    ranges = [(a.start_date, a.end_date) for a in others] + [changed]
    days = session.scalars(
        select(TimeEntry.work_date)
        .where(TimeEntry.user_id == user.id, TimeEntry.project_id == project.id)
        .distinct()
        .order_by(TimeEntry.work_date)
    )
    for day in days:
        if not any(first <= day <= (last or dt.date.max) for first, last in ranges):
            raise Invalid.field(
                "start_date" if day < changed[0] else "end_date",
                _(
                    "%(name)s has hours on %(code)s on %(day)s, outside these dates. Move or "
                    "delete those hours first, or choose dates that include them.",
                    name=user.name,
                    code=project.code,
                    day=day_text(day, today),
                ),
            )


def logged_minutes(session: Session, assignment: Assignment) -> int:
    """The minutes the contractor logged on the project inside the assignment's dates."""
    query = select(func.coalesce(func.sum(TimeEntry.minutes), 0)).where(
        TimeEntry.user_id == assignment.user_id,
        TimeEntry.project_id == assignment.project_id,
        TimeEntry.work_date >= assignment.start_date,
    )
    if assignment.end_date is not None:
        query = query.where(TimeEntry.work_date <= assignment.end_date)
    return int(session.scalar(query) or 0)


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
