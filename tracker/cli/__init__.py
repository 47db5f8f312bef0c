"""Command line (``flask --app tracker …`` or ``tracker …``): thin, over the same services."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click
from flask import Flask
from flask.cli import FlaskGroup

from tracker.errors import DomainError

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def refusals() -> Iterator[None]:
    """Turn a service's refusal into one line on stderr and exit status 1."""
    try:
        yield
    except DomainError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)


# Modules whose ``COMMANDS`` tuple lists their click commands.
COMMAND_MODULES = ("database", "users", "demo", "projects", "payroll")


def init_app(app: Flask) -> None:
    """Register every command group."""
    from tracker.cli import faults
    from tracker.web import _feature

    for name in COMMAND_MODULES:
        module = _feature(f"tracker.cli.{name}")
        for command in getattr(module, "COMMANDS", ()):
            app.cli.add_command(command)
    faults.guard_commands(app.cli)  # a database outage: one line and exit 1, never a trace


def main() -> None:
    """The ``tracker`` console script: the same commands as ``flask --app tracker``."""
    from tracker import create_app

    FlaskGroup(create_app=create_app)(prog_name="tracker")
