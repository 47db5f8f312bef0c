"""Incidents: freeze a whole client (or chosen projects) as one action, keep everyone told, lift.

``start_incident`` freezes every open project of a client (matched case-insensitively after
trimming) or the chosen projects in one transaction: the projects' exclusive locks in ascending
id order in one statement (two incidents never deadlock; an entry racing it commits before or is
refused, as for a single freeze), then a fixed number of statements whatever the number of
projects and people (``holds.freeze_into``, ``holds.enlist``, ``notifications.notify_people``).
Projects already on hold keep their hold and are reported as skipped.

Everyone with an active assignment on a held project is affected, once per incident
(``incident_contractors``), and is told once however many of its projects they are on. The
contractor's view never carries the title, the reason, the client or other people's projects.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from tracker.clock import utcnow
from tracker.errors import Invalid, NotFrozen
from tracker.models import (
    Assignment,
    Hold,
    Incident,
    IncidentContractor,
    IncidentUpdate,
    Project,
    User,
)
from tracker.services import (
    audit,
    holds,
    incident_reads,
    inputs,
    locks,
    notices,
    notifications,
    validation,
)

TITLE_MAX = 200
MESSAGE_MAX = 2000
CLIENT_MAX = 200
INCIDENT_FIELDS = (
    "id",
    "title",
    "reason",
    "notice",
    "incident_ref",
    "allow_backfill",
    "allow_same_client",
    "scope",
    "client",
    "review_by",
    "started_at",
    "started_by_id",
    "lifted_at",
    "lifted_by_id",
    "note",
    "affected_count",
)
CHANGEABLE = ("title", "reason", "review_by", "incident_ref")


def _client_matches(client: str) -> Any:
    return Project.client_key == incident_reads.client_key(client)


# ---------------------------------------------------------------- input


def _review_by(value: Any, today: dt.date, required: bool = False) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Invalid.field("review_by", _("Give the date this incident will be reviewed."))
        return None
    day = inputs.date(value, "review_by")
    if day < today:
        raise Invalid.field(
            "review_by",
            _(
                "The review date cannot be in the past (today is %(today)s).",
                today=today.isoformat(),
            ),
        )
    return day


def _project_ids(value: Any) -> list[int] | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple) or not value:
        raise Invalid.field(
            "project_ids", _("Choose at least one project (a list of project ids).")
        )
    ids = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | str):
            raise Invalid.field("project_ids", inputs.ID_MESSAGE)
        ident = inputs.id_param(item, "project_ids")
        if ident is None:
            raise Invalid.field("project_ids", inputs.ID_MESSAGE)
        ids.append(ident)
    return sorted(set(ids))


def clean_start_input(values: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """The start's fields checked and cleaned. Raises Invalid naming every bad field.

    Exactly one of ``client`` and ``project_ids``; the review date, when given, not in the past.
    """
    client, project_ids = values.get("client"), values.get("project_ids")
    errors: dict[str, list[str]] = {}
    has_client = client is not None and not (isinstance(client, str) and not client.strip())
    if has_client == (project_ids is not None):
        message = (
            _("Give either a client or a list of projects, not both.")
            if has_client
            else _("Give a client (every project of it) or a list of projects.")
        )
        errors["client"] = [message]
    clean = validation.collect(
        {
            "title": lambda: validation.required_text(values.get("title"), "title", TITLE_MAX),
            "reason": lambda: validation.plain_text(
                values.get("reason"), "reason", holds.REASON_MAX, multiline=True, required=True
            ),
            "notice": lambda: validation.plain_text(
                values.get("notice"), "notice", holds.NOTICE_MAX, multiline=True, required=True
            ),
            "incident_ref": lambda: (
                validation.plain_text(
                    values.get("incident_ref"), "incident_ref", holds.INCIDENT_REF_MAX
                )
                or None
            ),
            "allow_backfill": lambda: validation.boolean(
                bool_or_false(values.get("allow_backfill")), "allow_backfill"
            ),
            "allow_same_client": lambda: validation.boolean(
                bool_or_false(values.get("allow_same_client")), "allow_same_client"
            ),
            "review_by": lambda: _review_by(values.get("review_by"), today),
            "client": lambda: (
                validation.plain_text(client, "client", CLIENT_MAX) if has_client else None
            ),
            "project_ids": lambda: _project_ids(project_ids) if not has_client else None,
        },
        errors,
    )
    if clean["review_by"] is None:
        clean["review_by"] = today + dt.timedelta(days=holds.REVIEW_DAYS)
    return clean


def bool_or_false(value: Any) -> Any:
    """None (not given) reads as false; anything else is checked as a boolean."""
    return False if value is None else value


# ---------------------------------------------------------------- what a start would do


@dataclass
class Plan:
    """What a start would freeze: the projects, those skipped and why, the people affected."""

    to_freeze: list[Project]
    skipped: list[tuple[Project, str]]
    affected: int


def _candidates(session: Session, client: str | None, project_ids: list[int] | None) -> list[int]:
    """The ids the start looks at. Raises Invalid naming an unknown client or project ids."""
    if client is not None:
        ids = list(
            session.scalars(
                select(Project.id)
                .where(_client_matches(client), Project.status != "closed")
                .order_by(Project.id)
            )
        )
        if not ids:
            raise Invalid.field(
                "client",
                _("No open project has the client “%(client)s”: nothing to freeze.", client=client),
            )
        return ids
    wanted = project_ids or []
    found = set(session.scalars(select(Project.id).where(Project.id.in_(wanted))))
    unknown = [str(i) for i in wanted if i not in found]
    if unknown:
        raise Invalid.field("project_ids", _("No such project: %(ids)s.", ids=", ".join(unknown)))
    return wanted


def _partition(rows: list[Project]) -> tuple[list[Project], list[tuple[Project, str]]]:
    to_freeze = [p for p in rows if p.status == "open"]
    skipped = [
        (p, "already_frozen" if p.status == "frozen" else "project_closed")
        for p in rows
        if p.status != "open"
    ]
    return to_freeze, skipped


def _people_on(session: Session, project_ids: list[int]) -> int:
    if not project_ids:
        return 0
    return int(
        session.scalar(
            select(func.count(func.distinct(Assignment.user_id))).where(
                Assignment.project_id.in_(project_ids), Assignment.end_date.is_(None)
            )
        )
        or 0
    )


def plan(
    session: Session, *, client: str | None = None, project_ids: list[int] | None = None
) -> Plan:
    """What a start would freeze now, for the confirmation step (no lock). Raises Invalid."""
    ids = _candidates(session, client, project_ids)
    rows = list(session.scalars(select(Project).where(Project.id.in_(ids)).order_by(Project.id)))
    to_freeze, skipped = _partition(rows) if rows else ([], [])
    return Plan(to_freeze, skipped, _people_on(session, [p.id for p in to_freeze]))


# ---------------------------------------------------------------- start


@dataclass
class Started:
    """A started incident: its holds, the projects skipped (and why), how many affected."""

    incident: Incident
    holds: list[Hold]
    skipped: list[tuple[Project, str]] = field(default_factory=list)
    affected: int = 0


def _nothing_to_freeze(scope_field: str, skipped: list[tuple[Project, str]]) -> Invalid:
    codes = ", ".join(
        _("%(code)s (on hold)", code=p.code)
        if why == "already_frozen"
        else _("%(code)s (closed)", code=p.code)
        for p, why in skipped
    )
    error = Invalid.field(scope_field, _("Nothing could be frozen: %(codes)s.", codes=codes))
    error.extra["skipped"] = [{"project_id": p.id, "code": why} for p, why in skipped]
    return error


def start_incident(
    session: Session, actor: User | None, today: dt.date | None = None, **values: Any
) -> Started:
    """Freeze a client's open projects (or the chosen ones) as one incident, everyone told once.

    ``values``: title, reason, notice, incident_ref, allow_backfill, allow_same_client,
    review_by, and exactly one of client and project_ids. Raises Invalid (bad fields; an unknown
    client or project; nothing could be frozen).
    """
    now = utcnow()
    clean = clean_start_input(values, today or now.date())
    client, project_ids = clean.pop("client"), clean.pop("project_ids")
    if client is not None:
        locks.client(session, client)  # a project joining the client waits, or is seen
    ids = _candidates(session, client, project_ids)
    locks.exclusive_projects(session, ids)  # ascending ids: overlapping incidents never deadlock
    to_freeze, skipped = _partition(locks.projects_rows(session, ids))
    if not to_freeze:
        raise _nothing_to_freeze("client" if client is not None else "project_ids", skipped)
    # Started once every project lock is held: an entry committed before carries an earlier
    # created_at, and every later one is refused.
    now = utcnow()
    incident = Incident(
        scope="client" if client is not None else "projects",
        client=client,
        started_at=now,
        started_by_id=actor.id if actor else None,
        **clean,
    )
    session.add(incident)
    session.flush()  # the holds and the people belong to the incident
    frozen_ids = [p.id for p in to_freeze]
    new_holds = holds.freeze_into(session, actor, incident, frozen_ids)
    for project in to_freeze:  # written in bulk: what the objects say now, without a read
        set_committed_value(project, "status", "frozen")
    affected = holds.enlist(session, incident.id, frozen_ids, now)
    incident.affected_count = affected
    _tell(
        session,
        incident,
        kind="incident_started",
        params={"notice": incident.notice, "backfill": bool(incident.allow_backfill)},
        email=notices.incident_started_email(incident),
    )
    notices.publish_incident(session, "incident.started", incident, _places(to_freeze))
    by_id = {p.id: p for p in to_freeze}
    notices.publish_holds(session, "hold.started", [(by_id[h.project_id], h) for h in new_holds])
    audit.record(
        session,
        actor,
        "incident.start",
        incident,
        after=audit.snapshot(incident, *INCIDENT_FIELDS),
        project_ids=frozen_ids,
        skipped=[{"project_id": p.id, "code": why} for p, why in skipped],
        affected_contractors=affected,
    )
    return Started(incident, new_holds, skipped, affected)


def _places(projects: list[Project]) -> list[dict[str, Any]]:
    return [{"id": p.id, "code": p.code, "name": p.name, "client": p.client} for p in projects]


def _everyone(incident_id: int) -> Any:
    return select(IncidentContractor.user_id).where(IncidentContractor.incident_id == incident_id)


def _tell(
    session: Session,
    incident: Incident,
    *,
    kind: str,
    params: dict[str, Any],
    email: Any,
    people: Any = None,
) -> int:
    """Notify the incident's people (or ``people``), portal and email: two statements."""
    return notifications.notify_people(
        session,
        people if people is not None else _everyone(incident.id),
        kind=kind,
        params=params,
        email=email,
        incident_id=incident.id,
    )


# ---------------------------------------------------------------- new projects of a halted client


def join_client_incident(session: Session, actor: User | None, project: Project) -> Hold | None:
    """A project (new, or moved to a client by an edit) of a halted client starts frozen.

    Returns the new hold, or None when the client is not under a client-wide incident or the
    project is not open.
    """
    if project.status != "open" or not incident_reads.client_key(project.client):
        return None
    locks.client(session, project.client)  # an incident starting for the client: after it
    incident = incident_reads.client_incident(session, project.client)
    if incident is None:
        return None
    locks.exclusive_project(session, project.id)
    project = locks.project_row(session, project.id)
    if project.status != "open":
        return None
    before = incident.affected_count
    [hold] = holds.freeze_into(session, actor, incident, [project.id])
    added = holds.enlist(session, incident.id, [project.id], utcnow())
    incident.affected_count += added
    session.refresh(project)
    audit.record(
        session,
        actor,
        "incident.extend",
        incident,
        before={"affected_count": before},
        after={"affected_count": incident.affected_count},
        project_ids=[project.id],
        added_contractors=added,
        reason="project of a halted client",
    )
    return hold


# ---------------------------------------------------------------- while it lasts


def _check_active(incident: Incident, what: str) -> None:
    if incident.lifted_at is not None:
        raise NotFrozen(what)


def post_update(
    session: Session, actor: User | None, incident: Incident, message: Any
) -> IncidentUpdate:
    """Add an update to the timeline and tell everyone affected. Raises Invalid, NotFrozen."""
    text = validation.collect(
        {
            "message": lambda: validation.plain_text(
                message, "message", MESSAGE_MAX, multiline=True, required=True
            )
        }
    )["message"]
    incident = holds.lock_incident(session, incident.id) or incident
    _check_active(
        incident,
        _("Incident %(id)s was lifted; it takes no more updates.", id=incident.id),
    )
    previous = session.scalar(
        select(func.max(IncidentUpdate.id)).where(IncidentUpdate.incident_id == incident.id)
    )
    update_row = IncidentUpdate(
        incident_id=incident.id, at=utcnow(), by_id=actor.id if actor else None, message=text
    )
    session.add(update_row)
    session.flush()  # the audit event and the notices name the update
    _tell(
        session,
        incident,
        kind="incident_updated",
        params={"message": text},
        email=notices.incident_update_email(incident, update_row),
    )
    notices.publish_incident(session, "incident.updated", incident, update=update_row)
    audit.record(
        session,
        actor,
        "incident.update",
        incident,
        before={"last_update_id": previous},
        after={"last_update_id": update_row.id},
        update={"id": update_row.id, "message": text},
    )
    return update_row


def change_incident(
    session: Session,
    actor: User | None,
    incident: Incident,
    today: dt.date | None = None,
    **values: Any,
) -> Incident:
    """Change the title, reason, review date or reference. Raises Invalid."""
    validation.refuse_unknown(values, CHANGEABLE)
    today = today or utcnow().date()
    parsers = {
        "title": lambda v: validation.required_text(v, "title", TITLE_MAX),
        "reason": lambda v: validation.plain_text(
            v, "reason", holds.REASON_MAX, multiline=True, required=True
        ),
        "review_by": lambda v: _review_by(v, today, required=True),
        "incident_ref": lambda v: (
            validation.plain_text(v, "incident_ref", holds.INCIDENT_REF_MAX) or None
        ),
    }
    clean = validation.clean(values, parsers)
    before = audit.snapshot(incident, *CHANGEABLE)
    for key, value in clean.items():
        setattr(incident, key, value)
    after = audit.snapshot(incident, *CHANGEABLE)
    if before != after:
        audit.record(session, actor, "incident.change", incident, **audit.changes(before, after))
    return incident


def acknowledge(session: Session, user: User, incident_id: Any) -> dt.datetime:
    """The contractor confirms having read the notice and updates; idempotent.

    Returns when they acknowledged (the earlier time when nothing new was told since).
    Raises NotFound when the incident does not affect them.
    """
    incident = incident_reads.get_incident(session, incident_id, user)
    row = session.get(IncidentContractor, (incident.id, user.id))
    if row is None:  # on a held project since the start (joined later): counted now
        row = IncidentContractor(incident_id=incident.id, user_id=user.id, added_at=utcnow())
        session.add(row)
    last = incident_reads.last_update(session, incident)
    if row.acknowledged_at is not None and (last is None or row.acknowledged_at >= last):
        return row.acknowledged_at
    now = utcnow()
    previous = row.acknowledged_at
    row.acknowledged_at = now
    audit.record(
        session,
        user,
        "incident.acknowledge",
        incident,
        before={"acknowledged_at": previous},
        after={"acknowledged_at": now},
    )
    return now


# ---------------------------------------------------------------- lift


def lift_incident(
    session: Session,
    actor: User | None,
    incident: Incident,
    *,
    project_ids: Any = None,
    note: Any = None,
) -> list[int]:
    """Lift the incident (every hold ends) or only some of its projects; returns those lifted.

    The incident ends when its last hold ends; the people on the lifted projects are told.
    Raises Invalid, NotFrozen (lifted already, or a project it does not hold now).
    """
    clean = validation.collect(
        {
            "note": lambda: (
                validation.plain_text(note, "note", holds.NOTE_MAX, multiline=True) or None
            ),
            "project_ids": lambda: _project_ids(project_ids),
        }
    )
    wanted = clean["project_ids"]
    _check_active(
        incident, _("Incident %(id)s was lifted; there is nothing to lift.", id=incident.id)
    )
    held = dict(
        session.execute(
            select(Hold.project_id, Hold.id).where(
                Hold.incident_id == incident.id, Hold.ended_at.is_(None)
            )
        ).all()
    )
    ids = sorted(held) if wanted is None else wanted
    locks.exclusive_projects(session, ids)
    rows = {p.id: p for p in locks.projects_rows(session, ids)}
    still = set(
        session.scalars(
            select(Hold.project_id).where(
                Hold.incident_id == incident.id,
                Hold.ended_at.is_(None),
                Hold.project_id.in_(ids),
            )
        )
    )
    missing = [i for i in ids if i not in still]
    if missing:
        names = ", ".join(rows[i].code if i in rows else str(i) for i in missing)
        raise NotFrozen(
            _(
                "Incident %(id)s does not hold %(codes)s; nothing was lifted.",
                id=incident.id,
                codes=names,
            )
        ).logged(
            "incident.lift_refused",
            actor.id if actor else None,
            target_type="incident",
            target_id=incident.id,
            project_ids=missing,
        )
    before = sorted(held)
    holds.end_incident_holds(session, actor, incident, ids, clean["note"])
    for project in rows.values():  # written in bulk: what the objects say now, without a read
        set_committed_value(project, "status", "open")
    whole = set(ids) == set(held)
    # The whole lift tells everyone the start told; a partial one, the people on those projects.
    people = (
        _everyone(incident.id)
        if whole
        else select(Assignment.user_id)
        .where(
            Assignment.project_id.in_(ids),
            Assignment.end_date.is_(None),
            Assignment.user_id.in_(_everyone(incident.id)),
        )
        .distinct()
    )
    notified = _tell(
        session,
        incident,
        kind="incident_lifted",
        params={"whole": whole, "note": clean["note"]},
        email=notices.incident_lifted_email(incident, clean["note"], whole=whole),
        people=people,
    )
    ended = holds.settle_incident(session, actor, incident.id, note=clean["note"], record=False)
    notices.publish_incident(
        session, "incident.lifted", incident, _places(list(rows.values())), whole=ended
    )
    ended_holds = session.scalars(
        select(Hold)
        .where(Hold.incident_id == incident.id, Hold.project_id.in_(ids))
        .order_by(Hold.project_id)
        .execution_options(populate_existing=True)
    ).all()
    notices.publish_holds(
        session, "hold.lifted", [(rows[h.project_id], h) for h in ended_holds if h.ended_at]
    )
    audit.record(
        session,
        actor,
        "incident.lift",
        incident,
        before={"held_project_ids": before, "lifted_at": None},
        after={
            "held_project_ids": [i for i in before if i not in ids],
            "lifted_at": incident.lifted_at,
        },
        lifted=ids,
        notified=notified,
        note=clean["note"],
    )
    return ids
