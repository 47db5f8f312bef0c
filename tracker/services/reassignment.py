"""Reassignment: offer held contractors open projects, let them join one, move them in bulk.

Seats are counted under the target project's row lock (``FOR UPDATE`` on PostgreSQL; SQLite's
``BEGIN IMMEDIATE`` already serialises writers), so many people accepting at the same instant,
or an admin's bulk move racing them, never take more seats than the project has. The held
project's shared advisory lock is taken first, so an unfreeze racing a join waits for it (or
the join sees the hold has ended and refuses with ``not_on_hold``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
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
from tracker.models import Assignment, Hold, Project, User
from tracker.services import (
    assignments,
    holds,
    incident_reads,
    inputs,
    locks,
    notices,
    notifications,
    seats,
    validation,
)

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
        return self.assignment.rate_on(self.project)


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
    """Open projects the contractor can move to, best first.

    Only for a contractor with an active assignment on a held project. Offered: status open,
    ``open_to_reassignment``, a free seat (or no limit), and not a project they are already on.
    Never a project of a client under a client-wide incident, nor (unless the incident allows
    it) another project of a held project's client.
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
    excluded = incident_reads.excluded_clients(session, [h.project.id for h in held])
    candidates = [p for p in candidates if incident_reads.client_key(p.client) not in excluded]
    free = seats.free_seats_of(session, candidates)
    source = held[0]
    result = []
    for project in candidates:
        if free[project.id] == 0:
            continue
        result.append(
            Offer(
                from_project=source.project,
                hold=source.hold,
                project=project,
                free_seats=free[project.id],
                matching_skills=_matching(user, project),
                rate=assignments.starting_rate(user, project),  # what assign_many will give them
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


def offer(session: Session, user: User, from_project_id: int, to_project_id: int) -> Offer | None:
    """The offer of one project, compared with the held project the contractor moves from.

    None when the project is not offered to them now (full, held, or their hold has ended).
    """
    found = next((o for o in offers(session, user) if o.project.id == to_project_id), None)
    if found is None or found.from_project.id == from_project_id:
        return found
    # On several held projects the offer compares with one of them; join from the one asked.
    held = [h for h in held_assignments(session, user) if h.project.id == from_project_id]
    if not held:
        return found
    return replace(found, from_project=held[0].project, hold=held[0].hold, held_rate=held[0].rate)


def _active_hold(session: Session, project_id: int) -> Hold | None:
    """The hold in force on a project, read after its shared lock is granted."""
    locks.share_project(session, project_id)
    return holds.active_holds(session, [project_id]).get(project_id)


def _check_visible(session: Session, actor: User, target: Project) -> None:
    """A contractor learns nothing of a project that is neither an offer nor theirs.

    Visible: one they are (or were) on, as ``GET /projects/{id}`` has it, or one that is open
    and takes people from held projects, that is, offerable apart from its seats (so a project
    that filled up a moment ago still answers project_full). Raises NotFound.
    """
    if not actor.is_contractor:
        return
    offerable = target.status == "open" and target.open_to_reassignment
    if not offerable and not assignments.is_assigned(session, actor, target):
        raise NotFound(_("No such project."))


def _check_target(
    session: Session, target: Project, held_project_id: int, viewer: User | None = None
) -> None:
    """Refuse a target that is closed, on hold, not open to reassignment, or the held project.

    A hold's notice goes only to an admin or to a contractor on the project now.
    """
    if target.status == "closed":
        raise ProjectClosed(_("Project %(code)s is closed and takes nobody new.", code=target.code))
    if target.status == "frozen" or target.id == held_project_id:
        hold = holds.active_hold(session, target)
        extra: dict[str, object] = {}
        shown = (
            viewer is None
            or not viewer.is_contractor
            or assignments.is_assigned(session, viewer, target, active=True)
        )
        if hold is not None and shown:
            extra["hold"] = holds.hold_detail(hold)
        raise ProjectFrozen(_("Project %(code)s is on hold itself.", code=target.code), **extra)
    if not target.open_to_reassignment:
        raise NotOpenToReassignment(
            _("Project %(code)s does not take people from held projects.", code=target.code)
        )


def _confirm(
    session: Session,
    moved: list[tuple[User, Assignment]],
    target: Project,
    held: Project,
    hold: Hold,
    by_admin: bool,
) -> None:
    """Tell each moved contractor where they are now, at what rate (one insert)."""
    notifications.notify_each(
        session,
        [
            (
                user.id,
                {  # each reads it in their language (notifications.describe)
                    "by_admin": by_admin,
                    "code": target.code,
                    "name": target.name,
                    "held": held.code,
                    "day": assignment.start_date.isoformat(),
                    "rate": validation.money_text(assignment.rate_on(target), target.currency),
                },
            )
            for user, assignment in moved
        ],
        kind=CONFIRMED,
        project_id=target.id,
        hold_id=hold.id,
    )


def accept(
    session: Session, actor: User, *, from_project_id: int, to_project_id: int
) -> Assignment:
    """The contractor joins an offered project; returns the new assignment.

    The original assignment stays. The contractor is notified (``reassignment_confirmed``) and
    the join is audited as ``reassignment.accept`` with the hold it came from.

    Raises NotOnHold (the from-project is not held any more, or they are not on it), NotFound
    (no such target, or one that is neither offered to the contractor nor theirs: its code,
    status and hold stay hidden), ProjectClosed, ProjectFrozen, NotOpenToReassignment,
    AlreadyAssigned, ProjectFull. Refusals ask to be audited as ``reassignment.refused``.
    """
    from_project_id = inputs.identifier(from_project_id, "from_project_id")
    to_project_id = inputs.identifier(to_project_id, "to_project_id")
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
    held = session.get(Project, from_project_id)
    if held is None or not assignments.is_assigned(session, actor, held, active=True):
        raise NotOnHold(_("You can only move from a project you are on while it is on hold."))
    if hold is None:
        raise NotOnHold(
            _(
                "Project %(code)s is not on hold any more; there is nothing to move from.",
                code=held.code,
            )
        )
    target = locks.project_row(session, to_project_id)  # seats are counted under it
    _check_visible(session, actor, target)
    _check_target(session, target, from_project_id, viewer=actor)
    if incident_reads.client_key(target.client) in incident_reads.excluded_clients(
        session, [from_project_id]
    ):
        raise NotOpenToReassignment(
            _(
                "Project %(code)s does not take people from this hold: its client's work is "
                "stopped too.",
                code=target.code,
            )
        )
    assignment = assignments.assign(
        session, actor, target, actor, origin="reassignment", from_hold=hold
    )
    _confirm(session, [(actor, assignment)], target, held, hold, by_admin=False)
    notices.reassigned(session, [(actor, assignment)], target, held, hold, by_admin=False)
    return assignment


def movable(session: Session, held_project: Project) -> list[User]:
    """The active contractors on the project now, in the order they joined it."""
    return list(
        session.scalars(
            select(User)
            .join(Assignment, Assignment.user_id == User.id)
            .where(
                Assignment.project_id == held_project.id,
                Assignment.end_date.is_(None),
                User.active.is_(True),
                User.role == "contractor",
            )
            .order_by(Assignment.id)
        )
    )


def move_targets(session: Session, held_project: Project) -> list[tuple[Project, int | None]]:
    """Open projects that take people from held projects, with their free seats (None: no limit).

    Full ones are listed too, so an admin sees why they cannot move anyone there.
    """
    found = list(
        session.scalars(
            select(Project)
            .where(
                Project.status == "open",
                Project.open_to_reassignment.is_(True),
                Project.id != held_project.id,
            )
            .order_by(Project.code)
        )
    )
    free = seats.free_seats_of(session, found)
    return [(project, free[project.id]) for project in found]


def move(
    session: Session,
    actor: User,
    held_project: Project,
    to_project: Project,
    user_ids: list[int] | None = None,
) -> tuple[list[int], list[tuple[int, str]]]:
    """An admin moves all (or the chosen) contractors of a held project to an open one.

    The target row is locked once and its seats counted once; contractors are added in order
    (the given ``user_ids`` order, else the order they joined the held project) until the seats
    run out. Returns (moved user ids, skipped [(user id, code)]) where code is ``project_full``
    (no seat left), ``already_assigned`` (already on the target) or ``not_on_hold`` (not on the
    held project). Each moved contractor is notified (one insert) and each move audited as
    ``reassignment.move`` with the hold.

    Raises NotOnHold (the project is not on hold), NotFound, ProjectClosed, ProjectFrozen,
    NotOpenToReassignment, Invalid (an id list that is not a list of integers).
    """
    message = _("Give a list of user ids (integers), or leave it out.")
    if user_ids is not None:
        if not isinstance(user_ids, list):
            raise Invalid.field("user_ids", message)
        user_ids = [inputs.identifier(i, "user_ids", message) for i in user_ids]
    hold = _active_hold(session, held_project.id)
    if hold is None:
        raise NotOnHold(
            _("Project %(code)s is not on hold, so nobody can be moved.", code=held_project.code)
        )
    target = locks.project_row(session, to_project.id)
    _check_target(session, target, held_project.id)
    on_held = {user.id: user for user in movable(session, held_project)}
    order = list(dict.fromkeys(user_ids)) if user_ids is not None else list(on_held)
    made, refused = assignments.assign_many(
        session,
        actor,
        target,
        [on_held[i] for i in order if i in on_held],
        origin="reassignment",
        from_hold=hold,
        action="reassignment.move",
        hold_id=hold.id,
    )
    codes = {user.id: refusal.code for user, refusal in refused}
    skipped = [(i, codes.get(i, "not_on_hold")) for i in order if i not in on_held or i in codes]
    if made:
        _confirm(session, made, target, held_project, hold, by_admin=True)
        notices.reassigned(session, made, target, held_project, hold, by_admin=True)
    return [user.id for user, _a in made], skipped
