"""Incident holds: freeze a project, end its hold (unfreeze or close), the holds in force.

The hold lifecycle lives here and nowhere else: ``freeze_project`` starts a hold and
``end_hold`` ends one, whether the project opens again or closes. They are the only writers of
a project's ``frozen`` status, which always changes with the hold row it stands for, in the
same transaction. The project's status is what every entry write reads under its lock; the open
hold row (at most one per project, a unique index) holds what the hold says.

Freeze and unfreeze take the project's *exclusive* advisory lock before anything else (see
``tracker.services.locks``), then read the project's status again. Every path that writes
entries takes the *shared* lock first and reads the status after it is granted, so an entry
racing a freeze either commits before it (and is counted) or sees the hold and is refused.
On SQLite, BEGIN IMMEDIATE serialises the two transactions instead.

Both actions run a fixed number of statements whatever the number of contractors: the
notifications are one ``INSERT … SELECT``. What holds cost (history, impact) is reported by
``tracker.services.hold_reports``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Integer, and_, func, insert, literal, select, update
from sqlalchemy.orm import Session

from tracker.clock import utcnow
from tracker.db import is_postgres
from tracker.errors import AlreadyFrozen, DomainError, NotFrozen, ProjectClosed
from tracker.models import (
    Assignment,
    Hold,
    Incident,
    IncidentContractor,
    Project,
    User,
    UTCDateTime,
)
from tracker.services import audit, locks, notices, notifications, seats, validation

NOTICE_MAX = 2000
REASON_MAX = 2000
NOTE_MAX = 2000
INCIDENT_REF_MAX = 100
HOLD_FIELDS = (
    "id",
    "project_id",
    "started_at",
    "started_by_id",
    "reason",
    "notice",
    "incident_ref",
    "allow_backfill",
    "affected_count",
    "incident_id",
    "ended_at",
    "ended_by_id",
    "note",
)
CLOSED_NOTE = "Ended because the project was closed."
REVIEW_DAYS = 14  # an incident's review date, unless the admin gives one


def _when(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _locked_project(session: Session, project_id: int) -> Project:
    """Take the exclusive project lock, then read the project as it is now."""
    locks.exclusive_project(session, project_id)
    return locks.project_row(session, project_id)


def active_holds(session: Session, project_ids: Iterable[int]) -> dict[int, Hold]:
    """The hold in force per project, in one query."""
    ids = list(project_ids)
    if not ids:
        return {}
    rows = session.scalars(select(Hold).where(Hold.project_id.in_(ids), Hold.ended_at.is_(None)))
    return {hold.project_id: hold for hold in rows}


def active_hold(session: Session, project: Project) -> Hold | None:
    """The hold in force on the project, if any."""
    return active_holds(session, [project.id]).get(project.id)


def hold_detail(hold: Hold | None) -> dict[str, Any] | None:
    """The hold as a ``project_frozen`` refusal carries it for the API: id, since, notice."""
    if hold is None:
        return None
    started = hold.started_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": hold.id,
        "incident_id": hold.incident_id,
        "started_at": started,
        "notice": hold.notice,
    }


def affected_contractors(session: Session, project: Project) -> int:
    """How many contractors a freeze of the project would notify (active assignments)."""
    return seats.active_counts(session, [project.id]).get(project.id, 0)


def check_can_freeze(session: Session, project: Project) -> None:
    """Refuse a freeze of a project that is not open. Raises AlreadyFrozen, ProjectClosed."""
    if project.status == "frozen":
        hold = active_hold(session, project)
        if hold is None:
            raise AlreadyFrozen(_("Project %(code)s is already on hold.", code=project.code))
        raise AlreadyFrozen(
            _(
                "Project %(code)s is already on hold since %(when)s.",
                code=project.code,
                when=_when(hold.started_at),
            )
        )
    if project.status == "closed":
        raise ProjectClosed(
            _("Project %(code)s is closed; it cannot be put on hold.", code=project.code)
        )


def clean_freeze_input(
    *, reason: Any, notice: Any, incident_ref: Any = None, allow_backfill: Any = False
) -> dict[str, Any]:
    """The freeze's fields checked and cleaned (the web's confirmation step checks first).

    Raises Invalid naming every bad field.
    """
    return validation.collect(
        {
            "reason": lambda: validation.plain_text(
                reason, "reason", REASON_MAX, multiline=True, required=True
            ),
            "notice": lambda: validation.plain_text(
                notice, "notice", NOTICE_MAX, multiline=True, required=True
            ),
            "incident_ref": lambda: (
                validation.plain_text(incident_ref, "incident_ref", INCIDENT_REF_MAX) or None
            ),
            "allow_backfill": lambda: validation.boolean(allow_backfill, "allow_backfill"),
        }
    )


def freeze_project(
    session: Session,
    actor: User | None,
    project: Project,
    *,
    reason: str,
    notice: str,
    incident_ref: str | None = None,
    allow_backfill: bool = False,
) -> tuple[Hold, int]:
    """Put the project on hold and notify every contractor on it; returns (hold, affected).

    Raises AlreadyFrozen, ProjectClosed, Invalid (notice missing or over 2,000 characters,
    reason missing, control characters), NotFound.
    """
    project = _locked_project(session, project.id)
    try:
        check_can_freeze(session, project)
    except DomainError as exc:  # the edge records the refusal after rolling back
        raise exc.logged(
            "project.freeze_refused",
            actor.id if actor else None,
            target_type="project",
            target_id=project.id,
        ) from None
    clean = clean_freeze_input(
        reason=reason, notice=notice, incident_ref=incident_ref, allow_backfill=allow_backfill
    )
    now = utcnow()
    incident = Incident(
        # Named in the language of the admin who froze (English from the API and the CLI),
        # then kept as written, like a title an admin types for a client-wide incident.
        title=_("Hold on %(code)s", code=project.code),
        scope="projects",
        review_by=now.date() + dt.timedelta(days=REVIEW_DAYS),
        started_at=now,
        started_by_id=actor.id if actor else None,
        **clean,
    )
    session.add(incident)
    session.flush()  # the hold belongs to the incident
    hold = Hold(
        project_id=project.id,
        incident_id=incident.id,
        started_at=now,
        started_by_id=actor.id if actor else None,
        **clean,
    )
    session.add(hold)
    session.flush()  # the notifications name the hold by id
    incident.affected_count = enlist(session, incident.id, [project.id], now)
    # No clock time in the text: one INSERT … SELECT writes it for readers in every timezone
    # and language; the notification's own time (shown in each reader's timezone) is when the
    # hold began.
    params = {
        "code": project.code,
        "name": project.name,
        "notice": hold.notice,
        "backfill": bool(hold.allow_backfill),
    }
    email = notices.started_email(project, hold)
    affected = notifications.notify_project(
        session,
        project.id,
        kind="hold_started",
        params=params,
        hold_id=hold.id,
        incident_id=hold.incident_id,
        email=email,
    )
    hold.affected_count = affected
    project.status = "frozen"
    project.updated_at = now
    notices.publish_started(session, project, hold, affected)
    audit.record(
        session,
        actor,
        "project.freeze",
        project,
        before={"status": "open"},
        after={"status": "frozen"},
        hold=audit.snapshot(hold, *HOLD_FIELDS),
        incident_id=incident.id,
        affected_contractors=affected,
    )
    return hold, affected


def unfreeze_project(
    session: Session, actor: User | None, project: Project, note: str | None = None
) -> Hold:
    """Lift the hold: time entry works again at once; the same people are notified.

    Raises NotFrozen (not on hold), Invalid (note over 2,000 characters), NotFound.
    """
    project = _locked_project(session, project.id)
    hold = active_hold(session, project) if project.status == "frozen" else None
    if hold is None:
        raise NotFrozen(_("Project %(code)s is not on hold.", code=project.code)).logged(
            "project.unfreeze_refused",
            actor.id if actor else None,
            target_type="project",
            target_id=project.id,
        )
    clean_note = validation.collect(
        {"note": lambda: validation.plain_text(note, "note", NOTE_MAX, multiline=True)}
    )["note"]
    end_hold(session, actor, project, hold, note=clean_note)
    return hold


def end_hold(
    session: Session,
    actor: User | None,
    project: Project,
    hold: Hold,
    *,
    note: str | None = None,
    closing: bool = False,
) -> int:
    """End the hold in force: the project opens again (or, ``closing``, closes for good).

    The contractors on it are told (``hold_lifted``) and the end is audited as
    ``project.unfreeze`` with the hold; a closing says so (``reason="project closed"``) and adds
    that to the hold's note. The caller holds the project's exclusive lock. Returns how many
    were told.
    """
    now = utcnow()
    previous = project.status
    hold.ended_at = now
    hold.ended_by_id = actor.id if actor else None
    extra: dict[str, Any] = {}
    # No clock time in the text: each reader sees the notification's time in their zone.
    params: dict[str, Any] = {"code": project.code, "name": project.name, "closed": closing}
    if closing:
        hold.note = " ".join(filter(None, [hold.note, CLOSED_NOTE]))
        project.status = "closed"
        extra["reason"] = "project closed"
    else:
        hold.note = " ".join(filter(None, [hold.note, note])) or None
        project.status = "open"
        params["note"] = hold.note
    project.updated_at = now
    email = notices.lifted_email(project, hold, closed=closing)
    notified = notifications.notify_project(
        session,
        project.id,
        kind="hold_lifted",
        params=params,
        hold_id=hold.id,
        incident_id=hold.incident_id,
        email=email,
    )
    notices.publish_lifted(session, project, hold, notified)
    audit.record(
        session,
        actor,
        "project.unfreeze",
        project,
        before={"status": previous},
        after={"status": project.status},
        hold=audit.snapshot(hold, *HOLD_FIELDS),
        notified=notified,
        incident_id=hold.incident_id,
        **extra,
    )
    settle_incident(session, actor, hold.incident_id, note=hold.note)
    return notified


def enlist(session: Session, incident_id: int, project_ids: list[int], now: dt.datetime) -> int:
    """Add everyone with an active assignment on the projects to the incident, once each.

    One ``INSERT … SELECT`` whatever the number; people already in it are left as they are.
    Returns how many were added.
    """
    if not project_ids:
        return 0
    known = select(IncidentContractor.user_id).where(IncidentContractor.incident_id == incident_id)
    rows = (
        select(
            literal(incident_id, Integer()),
            Assignment.user_id,
            literal(now, UTCDateTime()),
        )
        .where(
            Assignment.project_id.in_(project_ids),
            Assignment.end_date.is_(None),
            Assignment.user_id.not_in(known),
        )
        .distinct()
    )
    statement = insert(IncidentContractor).from_select(["incident_id", "user_id", "added_at"], rows)
    result = session.execute(statement.execution_options(preserve_rowcount=True))
    return int(result.rowcount)  # type: ignore[attr-defined]


def freeze_into(
    session: Session, actor: User | None, incident: Incident, project_ids: list[int]
) -> list[Hold]:
    """Put the projects on hold under the incident, set-based; returns the new holds.

    The caller holds every project's exclusive lock and has checked each is open. Three
    statements whatever the number of projects: the holds (one ``INSERT … SELECT``, each with
    its count of affected contractors), the projects' status, and reading the holds back.
    """
    if not project_ids:
        return []
    now = incident.started_at
    on_project = (
        select(func.count())
        .where(Assignment.project_id == Project.id, Assignment.end_date.is_(None))
        .correlate(Project)
        .scalar_subquery()
    )
    rows = select(
        Project.id,
        literal(incident.id, Integer()),
        literal(now, UTCDateTime()),
        literal(actor.id if actor else None, Integer()),
        literal(incident.reason),
        literal(incident.notice),
        literal(incident.incident_ref),
        literal(incident.allow_backfill),
        on_project,
    ).where(Project.id.in_(project_ids))
    session.execute(
        insert(Hold).from_select(
            [
                "project_id",
                "incident_id",
                "started_at",
                "started_by_id",
                "reason",
                "notice",
                "incident_ref",
                "allow_backfill",
                "affected_count",
            ],
            rows,
        )
    )
    session.execute(
        update(Project)
        .where(Project.id.in_(project_ids))
        .values(status="frozen", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return list(
        session.scalars(
            select(Hold)
            .where(Hold.incident_id == incident.id, Hold.project_id.in_(project_ids))
            .order_by(Hold.project_id)
        )
    )


def end_incident_holds(
    session: Session,
    actor: User | None,
    incident: Incident,
    project_ids: list[int],
    note: str | None,
) -> None:
    """End the incident's holds on the projects, set-based: the projects open again at once.

    The caller holds every project's exclusive lock and has checked each is held by the
    incident. Two statements whatever the number of projects.
    """
    if not project_ids:
        return
    now = utcnow()
    session.execute(
        update(Hold)
        .where(
            Hold.incident_id == incident.id,
            Hold.project_id.in_(project_ids),
            Hold.ended_at.is_(None),
        )
        .values(ended_at=now, ended_by_id=actor.id if actor else None, note=note)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Project)
        .where(Project.id.in_(project_ids), Project.status == "frozen")
        .values(status="open", updated_at=now)
        .execution_options(synchronize_session=False)
    )


def lock_incident(session: Session, incident_id: int) -> Incident | None:
    """The incident re-read under its row lock (``FOR UPDATE`` on PostgreSQL).

    Taken after the projects' exclusive locks, so two lifts of one incident see each other.
    """
    query = select(Incident).where(Incident.id == incident_id)
    if is_postgres(session):
        query = query.with_for_update()
    return session.scalars(query.execution_options(populate_existing=True)).first()


def settle_incident(
    session: Session,
    actor: User | None,
    incident_id: int,
    *,
    note: str | None = None,
    record: bool = True,
) -> bool:
    """Mark the incident lifted when its last hold has ended; True when it did just now.

    ``record`` audits it (a caller that audits the lift itself passes False).
    """
    incident = lock_incident(session, incident_id)
    if incident is None or incident.lifted_at is not None:
        return False
    still = session.scalar(
        select(func.count()).where(and_(Hold.incident_id == incident_id, Hold.ended_at.is_(None)))
    )
    if still:
        return False
    incident.lifted_at = utcnow()
    incident.lifted_by_id = actor.id if actor else None
    if note and not incident.note:
        incident.note = note
    if not record:
        return True
    audit.record(
        session,
        actor,
        "incident.lift",
        incident,
        before={"lifted_at": None},
        after={"lifted_at": incident.lifted_at},
        reason="last hold ended",
    )
    return True
