"""Command line (``flask --app tracker …`` or ``tracker …``): thin, over the same services."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register every command and command group; a missing one fails at start-up."""
    from tracker.cli import (
        database,
        demo,
        faults,
        imports,
        incidents,
        outbox,
        payroll,
        projects,
        reminders,
        users,
    )

    for command in (
        database.db,
        database.setup_link,
        users.user,
        users.token,
        demo.demo,
        projects.project,
        incidents.incident,
        payroll.payroll,
        outbox.outbox,
        reminders.group,
        imports.group,
    ):
        app.cli.add_command(command)
    faults.guard_commands(app.cli)  # a database outage: one line and exit 1, never a trace
