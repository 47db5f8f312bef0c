"""``outbox work``: send pending emails and webhook deliveries (a loop, or ``--once``)."""

from __future__ import annotations

import os
import signal
from types import FrameType

import click
from flask import current_app
from flask.cli import with_appcontext

from tracker.services import delivery, mail


@click.group()
def outbox() -> None:
    """The outbox of emails and webhook deliveries."""


@outbox.command("work")
@click.option("--once", is_flag=True, help="Send what is due now, then exit (for cron).")
@click.option(
    "--batch",
    default=delivery.BATCH,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Messages claimed at a time.",
)
@click.option(
    "--exit-with-parent",
    is_flag=True,
    help="Stop when the process that started the worker ends (make run uses this).",
)
@with_appcontext
def work(once: bool, batch: int, exit_with_parent: bool) -> None:
    """Send pending deliveries; without --once, keep looking for new ones until stopped.

    Several workers may run at once: on PostgreSQL they never take the same message. SIGTERM or
    Ctrl-C stops the worker after the message it is sending; the rest of its batch is left for
    the next claim.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    worker = delivery.Worker(app, batch=batch)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        worker.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if exit_with_parent:
        parent = os.getppid()
        worker.keep_going = lambda: os.getppid() == parent
    settings = mail.settings()
    target = settings.smtp.describe() if settings.smtp else f".eml files in {mail.mail_folder()}"
    if not once:
        click.echo(f"outbox worker: emails to {target}; Ctrl-C stops it", err=True)
    total = worker.run(once=once, poll=float(app.config["OUTBOX_POLL_SECONDS"]))
    if once:
        click.echo(f"sent {total.sent}, {total.retrying} to retry, {total.dead} dead")
