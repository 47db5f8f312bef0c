"""``payroll export``: the payroll CSV of a period, streamed to stdout or a file."""

from __future__ import annotations

from typing import IO

import click

from tracker.cli.errors import refusals
from tracker.db import get_session, unit_of_work
from tracker.services import audit
from tracker.services import payroll as payroll_service


@click.group()
def payroll() -> None:
    """Payroll export."""


@payroll.command("export")
@click.option("--start", required=True, help="First work date, YYYY-MM-DD.")
@click.option("--end", required=True, help="Last work date (inclusive), YYYY-MM-DD.")
@click.option(
    "--status",
    type=click.Choice(["approved", "all"]),
    default="approved",
    show_default=True,
    help="approved, or all (submitted and approved).",
)
@click.option(
    "--layout", type=click.Choice(["detail", "summary"]), default="detail", show_default=True
)
@click.option("--bom", is_flag=True, help="Start with a UTF-8 byte-order mark (for Excel).")
@click.option(
    "-o",
    "--output",
    type=click.File("wb"),
    default="-",
    help="Write to this file instead of standard output.",
)
def export(start: str, end: str, status: str, layout: str, bom: bool, output: IO[bytes]) -> None:
    """Write the payroll CSV of a period (stdout without -o)."""
    with audit.origin("cli"), refusals():
        scope = payroll_service.make_scope(start, end, status)
        with unit_of_work() as session:
            payroll_service.record_export(session, None, scope, layout, bom)
        for chunk in payroll_service.stream_and_close(get_session(), scope, layout, bom):
            output.write(chunk)
        output.flush()
