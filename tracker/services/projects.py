"""Projects and assignments: create, change, close; assign contractors and end assignments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.db import is_postgres
from tracker.errors import (
    AlreadyAssigned,
    Duplicate,
    Invalid,
    NotFound,
    ProjectClosed,
    ProjectFull,
)
from tracker.models import Assignment, Hold, Project, User, utcnow
from tracker.services import audit, entry_rules, locks, notices, notifications, validation

PROJECT_FIELDS = (
    "code",
    "name",
    "client",
    "status",
    "seats",
    "skills",
    "hourly_rate",
    "currency",
    "open_to_reassignment",
)
# Fixed once the project exists: runbooks name the code (``project freeze CODE``) and entries
# snapshot the currency, so changing either would break an incident or relabel pay.
FIXED_FIELDS = {
    "code": "The code cannot change once the project exists; runbooks and scripts name it.",
    "currency": "The currency cannot change once the project exists; entries are paid in it.",
}
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


def get_project(session: Session, project_id: int, viewer: User | None = None) -> Project:
    """The project; a contractor viewer must be assigned to it. Raises NotFound."""
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound("No such project.")
    if viewer is not None and viewer.is_contractor and not is_assigned(session, viewer, project):
        raise NotFound("No such project.")
    return project


def find_by_code(session: Session, code: str) -> Project:
    """The project with that code (case-insensitive). Raises NotFound."""
    project = session.scalar(select(Project).where(Project.code == code.strip().upper()))
    if project is None:
        raise NotFound(f"No project with code {code.strip().upper()!r}.")
    return project


def is_assigned(session: Session, user: User, project: Project) -> bool:
    """True when the user has, or has had, an assignment on the project."""
    query = select(Assignment.id).where(
        Assignment.user_id == user.id, Assignment.project_id == project.id
    )
    return session.scalar(query.limit(1)) is not None


def list_projects(session: Session, viewer: User, status: str | None = None) -> list[Project]:
    """Admin and payroll: every project; contractor: those they are (or were) assigned to."""
    query = select(Project).order_by(Project.code)
    if viewer.is_contractor:
        query = query.where(
            Project.id.in_(select(Assignment.project_id).where(Assignment.user_id == viewer.id))
        )
    if status:
        query = query.where(Project.status == status)
    return list(session.scalars(query))


def active_counts(session: Session, project_ids: list[int]) -> dict[int, int]:
    """Active assignments per project, in one query."""
    if not project_ids:
        return {}
    rows = session.execute(
        select(Assignment.project_id, func.count())
        .where(Assignment.project_id.in_(project_ids), Assignment.end_date.is_(None))
        .group_by(Assignment.project_id)
    )
    return {row[0]: row[1] for row in rows}


def free_seats(session: Session, project: Project) -> int | None:
    """Seats left on the project, or None when it has no limit."""
    if project.seats is None:
        return None
    taken = active_counts(session, [project.id]).get(project.id, 0)
    return max(project.seats - taken, 0)


def active_holds(session: Session, project_ids: list[int]) -> dict[int, Hold]:
    """The hold in force per project, in one query."""
    if not project_ids:
        return {}
    rows = session.scalars(
        select(Hold).where(Hold.project_id.in_(project_ids), Hold.ended_at.is_(None))
    )
    return {hold.project_id: hold for hold in rows}


def _clean_project(values: dict[str, Any], partial: bool) -> dict[str, Any]:
    parsers: dict[str, Callable[[Any], Any]] = {
        "code": validation.project_code,
        "name": lambda v: validation.required_text(v, "name"),
        "client": lambda v: validation.plain_text(v, "client"),
        "seats": validation.seats,
        "skills": validation.skills,
        "hourly_rate": validation.money,
        "currency": validation.currency,
        "open_to_reassignment": lambda v: validation.boolean(v, "open_to_reassignment"),
    }
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if key not in parsers:
            raise Invalid.field(key, "This field cannot be set here.")
        try:
            clean[key] = parsers[key](value)
        except Invalid as exc:
            errors.update(exc.fields)
    if not partial:
        for key in ("code", "name", "hourly_rate"):
            if key not in values:
                errors.setdefault(key, ["This field is required."])
    if errors:
        raise Invalid(errors)
    return clean


def create_project(session: Session, actor: User | None, **values: Any) -> Project:
    """Create an open project. Raises Invalid or Duplicate (code taken)."""
    values.setdefault("currency", "EUR")
    clean = _clean_project(values, partial=False)
    if session.scalar(select(Project.id).where(Project.code == clean["code"])) is not None:
        raise Duplicate({"code": ["A project with this code already exists."]})
    project = Project(status="open", **clean)
    session.add(project)
    session.flush()
    audit.record(
        session, actor, "project.create", project, after=audit.snapshot(project, *PROJECT_FIELDS)
    )
    return project


def update_project(
    session: Session, actor: User | None, project: Project, **values: Any
) -> Project:
    """Change a project's fields; ``status="closed"`` closes it for good.

    ``code`` and ``currency`` are fixed once the project exists: giving the value it already
    has is fine, another one is refused. Closing a project on hold ends the hold, notifies the
    contractors on it (``hold_lifted``, saying the project was closed) and audits the hold's end
    as ``project.unfreeze`` with ``reason="project closed"``.

    Raises Invalid (bad values, a changed code or currency), ProjectClosed (a closed project
    cannot change or reopen), NotFound. Freezing goes through ``tracker.services.holds``.
    """
    status = values.pop("status", None)
    if status == "closed":
        # Closing changes whether entries may be written, like a freeze: take the exclusive
        # per-project lock first and read the status only after it is granted (design rule 9),
        # then the row lock, as a freeze does.
        locks.exclusive_project(session, project.id)
        project = lock_project_row(session, project.id)
    if status is not None and status not in ("closed", project.status):
        raise Invalid.field("status", "Only 'closed' can be set here; use freeze and unfreeze.")
    if project.status == "closed" and (values or status not in (None, "closed")):
        raise ProjectClosed(f"Project {project.code} is closed and cannot be changed.")
    clean = _clean_project(values, partial=True)
    fixed = {
        key: [message]
        for key, message in FIXED_FIELDS.items()
        if key in clean and clean[key] != getattr(project, key)
    }
    if fixed:
        raise Invalid(fixed)
    before = audit.snapshot(project, *PROJECT_FIELDS)
    for key, value in clean.items():
        setattr(project, key, value)
    if status == "closed" and project.status != "closed":
        _close(session, actor, project)
    after = audit.snapshot(project, *PROJECT_FIELDS)
    if before != after:
        project.updated_at = utcnow()
        audit.record(session, actor, "project.update", project, **audit.changes(before, after))
    return project


def _close(session: Session, actor: User | None, project: Project) -> None:
    """Close: no more time for good; a hold in force ends with the closing, said and audited."""
    from tracker.services.holds import HOLD_FIELDS  # late: holds imports this module

    hold = active_holds(session, [project.id]).get(project.id)
    previous = project.status
    project.status = "closed"
    if hold is None:
        return
    now = utcnow()
    hold.ended_at = now
    hold.ended_by_id = actor.id if actor else None
    hold.note = " ".join(filter(None, [hold.note, "Ended because the project was closed."]))
    message = (  # no clock time: each reader sees the notification's time in their timezone
        f"The hold on {project.code} — {project.name} ended because the project was closed. "
        "No more time can be logged there."
    )
    email = notices.lifted_email(project, hold, closed=True)
    notified = notifications.notify_project(
        session, project.id, kind="hold_lifted", message=message, hold_id=hold.id, email=email
    )
    notices.publish_lifted(session, project, hold, notified)
    audit.record(
        session,
        actor,
        "project.unfreeze",
        project,
        before={"status": previous},
        after={"status": "closed"},
        reason="project closed",
        hold=audit.snapshot(hold, *HOLD_FIELDS),
        notified=notified,
    )


def lock_project_row(session: Session, project_id: int) -> Project:
    """The project row locked for update (seat counting); SQLite's IMMEDIATE already serialises.

    Raises NotFound.
    """
    query = select(Project).where(Project.id == project_id)
    if is_postgres(session):
        query = query.with_for_update()
    project = session.scalars(query.execution_options(populate_existing=True)).first()
    if project is None:
        raise NotFound("No such project.")
    return project


def assign(
    session: Session,
    actor: User | None,
    project: Project,
    user: User,
    *,
    hourly_rate: Any = None,
    start_date: dt.date | None = None,
    origin: str = "direct",
    from_hold: Hold | None = None,
    today: dt.date | None = None,
) -> Assignment:
    """Put a contractor on a project within its seats.

    Without ``hourly_rate`` the contractor's default rate (``User.hourly_rate``), when set,
    becomes the assignment's rate override, so the member rate wins over the project's; with
    neither, entries use the project rate. The rate is in the project's currency. Without
    ``start_date`` the assignment starts on today's date where the contractor is.

    Raises Invalid (not a contractor, bad rate), ProjectClosed, AlreadyAssigned, ProjectFull.
    """
    if not user.is_contractor:
        raise Invalid.field("user_id", "Only contractors can be assigned to projects.")
    if not user.active:
        raise Invalid.field("user_id", "This user is disabled.")
    rate = validation.money(hourly_rate, required=False)
    if rate is None:
        rate = user.hourly_rate
    project = lock_project_row(session, project.id)  # seats are counted under the row lock
    if project.status == "closed":
        raise ProjectClosed(f"Project {project.code} is closed.")
    taken = session.scalar(
        select(Assignment.id).where(
            Assignment.user_id == user.id,
            Assignment.project_id == project.id,
            Assignment.end_date.is_(None),
        )
    )
    if taken is not None:
        raise AlreadyAssigned(f"{user.name} is already on {project.code}.")
    left = free_seats(session, project)
    if left is not None and left <= 0:
        raise ProjectFull(f"Project {project.code} has no free seat.")
    assignment = Assignment(
        user_id=user.id,
        project_id=project.id,
        start_date=start_date or today or entry_rules.local_today(user),
        hourly_rate=rate,
        origin=origin,
        from_project_id=from_hold.project_id if from_hold else None,
        from_hold_id=from_hold.id if from_hold else None,
        created_by_id=actor.id if actor else None,
    )
    session.add(assignment)
    session.flush()
    action = "reassignment.accept" if origin == "reassignment" else "assignment.create"
    audit.record(
        session, actor, action, assignment, after=audit.snapshot(assignment, *ASSIGNMENT_FIELDS)
    )
    return assignment


def get_assignment(session: Session, assignment_id: int) -> Assignment:
    """The assignment. Raises NotFound."""
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound("No such assignment.")
    return assignment


def end_assignment(
    session: Session, actor: User | None, assignment: Assignment, today: dt.date | None = None
) -> Assignment:
    """End an active assignment today (the contractor's date); entries are kept.

    Raises Invalid when already ended.
    """
    if assignment.end_date is not None:
        raise Invalid.field("assignment", "This assignment has already ended.")
    contractor = session.get(User, assignment.user_id)
    day = today or (entry_rules.local_today(contractor) if contractor else utcnow().date())
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
    from sqlalchemy.orm import joinedload

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
