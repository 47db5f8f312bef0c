"""``demo``: a realistic data set in an empty database (filled in by tracker.services.demo)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from tracker.cli.actor import command
from tracker.cli.errors import refusals
from tracker.db import unit_of_work
from tracker.services import demo as demo_service


@click.command("demo")
@with_appcontext
@click.option("--seed", default=7, show_default=True, help="Random seed, for repeatable data.")
@click.option("--weeks", default=4, show_default=True, type=click.IntRange(1, 26))
def demo(seed: int, weeks: int) -> None:
    """Load a realistic demo data set into an empty database."""
    with command(), refusals(), unit_of_work() as session:
        summary = demo_service.load(session, seed=seed, weeks=weeks)
    for line in summary:
        click.echo(line)
