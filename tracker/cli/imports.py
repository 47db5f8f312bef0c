"""``import users|projects|assignments FILE [--dry-run]``: the CSV import from a shell."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from tracker.cli.errors import refusals
from tracker.db import unit_of_work
from tracker.services import audit, imports


@click.group("import", cls=AppGroup)
def group() -> None:
    """Import people, projects or assignments from a CSV file (all or nothing)."""


def _run(kind: str, path: Path, dry_run: bool) -> None:
    limit = current_app.config["IMPORT_MAX_BYTES"]
    if path.stat().st_size > limit:
        click.echo(f"error: {path} is over the import limit of {limit:,} bytes", err=True)
        sys.exit(1)
    data = path.read_bytes()
    with audit.origin("cli"), refusals():
        try:
            with unit_of_work() as session:
                result = imports.run_import(
                    session,
                    None,
                    kind,
                    data,
                    dry_run=dry_run,
                    max_bytes=limit,
                    setup_link_hours=current_app.config["SETUP_LINK_HOURS"],
                )
        except imports.ImportRefused as refused:
            _print_errors(refused.result)
            sys.exit(1)
    verb = "would be" if dry_run else "were"
    click.echo(
        f"{kind}: {result.created} {verb} created, {result.updated} updated, "
        f"{result.unchanged} unchanged" + (" (dry run: nothing written)" if dry_run else "")
    )


def _print_errors(result: imports.ImportResult) -> None:
    for problem in result.sorted_errors():
        where = f"line {problem.line}" if problem.line else "file"
        column = f", column {problem.column}" if problem.column else ""
        click.echo(f"{where}{column}: {problem.message}", err=True)
    click.echo(f"error: nothing was imported ({len(result.errors)} errors)", err=True)


def _command(kind: str) -> click.Command:
    @group.command(kind, help=f"Import {kind} from a CSV file (the template's columns).")
    @click.argument(
        "file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)
    )
    @click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
    def run(file: Path, dry_run: bool) -> None:
        _run(kind, file, dry_run)

    return run


for _kind in imports.KINDS:
    _command(_kind)
