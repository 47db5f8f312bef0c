"""``project freeze``, ``project unfreeze`` and ``project assign`` from a terminal."""

from __future__ import annotations

import click

from tracker.cli.actor import acting_user, as_option, command
from tracker.cli.errors import refusals
from tracker.db import claim_write_priority, unit_of_work
from tracker.errors import NotFound
from tracker.services import assignments, holds, projects, users


@click.group()
def project() -> None:
    """Projects: put on hold, lift holds, assign contractors."""


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
@as_option
def freeze(
    code: str,
    reason: str,
    notice: str,
    incident_ref: str | None,
    allow_backfill: bool,
    as_email: str | None,
) -> None:
    """Put the project with this CODE on hold and notify every contractor on it."""
    claim_write_priority()  # ahead of a crowd of entry writers on SQLite
    with command(), refusals(), unit_of_work() as session:
        target = projects.find_by_code(session, code)
        hold, affected = holds.freeze_project(
            session,
            acting_user(session, as_email),
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
@as_option
def unfreeze(code: str, note: str | None, as_email: str | None) -> None:
    """Lift the hold on the project with this CODE; time entry works again at once."""
    claim_write_priority()  # ahead of a crowd of entry writers on SQLite
    with command(), refusals(), unit_of_work() as session:
        target = projects.find_by_code(session, code)
        hold = holds.unfreeze_project(session, acting_user(session, as_email), target, note=note)
    click.echo(f"project {target.code}: hold {hold.id} lifted; time entry is open again")


@project.command("assign")
@click.argument("code")
@click.argument("email")
@click.option("--start", default=None, help="First day, YYYY-MM-DD (default: their today).")
@click.option("--end", default=None, help="Last day, YYYY-MM-DD, for work that has ended.")
@click.option("--rate", default=None, help="Hourly rate override, e.g. 45.00.")
@as_option
def assign(
    code: str,
    email: str,
    start: str | None,
    end: str | None,
    rate: str | None,
    as_email: str | None,
) -> None:
    """Put the contractor with this EMAIL on the project with this CODE."""
    with command(), refusals(), unit_of_work() as session:
        target = projects.find_by_code(session, code)
        person = users.find_by_email(session, email)
        if person is None:
            raise NotFound(f"No user with the email {email}.")
        made = assignments.assign(
            session,
            acting_user(session, as_email),
            target,
            person,
            hourly_rate=rate,
            start_date=start,
            end_date=end,
        )
        until = f" until {made.end_date.isoformat()}" if made.end_date else ""
    click.echo(
        f"{person.email} is on {target.code} from {made.start_date.isoformat()}{until} "
        f"(assignment {made.id})"
    )
