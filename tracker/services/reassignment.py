"""Reassignment (design rules 13-16): offer held contractors open projects, join, bulk move.

Seats are counted under the target project's row lock (``FOR UPDATE`` on PostgreSQL; SQLite's
``BEGIN IMMEDIATE`` already serialises writers), so many people accepting at the same instant,
or an admin's bulk move racing them, never take more seats than the project has. The held
project's shared advisory lock is taken first, so an unfreeze racing a join waits for it (or
the join sees the hold has ended and refuses with ``not_on_hold``).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from tracker.errors import (
    AlreadyAssigned,
    Invalid,
    NotFound,
    NotOnHold,
    NotOpenToReassignment,
    ProjectClosed,
    ProjectFrozen,
    ProjectFull,
)
from tracker.models import Assignment, Hold, Notification, Project, User, utcnow
from tracker.services import audit, locks, notices, projects

CONFIRMED = "reassignment_confirmed"


@dataclass(frozen=True)
class Offer:
    """An open project a contractor on a held project can move to, with the pay comparison."""

    from_project: Project  # the held project
    hold: Hold  # the hold in force on it
    project: Project  # the project offered
    free_seats: int | None  # None: no seat limit
    matching_skills: list[str]
    rate: Decimal  # what they would get there: their default rate, else the project's
    held_rate: Decimal  # what they get on the held project: their override, else its rate

    @property
    def comparable(self) -> bool:
        """True when both rates are in the same currency, so a difference means something."""
        return self.project.currency == self.from_project.currency

    @property
    def difference(self) -> Decimal:
        """The new rate minus the held rate (negative: they would earn less per hour)."""
        return self.rate - self.held_rate


@dataclass(frozen=True)
class HeldAssignment:
    """A contractor's active assignment on a project that is on hold."""

    assignment: Assignment
    project: Project
    hold: Hold

    @property
    def rate(self) -> Decimal:
        """The contractor's rate there: their override, else the project's."""
        override = self.assignment.hourly_rate
        return override if override is not None else self.project.hourly_rate  # 0.00 is a rate


def local_today(user: User) -> dt.date:
    """Today's date in the user's own timezone (work dates are local dates)."""
    try:
        zone = zoneinfo.ZoneInfo(user.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return dt.datetime.now(zone).date()


def held_assignments(session: Session, user: User) -> list[HeldAssignment]:
    """The user's active assignments on projects with a hold in force, oldest hold first."""
    rows = session.execute(
        select(Assignment, Project, Hold)
        .join(Project, Project.id == Assignment.project_id)
        .join(Hold, Hold.project_id == Project.id)
        .where(
            Assignment.user_id == user.id,
            Assignment.end_date.is_(None),
            Project.status == "frozen",
            Hold.ended_at.is_(None),
        )
        .order_by(Hold.started_at, Project.code)
    )
    return [HeldAssignment(a, p, h) for a, p, h in rows]


def _matching(user: User, project: Project) -> list[str]:
    wanted = {s.lower() for s in project.skills}
    return [s for s in user.skills if s.lower() in wanted]


def offers(session: Session, user: User) -> list[Offer]:
    """Open projects the contractor can move to, best first (rule 13).

    Only for a contractor with an active assignment on a held project. Offered: status open,
    ``open_to_reassignment``, a free seat (or no limit), and not a project they are already on.
    Ranked by how many of their skills the project wants, then by free seats (no limit first),
    then by code. A contractor on several held projects gets each project once, compared with
    the held project whose hold started first.
    """
    held = held_assignments(session, user)
    if not held:
        return []
    mine = select(Assignment.project_id).where(
        Assignment.user_id == user.id, Assignment.end_date.is_(None)
    )
    candidates = list(
        session.scalars(
            select(Project).where(
                Project.status == "open",
                Project.open_to_reassignment.is_(True),
                Project.id.not_in(mine),
            )
        )
    )
    counts = projects.active_counts(session, [p.id for p in candidates])
    source = held[0]
    result = []
    for project in candidates:
        left = None if project.seats is None else max(project.seats - counts.get(project.id, 0), 0)
        if left == 0:
            continue
        result.append(
            Offer(
                from_project=source.project,
                hold=source.hold,
                project=project,
                free_seats=left,
                matching_skills=_matching(user, project),
                # as projects.assign sets it: their default rate if set, else the project's
                rate=project.hourly_rate if user.hourly_rate is None else user.hourly_rate,
                held_rate=source.rate,
            )
        )
    result.sort(
        key=lambda o: (
            -len(o.matching_skills),
            0 if o.free_seats is None else 1,
            -(o.free_seats or 0),
            o.project.code,
        )
    )
    return result


def _active_hold(session: Session, project_id: int) -> Hold | None:
    """The hold in force on a project, read after its shared lock is granted."""
    locks.share_project(session, project_id)
    return projects.active_holds(session, [project_id]).get(project_id)


def _check_visible(session: Session, actor: User, target: Project) -> None:
    """A contractor learns nothing of a project that is neither an offer nor theirs.

    Visible: one they are (or were) on, as ``GET /projects/{id}`` has it, or one that is open
    and takes people from held projects, that is, offerable apart from its seats (so a project
    that filled up a moment ago still answers project_full). Raises NotFound.
    """
    if not actor.is_contractor:
        return
    offerable = target.status == "open" and target.open_to_reassignment
    if not offerable and not projects.is_assigned(session, actor, target):
        raise NotFound("No such project.")


def _on_now(session: Session, user: User, project: Project) -> bool:
    """True when the user has an active assignment on the project (they see its banners)."""
    query = select(Assignment.id).where(
        Assignment.user_id == user.id,
        Assignment.project_id == project.id,
        Assignment.end_date.is_(None),
    )
    return session.scalar(query.limit(1)) is not None


def _check_target(
    session: Session, target: Project, held_project_id: int, viewer: User | None = None
) -> None:
    """Refuse a target that is closed, on hold, not open to reassignment, or the held project.

    A hold's notice goes only to an admin or to a contractor on the project now.
    """
    if target.status == "closed":
        raise ProjectClosed(f"Project {target.code} is closed and takes nobody new.")
    if target.status == "frozen" or target.id == held_project_id:
        hold = projects.active_holds(session, [target.id]).get(target.id)
        extra: dict[str, object] = {}
        shown = viewer is None or not viewer.is_contractor or _on_now(session, viewer, target)
        if hold is not None and shown:
            extra["hold"] = {
                "id": hold.id,
                "started_at": hold.started_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "notice": hold.notice,
            }
        raise ProjectFrozen(f"Project {target.code} is on hold itself.", **extra)
    if not target.open_to_reassignment:
        raise NotOpenToReassignment(
            f"Project {target.code} does not take people from held projects."
        )


def _notify_rows(
    moved: list[tuple[User, Assignment]], target: Project, held: Project, hold: Hold, by_admin: bool
) -> list[dict[str, object]]:
    how = "An admin moved you" if by_admin else "You joined"

    def _rate(assignment: Assignment, project: Project) -> str:
        """The new assignment's rate: its override (their default rate), else the project's."""
        rate = project.hourly_rate if assignment.hourly_rate is None else assignment.hourly_rate
        return f"{rate:.2f} {project.currency}/h"

    return [
        {
            "user_id": user.id,
            "kind": CONFIRMED,
            "message": (
                f"{how} to {target.code} — {target.name} while {held.code} is on hold. "
                f"You can log hours there from {assignment.start_date.isoformat()} "
                f"at {_rate(assignment, target)}. You stay on {held.code} too."
            ),
            "project_id": target.id,
            "hold_id": hold.id,
            "created_at": utcnow(),
        }
        for user, assignment in moved
    ]


def accept(
    session: Session, actor: User, *, from_project_id: int, to_project_id: int
) -> Assignment:
    """The contractor joins an offered project; returns the new assignment (rule 14).

    The original assignment stays. The contractor is notified (``reassignment_confirmed``) and
    the join is audited as ``reassignment.accept`` with the hold it came from.

    Raises NotOnHold (the from-project is not held any more, or they are not on it), NotFound
    (no such target, or one that is neither offered to the contractor nor theirs: its code,
    status and hold stay hidden), ProjectClosed, ProjectFrozen, NotOpenToReassignment,
    AlreadyAssigned, ProjectFull. Refusals ask to be audited as ``reassignment.refused``.
    """
    try:
        return _accept(session, actor, from_project_id, to_project_id)
    except (
        NotFound,
        NotOnHold,
        ProjectClosed,
        ProjectFrozen,
        NotOpenToReassignment,
        AlreadyAssigned,
        ProjectFull,
    ) as exc:
        raise exc.logged(
            "reassignment.refused",
            actor.id,
            from_project_id=from_project_id,
            to_project_id=to_project_id,
        ) from None


def _accept(session: Session, actor: User, from_project_id: int, to_project_id: int) -> Assignment:
    hold = _active_hold(session, from_project_id)
    mine = session.scalar(
        select(Assignment.id).where(
            Assignment.user_id == actor.id,
            Assignment.project_id == from_project_id,
            Assignment.end_date.is_(None),
        )
    )
    if mine is None:
        raise NotOnHold("You can only move from a project you are on while it is on hold.")
    held = session.get(Project, from_project_id)
    if hold is None or held is None:
        code = held.code if held is not None else f"#{from_project_id}"
        raise NotOnHold(f"Project {code} is not on hold any more; there is nothing to move from.")
    target = projects.lock_project_row(session, to_project_id)  # seats are counted under it
    _check_visible(session, actor, target)
    _check_target(session, target, from_project_id, viewer=actor)
    assignment = projects.assign(
        session,
        actor,
        target,
        actor,
        origin="reassignment",
        from_hold=hold,
        start_date=local_today(actor),
    )
    session.execute(
        insert(Notification), _notify_rows([(actor, assignment)], target, held, hold, False)
    )
    notices.reassigned(session, [(actor, assignment)], target, held, hold, by_admin=False)
    return assignment


def move(
    session: Session,
    actor: User,
    held_project: Project,
    to_project: Project,
    user_ids: list[int] | None = None,
) -> tuple[list[int], list[tuple[int, str]]]:
    """An admin moves all (or the chosen) contractors of a held project to an open one (rule 15).

    The target row is locked once and its seats counted once; contractors are added in order
    (the given ``user_ids`` order, else the order they joined the held project) until the seats
    run out. Returns (moved user ids, skipped [(user id, code)]) where code is ``project_full``
    (no seat left), ``already_assigned`` (already on the target) or ``not_on_hold`` (not on the
    held project). Each moved contractor is notified (one insert) and each move audited as
    ``reassignment.move`` with the hold.

    Raises NotOnHold (the project is not on hold), NotFound, ProjectClosed, ProjectFrozen,
    NotOpenToReassignment, Invalid (an id list that is not a list of integers).
    """
    if user_ids is not None and (
        not isinstance(user_ids, list)
        or any(not isinstance(i, int) or isinstance(i, bool) for i in user_ids)
    ):
        raise Invalid.field("user_ids", "Give a list of user ids (integers), or leave it out.")
    hold = _active_hold(session, held_project.id)
    if hold is None:
        raise NotOnHold(f"Project {held_project.code} is not on hold, so nobody can be moved.")
    target = projects.lock_project_row(session, to_project.id)
    _check_target(session, target, held_project.id)
    rows = session.execute(
        select(Assignment, User)
        .join(User, User.id == Assignment.user_id)
        .where(Assignment.project_id == held_project.id, Assignment.end_date.is_(None))
        .order_by(Assignment.id)
    )
    on_held = {user.id: user for _a, user in rows if user.active and user.is_contractor}
    order = list(dict.fromkeys(user_ids)) if user_ids is not None else list(on_held)
    already = set(
        session.scalars(
            select(Assignment.user_id).where(
                Assignment.project_id == target.id, Assignment.end_date.is_(None)
            )
        )
    )
    left = projects.free_seats(session, target)
    moved: list[tuple[User, Assignment]] = []
    skipped: list[tuple[int, str]] = []
    for user_id in order:
        user = on_held.get(user_id)
        if user is None:
            skipped.append((user_id, "not_on_hold"))
        elif user_id in already:
            skipped.append((user_id, "already_assigned"))
        elif left is not None and left <= 0:
            skipped.append((user_id, "project_full"))
        else:
            assignment = Assignment(
                user_id=user.id,
                project_id=target.id,
                start_date=local_today(user),
                origin="reassignment",
                from_project_id=held_project.id,
                from_hold_id=hold.id,
                created_by_id=actor.id,
            )
            session.add(assignment)
            moved.append((user, assignment))
            if left is not None:
                left -= 1
    if moved:
        session.flush()  # the new assignments need their ids for the audit events
        for _user, assignment in moved:
            audit.record(
                session,
                actor,
                "reassignment.move",
                assignment,
                hold_id=hold.id,
                after=audit.snapshot(assignment, *projects.ASSIGNMENT_FIELDS),
            )
        session.execute(insert(Notification), _notify_rows(moved, target, held_project, hold, True))
        notices.reassigned(session, moved, target, held_project, hold, by_admin=True)
    return [user.id for user, _a in moved], skipped
