"""What each notice says beyond the portal: the email contexts and the webhook events.

Holds, reassignment, rejected time, payroll batches and one-time setup links each call one
function here where they write their portal notification, in the same transaction. The email
contexts carry the notice and the note, never the internal reason; the webhook data carries the
reason only in the version for endpoints marked internal.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from tracker.clock import utcnow
from tracker.models import (
    Assignment,
    ExportBatch,
    Hold,
    Incident,
    IncidentUpdate,
    Project,
    TimeEntry,
    User,
)
from tracker.services import outbox, users, webhooks
from tracker.services.outbox import Email


def _stamp(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value is not None else None


def _projects(*projects: Project) -> list[dict[str, str]]:
    return [{"code": p.code, "name": p.name} for p in projects]


def started_email(project: Project, hold: Hold) -> Email:
    """The email to each contractor on the project: the notice, since when, their offers."""
    return Email(
        "hold_started",
        {
            "projects": _projects(project),
            "notice": hold.notice,
            "started_at": _stamp(hold.started_at),
            "allow_backfill": hold.allow_backfill,
            # Every hold belongs to an incident: its page has the notice, the updates and the
            # "I have read this" button.
            "incident_id": hold.incident_id,
        },
    )


def lifted_email(project: Project, hold: Hold, *, closed: bool = False) -> Email:
    """The email when the hold ends: lifted, or ended because the project was closed."""
    return Email(
        "hold_lifted",
        {
            "projects": _projects(project),
            "note": hold.note,
            "lifted_at": _stamp(hold.ended_at),
            "closed": closed,
        },
    )


def _event_data(project: Project, hold: Hold) -> tuple[dict[str, Any], dict[str, Any]]:
    """(for every endpoint, for internal endpoints): the second adds the reason."""
    shown = {
        "id": hold.id,
        "project_id": hold.project_id,
        "incident_id": hold.incident_id,
        "started_at": _stamp(hold.started_at),
        "started_by": hold.started_by_id,
        "notice": hold.notice,
        "incident_ref": hold.incident_ref,
        "allow_backfill": hold.allow_backfill,
        "ended_at": _stamp(hold.ended_at),
        "ended_by": hold.ended_by_id,
        "note": hold.note,
    }
    place = {
        "id": project.id,
        "code": project.code,
        "name": project.name,
        "client": project.client,
        "status": project.status,
    }
    return {"project": place, "hold": shown}, {
        "project": place,
        "hold": {**shown, "reason": hold.reason},
    }


def publish_started(session: Session, project: Project, hold: Hold, affected: int) -> int:
    """``hold.started`` to every subscribed endpoint; returns how many deliveries."""
    public, internal = _event_data(project, hold)
    extra = {"affected_contractors": affected}
    return webhooks.publish(session, "hold.started", public | extra, internal | extra)


def publish_holds(session: Session, event: str, places: list[tuple[Project, Hold]]) -> int:
    """``hold.started`` or ``hold.lifted`` for each of an incident's holds: two statements.

    A start carries each hold's ``affected_contractors``, as a single freeze's event does.
    """
    items = []
    for project, hold in places:
        public, internal = _event_data(project, hold)
        extra = {"affected_contractors": hold.affected_count} if event == "hold.started" else {}
        items.append((public | extra, internal | extra))
    return webhooks.publish_many(session, event, items)


def publish_lifted(session: Session, project: Project, hold: Hold, notified: int) -> int:
    """``hold.lifted`` to every subscribed endpoint; returns how many deliveries."""
    public, internal = _event_data(project, hold)
    extra = {"notified": notified}
    return webhooks.publish(session, "hold.lifted", public | extra, internal | extra)


def incident_started_email(incident: Incident) -> Email:
    """The email to each affected contractor: the notice, since when, their incident page.

    One email however many of the incident's projects they are on; no title, reason or client.
    """
    return Email(
        "incident_started",
        {
            "incident_id": incident.id,
            "notice": incident.notice,
            "started_at": _stamp(incident.started_at),
            "allow_backfill": incident.allow_backfill,
        },
    )


def incident_update_email(incident: Incident, update: IncidentUpdate) -> Email:
    """The email for an update on the incident's timeline."""
    return Email(
        "incident_updated",
        {"incident_id": incident.id, "message": update.message, "at": _stamp(update.at)},
    )


def incident_lifted_email(incident: Incident, note: str | None, *, whole: bool) -> Email:
    """The release notice: the whole incident lifted, or some of its projects."""
    return Email(
        "incident_lifted",
        {"incident_id": incident.id, "note": note, "whole": whole, "lifted_at": _stamp(utcnow())},
    )


def publish_incident(
    session: Session,
    event: str,
    incident: Incident,
    projects: list[dict[str, Any]] | None = None,
    *,
    update: IncidentUpdate | None = None,
    whole: bool | None = None,
) -> int:
    """``incident.started``, ``.updated`` or ``.lifted`` to every subscribed endpoint.

    The title and the reason go only to endpoints marked internal.
    """
    shown: dict[str, Any] = {
        "id": incident.id,
        "scope": incident.scope,
        "client": incident.client,
        "notice": incident.notice,
        "incident_ref": incident.incident_ref,
        "allow_backfill": incident.allow_backfill,
        "review_by": incident.review_by.isoformat(),
        "started_at": _stamp(incident.started_at),
        "started_by": incident.started_by_id,
        "lifted_at": _stamp(incident.lifted_at),
        "lifted_by": incident.lifted_by_id,
        "affected_contractors": incident.affected_count,
    }
    data: dict[str, Any] = {"incident": shown}
    if projects is not None:
        data["projects"] = projects
    if update is not None:
        data["update"] = {"id": update.id, "at": _stamp(update.at), "message": update.message}
    if whole is not None:
        data["incident_ended"] = whole
    internal = {**data, "incident": {**shown, "title": incident.title, "reason": incident.reason}}
    return webhooks.publish(session, event, data, internal)


def _rate(assignment: Assignment, project: Project) -> str:
    rate = project.hourly_rate if assignment.hourly_rate is None else assignment.hourly_rate
    return f"{rate:.2f}"


def reassigned(
    session: Session,
    moved: list[tuple[User, Assignment]],
    target: Project,
    held: Project,
    hold: Hold,
    *,
    by_admin: bool,
) -> None:
    """Email each moved contractor their new project and rate; ``reassignment.accepted`` out."""
    outbox.email_each(
        session,
        [
            (
                user.id,
                Email(
                    "reassignment_confirmed",
                    {
                        "project": _projects(target)[0],
                        "held": _projects(held)[0],
                        "start_date": assignment.start_date.isoformat(),
                        "rate": _rate(assignment, target),
                        "currency": target.currency,
                        "by_admin": by_admin,
                    },
                ),
            )
            for user, assignment in moved
        ],
    )

    def place(p: Project) -> dict[str, Any]:
        return {"id": p.id, "code": p.code, "name": p.name}

    webhooks.publish(
        session,
        "reassignment.accepted",
        {
            "hold_id": hold.id,
            "from_project": place(held),
            "to_project": place(target),
            "contractors": [{"user_id": u.id, "assignment_id": a.id} for u, a in moved],
            "by": "admin" if by_admin else "contractor",
        },
    )


def rejected_emails(
    rejected: list[TimeEntry], codes: dict[int, str], reason: str
) -> list[tuple[int, Email]]:
    """One email per owner of rejected time, listing their entries, with the admin's reason."""
    by_owner: dict[int, list[TimeEntry]] = {}
    for entry in rejected:
        by_owner.setdefault(entry.user_id, []).append(entry)
    return [
        (
            owner,
            Email(
                "entry_rejected",
                {
                    "entries": [
                        {
                            "project_code": codes[e.project_id],
                            "work_date": e.work_date.isoformat(),
                            "hours": f"{e.minutes / 60:.2f}",
                        }
                        for e in sorted(entries, key=lambda e: (e.work_date, e.id))
                    ],
                    "reason": reason,
                },
            ),
        )
        for owner, entries in by_owner.items()
    ]


def publish_batch(session: Session, batch: ExportBatch) -> int:
    """``payroll.batch_created`` to every subscribed endpoint; returns how many deliveries."""
    return webhooks.publish(
        session,
        "payroll.batch_created",
        {
            "batch": {
                "id": batch.id,
                "start": batch.period_start.isoformat(),
                "end": batch.period_end.isoformat(),
                "status": batch.status_filter,
                "entries": batch.row_count,
                "total_minutes": batch.total_minutes,
                "total_hours": f"{batch.total_minutes / 60:.2f}",
                "total_amounts": dict(batch.totals),
                "sha256": batch.sha256,
                "created_at": _stamp(batch.created_at),
                "created_by": batch.created_by_id,
            }
        },
    )


def email_setup_link(
    session: Session, actor: User | None, user: User, purpose: str, hours: int
) -> str:
    """A one-time link to set the password, emailed to the user; returns the raw token.

    ``purpose`` is ``welcome`` (a new account) or ``reset``. The token is in the outbox only
    until the email is sent.
    """
    return email_setup_links(session, actor, [user.id], purpose, hours)[0]


def email_setup_links(
    session: Session, actor: User | None, user_ids: list[int], purpose: str, hours: int
) -> list[str]:
    """``email_setup_link`` for many people at once (an import): a few statements in all."""
    tokens = users.create_setup_links(session, actor, list(user_ids), purpose, hours)
    outbox.email_each(
        session,
        [
            (user_id, Email("setup_link", {"purpose": purpose, "token": token, "hours": hours}))
            for user_id, token in zip(user_ids, tokens, strict=True)
        ],
    )
    return tokens
