"""Reading incidents: who they affect, what each person may see, acknowledgements, overdue.

The writes (start, update, acknowledge, lift) are ``tracker.services.incidents``; the report is
``tracker.services.incident_reports``. A contractor only ever reads an incident that affects
them (counted at its start, or on one of its held projects).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.errors import NotFound
from tracker.models import (
    Assignment,
    Hold,
    Incident,
    IncidentContractor,
    IncidentUpdate,
    Project,
    User,
)
from tracker.models.base import client_key as models_client_key
from tracker.services import inputs


def client_key(value: str | None) -> str:
    """A client's name as incidents compare it: trimmed, case-folded (the stored key)."""
    return models_client_key(value)


def client_incident(session: Session, client: str | None) -> Incident | None:
    """The active client-wide incident over this client, if any."""
    if not client_key(client):
        return None
    return session.scalars(
        select(Incident)
        .where(
            Incident.scope == "client",
            Incident.lifted_at.is_(None),
            Incident.client_key == client_key(client),
        )
        .order_by(Incident.id)
        .limit(1)
    ).first()


def get_incident(session: Session, incident_id: Any, viewer: User | None = None) -> Incident:
    """The incident; a viewer who is not an admin must be affected by it. Raises NotFound."""
    incident = inputs.find(session, Incident, incident_id)
    if incident is None or (
        viewer is not None and not viewer.is_admin and not affects(session, incident, viewer)
    ):
        raise NotFound(_("No such incident."))
    return incident


def affects(session: Session, incident: Incident, user: User) -> bool:
    """True when the incident affects the user (counted at the start, or on a held project)."""
    if session.get(IncidentContractor, (incident.id, user.id)) is not None:
        return True
    return bool(held_projects_of(session, incident, user))


def held_projects_of(
    session: Session, incident: Incident, user: User
) -> list[tuple[Project, Hold]]:
    """The user's projects the incident holds (or held), with each hold, by code."""
    theirs = (
        select(Assignment.id)
        .where(
            Assignment.project_id == Hold.project_id,
            Assignment.user_id == user.id,
            (Assignment.end_date.is_(None)) | (Assignment.end_date >= func.date(Hold.started_at)),
        )
        .correlate(Hold)
        .exists()
    )
    rows = session.execute(
        select(Project, Hold)
        .join(Hold, Hold.project_id == Project.id)
        .where(Hold.incident_id == incident.id, theirs)
        .order_by(Project.code)
    )
    return [(p, h) for p, h in rows]


def list_incidents(
    session: Session, viewer: User | None, active: bool | None = None
) -> list[Incident]:
    """Admins (and ``None``, the terminal): every incident; anyone else: those affecting them.

    ``active`` keeps those in force (True) or lifted (False).
    """
    query = select(Incident).order_by(Incident.started_at.desc(), Incident.id.desc())
    if active is True:
        query = query.where(Incident.lifted_at.is_(None))
    elif active is False:
        query = query.where(Incident.lifted_at.is_not(None))
    if viewer is not None and not viewer.is_admin:
        query = query.where(
            Incident.id.in_(
                select(IncidentContractor.incident_id).where(
                    IncidentContractor.user_id == viewer.id
                )
            )
        )
    return list(session.scalars(query))


def incident_holds(session: Session, incident: Incident) -> list[tuple[Project, Hold]]:
    """Every hold of the incident with its project, by code."""
    rows = session.execute(
        select(Project, Hold)
        .join(Hold, Hold.project_id == Project.id)
        .where(Hold.incident_id == incident.id)
        .order_by(Project.code)
    )
    return [(p, h) for p, h in rows]


def project_ids_of(session: Session, incidents: list[Incident]) -> dict[int, list[int]]:
    """The held projects' ids per incident, in one query."""
    found: dict[int, list[int]] = {i.id: [] for i in incidents}
    if not found:
        return found
    for incident_id, project_id in session.execute(
        select(Hold.incident_id, Hold.project_id)
        .where(Hold.incident_id.in_(list(found)))
        .order_by(Hold.project_id)
    ):
        found[incident_id].append(project_id)
    return found


def acknowledged_counts(session: Session, incidents: list[Incident]) -> dict[int, int]:
    """How many have acknowledged everything told so far, per incident."""
    if not incidents:
        return {}
    last = _last_update_at(session)
    rows = session.execute(
        select(IncidentContractor.incident_id, func.count())
        .outerjoin(last, last.c.incident_id == IncidentContractor.incident_id)
        .where(
            IncidentContractor.incident_id.in_([i.id for i in incidents]),
            IncidentContractor.acknowledged_at.is_not(None),
            (last.c.at.is_(None)) | (IncidentContractor.acknowledged_at >= last.c.at),
        )
        .group_by(IncidentContractor.incident_id)
    )
    return {i.id: 0 for i in incidents} | dict(rows.all())


def _last_update_at(session: Session) -> Any:
    return (
        select(IncidentUpdate.incident_id, func.max(IncidentUpdate.at).label("at"))
        .group_by(IncidentUpdate.incident_id)
        .subquery()
    )


def updates_of(session: Session, incident: Incident) -> list[IncidentUpdate]:
    """The incident's updates, oldest first (its timeline)."""
    return list(
        session.scalars(
            select(IncidentUpdate)
            .where(IncidentUpdate.incident_id == incident.id)
            .order_by(IncidentUpdate.at, IncidentUpdate.id)
        )
    )


def last_update(session: Session, incident: Incident) -> dt.datetime | None:
    """When the incident's latest update was posted (None: no update yet)."""
    return session.scalar(
        select(func.max(IncidentUpdate.at)).where(IncidentUpdate.incident_id == incident.id)
    )


def acknowledged_at(session: Session, incident: Incident, user: User) -> dt.datetime | None:
    """When the user acknowledged everything told so far; None when something is unread."""
    row = session.get(IncidentContractor, (incident.id, user.id))
    if row is None or row.acknowledged_at is None:
        return None
    last = last_update(session, incident)
    return row.acknowledged_at if last is None or row.acknowledged_at >= last else None


@dataclass
class Acknowledgements:
    """Who acknowledged everything told so far (with when), and who has not."""

    acknowledged: list[tuple[User, dt.datetime]]
    pending: list[User]


def acknowledgements(session: Session, incident: Incident) -> Acknowledgements:
    """The incident's people, split by whether they acknowledged the latest notice or update."""
    last = last_update(session, incident)
    rows = session.execute(
        select(User, IncidentContractor.acknowledged_at)
        .join(IncidentContractor, IncidentContractor.user_id == User.id)
        .where(IncidentContractor.incident_id == incident.id)
        .order_by(User.name, User.id)
    )
    done: list[tuple[User, dt.datetime]] = []
    pending: list[User] = []
    for user, at in rows:
        if at is not None and (last is None or at >= last):
            done.append((user, at))
        else:
            pending.append(user)
    return Acknowledgements(done, pending)


def overdue(session: Session, today: dt.date) -> list[Incident]:
    """Active incidents past their review date, the longest overdue first."""
    return list(
        session.scalars(
            select(Incident)
            .where(Incident.lifted_at.is_(None), Incident.review_by < today)
            .order_by(Incident.review_by, Incident.id)
        )
    )


def excluded_clients(session: Session, held_project_ids: list[int]) -> set[str]:
    """Clients whose projects are never offered while these projects are held.

    Every client under an active client-wide incident, and the held projects' own clients unless
    their incident allows the client's other projects.
    """
    excluded = {
        client_key(c)
        for c in session.scalars(
            select(Incident.client).where(Incident.scope == "client", Incident.lifted_at.is_(None))
        )
    }
    if held_project_ids:
        rows = session.execute(
            select(Project.client)
            .join(Hold, Hold.project_id == Project.id)
            .join(Incident, Incident.id == Hold.incident_id)
            .where(
                Project.id.in_(held_project_ids),
                Hold.ended_at.is_(None),
                Incident.allow_same_client.is_(False),
            )
        )
        excluded |= {client_key(c) for (c,) in rows}
    excluded.discard("")
    return excluded
