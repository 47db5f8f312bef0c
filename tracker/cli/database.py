"""``db upgrade`` and ``setup-link``."""

from __future__ import annotations

import click
from flask import current_app

from tracker import migrate
from tracker.db import get_session, unit_of_work
from tracker.services import audit, users


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def upgrade(revision: str) -> None:
    """Create or migrate the schema to the current version."""
    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database is at revision {migrate.current(current_app.config['DATABASE_URL'])}")


@click.command("setup-link")
def setup_link() -> None:
    """Print a one-time link to create the first admin (only while there is none)."""
    with audit.origin("cli"):
        if not users.needs_first_admin(get_session()):
            click.echo("An admin exists already; sign in at "
                       f"{current_app.config['BASE_URL']}/login")
            return
        with unit_of_work() as session:
            token = users.create_setup_link(
                session, None, None, "first_admin", current_app.config["SETUP_LINK_HOURS"]
            )
    click.echo("Open this one-time link to create the first admin account:")
    click.echo(f"    {current_app.config['BASE_URL']}/setup/{token}")


COMMANDS = (db, setup_link)
