"""A database outage ends any command with one line on stderr and exit status 1, not a trace."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click
from flask.cli import ScriptInfo

from tracker import db_faults

_GUARDED = "_database_faults_guarded"


def guard_commands(group: click.Group) -> None:
    """Wrap every command under ``group`` (sub-groups included), once."""
    for command in group.commands.values():
        if isinstance(command, click.Group):
            guard_commands(command)
        if command.callback is not None and not getattr(command.callback, _GUARDED, False):
            command.callback = _guarded(command.callback)


def _guarded(callback: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except Exception as exc:
            url = _database_url()
            fault = db_faults.classify(exc, url)
            if fault is None:
                raise
            click.echo(f"error: {fault.operator_line(url)}", err=True)
            sys.exit(1)

    setattr(run, _GUARDED, True)
    return run


def _database_url() -> str:
    """The URL of the app the command runs against (loaded already: the command used it)."""
    app = click.get_current_context().ensure_object(ScriptInfo).load_app()
    url: str = app.config["DATABASE_URL"]
    return url
