"""``db upgrade`` and ``setup-link``."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from tracker import migrate
from tracker.db import unit_of_work
from tracker.services import audit, users


@click.group(cls=AppGroup)
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def upgrade(revision: str) -> None:
    """Create or migrate the schema to the current version."""
    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database is at revision {migrate.current(current_app.config['DATABASE_URL'])}")


@click.command("setup-link")
@with_appcontext
def setup_link() -> None:
    """Print a one-time link to create the first admin (only while there is none)."""
    with audit.origin("cli"), unit_of_work() as session:
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
