"""Projects: create, change and close them, find and list them with their seats and holds.

Putting contractors on projects is ``tracker.services.assignments``; holds are
``tracker.services.holds`` (closing a held project ends its hold there).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from tracker.clock import utcnow
from tracker.errors import Duplicate, Invalid, NotFound, ProjectClosed
from tracker.models import PROJECT_STATUSES, Hold, Project, User
from tracker.services import (
    assignments,
    audit,
    bulk,
    holds,
    incident_reads,
    incidents,
    inputs,
    locks,
    seats,
    validation,
)

PROJECTS = cast(Table, Project.__table__)
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
    "code": _l("The code cannot change once the project exists; runbooks and scripts name it."),
    "currency": _l("The currency cannot change once the project exists; entries are paid in it."),
}


def get_project(session: Session, project_id: int, viewer: User | None = None) -> Project:
    """The project; a contractor viewer must be assigned to it. Raises NotFound."""
    project = inputs.find(session, Project, project_id)
    if project is None:
        raise NotFound(_("No such project."))
    if (
        viewer is not None
        and viewer.is_contractor
        and not assignments.is_assigned(session, viewer, project)
    ):
        raise NotFound(_("No such project."))
    return project


def find_by_code(session: Session, code: str) -> Project:
    """The project with that code (case-insensitive). Raises NotFound."""
    project = session.scalar(select(Project).where(Project.code == code.strip().upper()))
    if project is None:
        raise NotFound(_("No project with code %(code)s.", code=repr(code.strip().upper())))
    return project


def list_projects(
    session: Session, viewer: User, status: str | tuple[str, ...] | None = None
) -> list[Project]:
    """Admin and payroll: every project; contractor: those they are (or were) assigned to.

    ``status`` keeps the projects with that status (or one of those); an unknown one, none.
    """
    query = select(Project).order_by(Project.code)
    if viewer.is_contractor:
        query = query.where(Project.id.in_(assignments.project_ids_of(viewer)))
    if status:
        query = query.where(Project.status.in_((status,) if isinstance(status, str) else status))
    return list(session.scalars(query))


@dataclass
class Board:
    """Projects with the seats taken on each and the hold in force on each."""

    projects: list[Project]
    taken: dict[int, int]
    holds: dict[int, Hold]

    def free_seats(self, project: Project) -> int | None:
        """Seats left on one of the projects (None: no limit)."""
        return seats.free(project, self.taken.get(project.id, 0))

    def by_status(self) -> dict[str, list[Project]]:
        """The projects grouped by status, every status present (in order)."""
        groups: dict[str, list[Project]] = {status: [] for status in PROJECT_STATUSES}
        for project in self.projects:
            groups[project.status].append(project)
        return groups


def board(session: Session, items: list[Project]) -> Board:
    """Seats taken and holds in force for a list of projects, in two queries."""
    ids = [p.id for p in items]
    return Board(items, seats.active_counts(session, ids), holds.active_holds(session, ids))


PROJECT_PARSERS: dict[str, Callable[[Any], Any]] = {
    "code": validation.project_code,
    "name": lambda v: validation.required_text(v, "name"),
    "client": lambda v: validation.plain_text(v, "client"),
    "seats": validation.seats,
    "skills": validation.skills,
    "hourly_rate": validation.money,
    "currency": validation.currency,
    "open_to_reassignment": lambda v: validation.boolean(v, "open_to_reassignment"),
}


def parse_new_project(values: dict[str, Any]) -> dict[str, Any]:
    """The clean fields of a new project (currency EUR unless given). Raises Invalid."""
    values = {"currency": "EUR", **values}
    return validation.clean(values, PROJECT_PARSERS, required=("code", "name", "hourly_rate"))


def taken_codes(session: Session, codes: list[str]) -> dict[str, Project]:
    """The projects already holding these (clean) codes, by code, in few queries."""
    found: dict[str, Project] = {}
    for start in range(0, len(codes), 1000):
        chunk = codes[start : start + 1000]
        found.update(
            (p.code, p) for p in session.scalars(select(Project).where(Project.code.in_(chunk)))
        )
    return found


def create_project(session: Session, actor: User | None, **values: Any) -> Project:
    """Create a project: open, or frozen under the client's client-wide incident if there is one.

    Raises Invalid or Duplicate (code taken)."""
    clean = parse_new_project(values)
    if session.scalar(select(Project.id).where(Project.code == clean["code"])) is not None:
        raise Duplicate({"code": [_("A project with this code already exists.")]})
    return session.get_one(Project, add_projects(session, actor, [clean])[0])


def add_projects(session: Session, actor: User | None, items: list[dict[str, Any]]) -> list[int]:
    """Insert open projects from ``parse_new_project`` values (codes checked free), audited;
    their ids, in order.

    Set-based (``bulk.insert_rows``): one executemany, a SELECT of the ids per thousand, and
    one statement for the audit events.
    """
    if not items:
        return []
    now = utcnow()
    defaults: dict[str, Any] = {"client": "", "seats": None, "skills": [], "currency": "EUR"}
    rows = [
        {
            **defaults,
            "open_to_reassignment": True,
            **values,
            "client_key": incident_reads.client_key(values.get("client", "")),
            "status": "open",
            "created_at": now,
            "updated_at": None,
        }
        for values in items
    ]
    made = bulk.insert_rows(session, PROJECTS, rows, "code")
    audit.record_many(
        session,
        actor,
        "project.create",
        "project",
        [
            (project_id, {"after": {k: row[k] for k in PROJECT_FIELDS}})
            for project_id, row in zip(made, rows, strict=True)
        ],
    )
    _join_halted_clients(session, actor, made, rows)
    return made


def _join_halted_clients(
    session: Session, actor: User | None, made: list[int], rows: list[dict[str, Any]]
) -> None:
    """New projects of a client under a client-wide incident start frozen.

    One check per client: when its first new project does not join an incident, the client is
    not halted and its other new projects are left as they are.
    """
    by_client: dict[str, list[int]] = {}
    for project_id, row in zip(made, rows, strict=True):
        key = incident_reads.client_key(row["client"])
        if key:
            by_client.setdefault(key, []).append(project_id)
    for project_ids in by_client.values():
        for project_id in project_ids:
            project = session.get_one(Project, project_id)
            if incidents.join_client_incident(session, actor, project) is None:
                break


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
        # per-project lock first and read the status only after it is granted, then the row
        # lock, as a freeze does.
        locks.exclusive_project(session, project.id)
        project = locks.project_row(session, project.id)
    if status is not None and status not in ("closed", project.status):
        raise Invalid.field("status", _("Only 'closed' can be set here; use freeze and unfreeze."))
    if project.status == "closed" and (values or status not in (None, "closed")):
        raise ProjectClosed(
            _("Project %(code)s is closed and cannot be changed.", code=project.code)
        )
    clean = validation.clean(values, PROJECT_PARSERS)
    fixed = {
        key: [str(message)]
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
        audit.record(
            session,
            actor,
            "project.update",
            project,
            target_id=project.id,
            **audit.changes(before, after),
        )
    if "client" in clean and incident_reads.client_key(
        before["client"]
    ) != incident_reads.client_key(project.client):
        incidents.join_client_incident(session, actor, project)  # moved to a halted client
    return project


def _close(session: Session, actor: User | None, project: Project) -> None:
    """Close: no more time for good; a hold in force ends with the closing, said and audited."""
    hold = holds.active_hold(session, project)
    if hold is None:
        project.status = "closed"
        return
    holds.end_hold(session, actor, project, hold, closing=True)
