"""Command line (``flask --app tracker …`` or ``tracker …``): thin, over the same services."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import Flask

from tracker.db import unit_of_work
from tracker.errors import DomainError
from tracker.services import audit


@contextmanager
def refusals() -> Iterator[None]:
    """Turn a service's refusal into one line on stderr and exit status 1, audited if asked."""
    try:
        yield
    except DomainError as exc:
        if exc.audit:
            with unit_of_work() as db:
                audit.record_refusal(db, exc)
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)


def init_app(app: Flask) -> None:
    """Register every command and command group; a missing one fails at start-up."""
    from tracker.cli import database, demo, payroll, projects, users

    for command in (
        database.db,
        database.setup_link,
        users.user,
        users.token,
        demo.demo,
        projects.project,
        payroll.payroll,
    ):
        app.cli.add_command(command)
