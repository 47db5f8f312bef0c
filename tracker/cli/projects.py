"""``project freeze`` and ``project unfreeze``: an incident responder's hold from a terminal."""

from __future__ import annotations

import click

from tracker.cli.errors import refusals
from tracker.db import claim_write_priority, unit_of_work
from tracker.services import audit, holds, projects


@click.group()
def project() -> None:
    """Projects: put on hold and lift holds."""


@project.command("freeze")
@click.argument("code")
@click.option("--reason", required=True, help="Internal reason (admins only see it).")
@click.option("--notice", required=True, help="What the contractors on the project read.")
@click.option("--incident-ref", default=None, help="Incident reference, e.g. INC-2041.")
@click.option(
    "--allow-backfill",
    is_flag=True,
    help="Contractors may still log hours for days before the hold started.",
)
def freeze(
    code: str, reason: str, notice: str, incident_ref: str | None, allow_backfill: bool
) -> None:
    """Put the project with this CODE on hold and notify every contractor on it."""
    claim_write_priority()  # ahead of a crowd of entry writers on SQLite
    with audit.origin("cli"), refusals(), unit_of_work() as session:
        target = projects.find_by_code(session, code)
        hold, affected = holds.freeze_project(
            session,
            None,
            target,
            reason=reason,
            notice=notice,
            incident_ref=incident_ref,
            allow_backfill=allow_backfill,
        )
    people = "1 contractor" if affected == 1 else f"{affected} contractors"
    click.echo(
        f"project {target.code} is on hold (hold {hold.id}, since "
        f"{hold.started_at:%Y-%m-%d %H:%M:%S} UTC); {people} notified"
    )


@project.command("unfreeze")
@click.argument("code")
@click.option("--note", default=None, help="Closing note the contractors read.")
def unfreeze(code: str, note: str | None) -> None:
    """Lift the hold on the project with this CODE; time entry works again at once."""
    claim_write_priority()  # ahead of a crowd of entry writers on SQLite
    with audit.origin("cli"), refusals(), unit_of_work() as session:
        target = projects.find_by_code(session, code)
        hold = holds.unfreeze_project(session, None, target, note=note)
    click.echo(f"project {target.code}: hold {hold.id} lifted; time entry is open again")
