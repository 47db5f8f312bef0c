"""``payroll export`` and ``payroll batch``: payroll files and batches from a terminal.

The command line acts as the server's operator (no signed-in user), as ``project freeze`` does,
so it may batch entries that are not approved yet, as an admin may.
"""

from __future__ import annotations

import sys
from typing import IO

import click

from tracker.cli.actor import acting_user, as_option, command
from tracker.cli.errors import refusals
from tracker.db import get_session, unit_of_work
from tracker.errors import Invalid
from tracker.services import payroll as payroll_service
from tracker.services import payroll_batches, payroll_files, payroll_profiles

_DATE = "YYYY-MM-DD"


@click.group()
def payroll() -> None:
    """Payroll files and export batches."""


@payroll.command("export")
@click.option("--start", help=f"First work date, {_DATE}.")
@click.option("--end", help=f"Last work date (inclusive), {_DATE}.")
@click.option(
    "--batch",
    "batch_id",
    type=int,
    help="A batch's file instead of a period (the same bytes every time).",
)
@click.option(
    "--status",
    type=click.Choice(["approved", "all"]),
    default="approved",
    show_default=True,
    help="approved, or all (submitted and approved).",
)
@click.option(
    "--layout",
    type=click.Choice(payroll_profiles.LAYOUTS),
    default="detail",
    show_default=True,
)
@click.option(
    "--profile",
    type=click.Choice(list(payroll_profiles.PROFILES)),
    default=payroll_profiles.DEFAULT,
    show_default=True,
    help="Columns, separator, decimal mark and dates for a spreadsheet or payroll system.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(payroll_profiles.FORMATS),
    default="csv",
    show_default=True,
)
@click.option("--bom", is_flag=True, help="Start a CSV with a UTF-8 byte-order mark (for Excel).")
@click.option(
    "-o",
    "--output",
    type=click.File("wb"),
    default="-",
    help="Write to this file instead of standard output.",
)
def export(
    start: str | None,
    end: str | None,
    batch_id: int | None,
    status: str,
    layout: str,
    profile: str,
    fmt: str,
    bom: bool,
    output: IO[bytes],
) -> None:
    """Write the payroll file of a period, or of a batch (stdout without -o)."""
    if batch_id is None and (start is None or end is None):
        raise click.UsageError("Give --start and --end, or --batch.")
    if batch_id is not None and (start or end):
        raise click.UsageError("Give either --batch or --start and --end, not both.")
    if fmt == "xlsx" and output is sys.stdout.buffer and sys.stdout.isatty():
        raise click.UsageError("An XLSX file is binary: give -o FILE or redirect the output.")
    try:
        spec = payroll_profiles.check_file(profile, layout, fmt, bom)
    except Invalid as exc:  # a combination of options no profile has: a usage error
        raise click.UsageError(exc.message) from None
    with command(), refusals():
        if batch_id is not None:
            with unit_of_work() as session:
                batch = payroll_batches.get_batch(session, batch_id)
                scope = payroll_service.Scope(batch.period_start, batch.period_end)
                payroll_service.record_export(session, None, scope, spec, batch=batch)
            chunks = payroll_files.batch_chunks(batch, spec)
        else:
            scope = payroll_service.make_scope(start, end, status)
            with unit_of_work() as session:
                payroll_service.record_export(session, None, scope, spec)
            chunks = payroll_files.stream_and_close(get_session(), scope, spec)
        for chunk in chunks:
            output.write(chunk)
        output.flush()


@payroll.command("batch")
@click.option("--start", required=True, help=f"First work date, {_DATE}.")
@click.option("--end", required=True, help=f"Last work date (inclusive), {_DATE}.")
@click.option(
    "--status",
    type=click.Choice(["approved", "all"]),
    default="approved",
    show_default=True,
    help="approved, or all (submitted and approved).",
)
@as_option
def batch(start: str, end: str, status: str, as_email: str | None) -> None:
    """Mark the period's entries not in a batch yet as exported; print the batch."""
    with command(), refusals(), unit_of_work() as session:
        actor = acting_user(session, as_email)
        created = payroll_batches.create_batch(session, actor, start, end, status)
    totals = ", ".join(f"{amount} {currency}" for currency, amount in created.totals.items())
    click.echo(
        f"batch {created.id}: {created.row_count} entries, {totals}; sha256 {created.sha256}"
    )
