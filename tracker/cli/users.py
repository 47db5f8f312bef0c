"""``user create`` and ``token create``."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from tracker.cli.actor import acting_user, as_option, command
from tracker.cli.errors import refusals
from tracker.db import unit_of_work
from tracker.errors import NotFound
from tracker.models import ROLES
from tracker.services import notices, tokens, users


@click.group(cls=AppGroup)
def user() -> None:
    """Users."""


@user.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Full name.")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--timezone", default="UTC", show_default=True, help="IANA timezone.")
@click.option("--skills", default="", help="Comma-separated skills.")
@click.option("--hourly-rate", default=None, help="Default hourly rate, e.g. 45.00.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@as_option
def create_user(
    email: str,
    name: str,
    role: str,
    timezone: str,
    skills: str,
    hourly_rate: str | None,
    password_stdin: bool,
    as_email: str | None,
) -> None:
    """Create a user; without --password-stdin, print a one-time link to set the password."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    with command(), refusals(), unit_of_work() as session:
        actor = acting_user(session, as_email)
        created = users.create_user(
            session,
            actor,
            email=email,
            name=name,
            role=role,
            password=password,
            timezone=timezone,
            skills=skills,
            hourly_rate=hourly_rate,
        )
        link = None
        if password is None:
            link = notices.email_setup_link(
                session, actor, created, "welcome", current_app.config["SETUP_LINK_HOURS"]
            )
    click.echo(f"created {created.role} {created.email} (id {created.id})")
    if link:
        click.echo(
            f"one-time link to set the password (also emailed to {created.email}): "
            f"{current_app.config['BASE_URL']}/setup/{link}"
        )


@click.group(cls=AppGroup)
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("email")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@click.option(
    "--days",
    default=90,
    show_default=True,
    type=click.IntRange(1, 3650),
    help="Days until it expires.",
)
def create_token(email: str, name: str, days: int) -> None:
    """Print a new API token for that user, alone on one line."""
    with command(), refusals(), unit_of_work() as session:
        owner = users.find_by_email(session, email)
        if owner is None:
            raise NotFound(f"no user with email {email.strip().lower()}")
        _row, raw = tokens.create_token(session, None, owner, name, days)
    click.echo(raw)
