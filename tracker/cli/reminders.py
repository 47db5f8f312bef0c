"""``reminders send``: the weekly missing-hours reminders and the admins' daily digest."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from tracker.cli.actor import command
from tracker.cli.errors import refusals
from tracker.db import unit_of_work
from tracker.errors import Invalid
from tracker.models import utcnow
from tracker.services import reminders as reminder_service
from tracker.services import timesheet


@click.group("reminders")
def group() -> None:
    """Reminders and digests, for a daily cron job."""


@group.command("send")
@click.option(
    "--week", default=None, help="ISO week to remind about, e.g. 2026-W49 (default: last week)."
)
@with_appcontext
def send(week: str | None) -> None:
    """Remind contractors who logged too little last week, and the affected who have not
    acknowledged an incident's notice; email the admins today's digest.

    Safe to run as often as you like: each contractor gets one reminder per week and each admin
    one digest per day.
    """
    today = utcnow().date()  # UTC, so the cron host's timezone never shifts the week
    with command(), refusals(), unit_of_work() as session:
        try:
            monday = (
                timesheet.parse_week(week, today) if week else reminder_service.previous_week(today)
            )
        except Invalid as exc:
            raise click.BadParameter(exc.fields["week"][0], param_hint="--week") from None
        reminded = reminder_service.send_reminders(
            session, monday, int(current_app.config["REMINDER_MIN_HOURS"])
        )
        acks = reminder_service.send_ack_reminders(
            session, utcnow(), int(current_app.config["ACK_REMINDER_HOURS"])
        )
        digests = reminder_service.send_digest(session, today)
    label = timesheet.week_label(monday)
    click.echo(
        f"week {label}: {reminded} reminder{'' if reminded == 1 else 's'} queued; "
        f"incident notices: {acks} reminder{'' if acks == 1 else 's'} queued; "
        f"digest for {today.isoformat()}: {digests} admin{'' if digests == 1 else 's'}"
    )
