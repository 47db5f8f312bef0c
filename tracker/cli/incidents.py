"""``incident start/update/lift/list``: a client's stop of work from a terminal."""

from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.cli.errors import refusals
from tracker.clock import utcnow
from tracker.db import claim_write_priority, get_session, unit_of_work
from tracker.errors import Invalid
from tracker.models import Project
from tracker.services import audit, incident_reads, incidents


@click.group()
def incident() -> None:
    """Incidents: freeze a client or projects as one, post updates, lift."""


def _project_ids(session: Session, codes: tuple[str, ...]) -> list[int]:
    """The ids of the projects with these codes. Raises Invalid naming an unknown code."""
    wanted = [c.strip().upper() for c in codes]
    found = dict(
        session.execute(select(Project.code, Project.id).where(Project.code.in_(wanted))).all()
    )
    unknown = [c for c in wanted if c not in found]
    if unknown:
        raise Invalid.field("project", f"No project with code {', '.join(unknown)}.")
    return [found[c] for c in wanted]


@incident.command("start")
@click.option("--client", default=None, help="Freeze every open project of this client.")
@click.option("--project", "codes", multiple=True, help="Freeze this project (repeatable).")
@click.option("--title", required=True, help="Title (admins only).")
@click.option("--reason", required=True, help="Internal reason (admins only).")
@click.option("--notice", required=True, help="What the affected contractors read.")
@click.option("--review-by", default=None, help="Review date, YYYY-MM-DD (default: in 14 days).")
@click.option("--incident-ref", default=None, help="Incident reference, e.g. INC-2041.")
@click.option("--allow-backfill", is_flag=True, help="Hours for days before the stop are allowed.")
@click.option(
    "--allow-same-client", is_flag=True, help="Offer the client's other projects (projects only)."
)
def start(
    client: str | None,
    codes: tuple[str, ...],
    title: str,
    reason: str,
    notice: str,
    review_by: str | None,
    incident_ref: str | None,
    allow_backfill: bool,
    allow_same_client: bool,
) -> None:
    """Freeze a client (--client) or projects (--project …) as one incident; prints its id."""
    claim_write_priority()  # ahead of a crowd of entry writers on SQLite
    with audit.origin("cli"), refusals(), unit_of_work() as session:
        project_ids = _project_ids(session, codes) if codes else None
        started = incidents.start_incident(
            session,
            None,
            title=title,
            reason=reason,
            notice=notice,
            review_by=review_by,
            incident_ref=incident_ref,
            allow_backfill=allow_backfill,
            allow_same_client=allow_same_client,
            client=client,
            project_ids=project_ids,
        )
        incident_id = started.incident.id
        held = [h.project_id for h in started.holds]
        skipped = [f"{p.code} ({why})" for p, why in started.skipped]
        affected = started.affected
    click.echo(incident_id)
    click.echo(
        f"incident {incident_id}: {len(held)} project(s) on hold, {affected} contractor(s) told"
        + (f"; skipped {', '.join(skipped)}" if skipped else ""),
        err=True,
    )


@incident.command("update")
@click.argument("incident_id", type=int)
@click.option("--message", required=True, help="The update everyone affected reads.")
def update(incident_id: int, message: str) -> None:
    """Post an update to everyone the incident affects."""
    with audit.origin("cli"), refusals(), unit_of_work() as session:
        found = incident_reads.get_incident(session, incident_id)
        posted = incidents.post_update(session, None, found, message)
        update_id = posted.id
    click.echo(f"incident {incident_id}: update {update_id} posted")


@incident.command("lift")
@click.argument("incident_id", type=int)
@click.option("--project", "codes", multiple=True, help="Lift only this project (repeatable).")
@click.option("--note", default=None, help="Note the people told read.")
def lift(incident_id: int, codes: tuple[str, ...], note: str | None) -> None:
    """Lift the incident, or only some of its projects."""
    claim_write_priority()
    with audit.origin("cli"), refusals(), unit_of_work() as session:
        found = incident_reads.get_incident(session, incident_id)
        project_ids = _project_ids(session, codes) if codes else None
        lifted = incidents.lift_incident(session, None, found, project_ids=project_ids, note=note)
        ended = found.lifted_at is not None
    state = "lifted" if ended else "still in force for its other projects"
    click.echo(f"incident {incident_id}: {len(lifted)} project(s) open again; {state}")


@incident.command("list")
def list_active() -> None:
    """The incidents in force: id, since, review date, scope, affected."""
    session = get_session()
    with refusals():
        found = incident_reads.list_incidents(session, None, active=True)  # the terminal sees all
    today = utcnow().date()
    for item in found:
        scope = f"client {item.client}" if item.scope == "client" else "projects"
        overdue = " OVERDUE" if item.review_by < today else ""
        click.echo(
            f"{item.id}\t{item.started_at:%Y-%m-%d %H:%M} UTC\treview {item.review_by}{overdue}"
            f"\t{scope}\t{item.affected_count} affected\t{item.title}"
        )
