"""``db upgrade``, ``db backup``, ``db restore`` and ``setup-link``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from tracker import backup as backups
from tracker import db_faults, migrate
from tracker.cli.actor import command
from tracker.cli.errors import refusals
from tracker.db import unit_of_work
from tracker.services import audit, users


@click.group(cls=AppGroup)
def db() -> None:
    """Database schema, backup and restore."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def upgrade(revision: str) -> None:
    """Create or migrate the schema to the current version."""
    url = current_app.config["DATABASE_URL"]
    try:
        migrate.upgrade(url, revision)
    except migrate.MigrationFailed as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"database is at revision {migrate.current(url)}")


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
def backup(file: Path, force: bool) -> None:
    """Write a consistent copy of the live SQLite database to FILE (mode 0600)."""
    url = current_app.config["DATABASE_URL"]
    with refusals():
        copied = backups.backup(url, file, force=force)
    click.echo(
        f"backup written to {file} ({copied.size:,} bytes, schema revision {copied.revision})"
    )
    _record(
        "database.backup", file=str(file.resolve()), bytes=copied.size, revision=copied.revision
    )


@db.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that holds data.")
def restore(file: Path, force: bool) -> None:
    """Replace the configured SQLite database with the backup in FILE."""
    url = current_app.config["DATABASE_URL"]
    with refusals():
        copied = backups.restore(url, file, force=force)
    click.echo(f"restored {file} into {db_faults.where(url)} (schema revision {copied.revision})")
    if copied.upgrade_needed:
        click.echo("the backup's schema is older: run `flask --app tracker db upgrade` next")
    else:
        click.echo("the schema is current: no upgrade needed")
    _record(
        "database.restore",
        file=str(file.resolve()),
        revision=copied.revision,
        upgrade_needed=copied.upgrade_needed,
    )


def _record(action: str, **data: Any) -> None:
    """Audit the backup or restore; a database that cannot take the event gets a warning only.

    The copy is made already, so a read-only database (a backup of it is still worth taking)
    or an older schema after a restore must not turn it into a failure.
    """
    try:
        with command(), unit_of_work() as session:
            audit.record(session, None, action, target_type="database", **data)
    except SQLAlchemyError as exc:
        click.echo(
            f"warning: the {action} audit event was not recorded: {db_faults.driver_message(exc)}",
            err=True,
        )


@click.command("setup-link")
@with_appcontext
def setup_link() -> None:
    """Print a one-time link to create the first admin (only while there is none)."""
    with command(), unit_of_work() as session:
        # One transaction for the check and the link, so nothing is left open afterwards.
        token = None
        if users.needs_first_admin(session):
            token = users.create_setup_link(
                session, None, None, "first_admin", current_app.config["SETUP_LINK_HOURS"]
            )
    if token is None:
        click.echo(f"An admin exists already; sign in at {current_app.config['BASE_URL']}/login")
        return
    click.echo("Open this one-time link to create the first admin account:")
    click.echo(f"    {current_app.config['BASE_URL']}/setup/{token}")
