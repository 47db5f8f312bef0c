"""The XLSX writers alone: XlsxWriter in ``constant_memory`` mode (what the app uses) against
openpyxl's write-only mode, on the same typed payroll detail rows, without database or server.

    .venv/bin/python bench/xlsx_writers.py [--rows N]

Both write the 16 columns of the generic detail layout with the same cell types (numbers, dates,
text) to a file; the script prints each writer's rows per second of CPU time (the process's own,
so other load on a shared machine does not count) and their ratio, measured in one run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402

from tracker.services import payroll_xlsx  # noqa: E402
from tracker.services.payroll_numbers import amount, hours  # noqa: E402
from tracker.services.payroll_profiles import PROFILES, Context  # noqa: E402
from tracker.services.payroll_rows import Entry  # noqa: E402

DAY = dt.date(2024, 1, 1)


def _entries(rows: int) -> list[Entry]:
    rate = Decimal("33.33")
    return [
        Entry(
            n,
            DAY,
            f"contractor{n % 200}@bench.test",
            f"Contractor {n % 200}",
            f"BENCH{n % 20}",
            "Bench project",
            "Bench client",
            1 + n % 480,
            rate,
            "EUR",
            amount(1 + n % 480, rate),
            "approved",
            "approver@bench.test",
            dt.datetime(2024, 1, 2, 9, 0, tzinfo=dt.UTC),
            f"Ticket {n}",
            None,
        )
        for n in range(rows)
    ]


def xlsxwriter_rows_per_second(entries: list[Entry]) -> float:
    """The app's writer: ``payroll_xlsx.write_workbook`` with one detail sheet."""
    started = time.process_time()
    with tempfile.TemporaryFile() as target:
        sheets = [payroll_xlsx.Sheet("detail", entries)]
        context = Context(DAY, DAY)
        payroll_xlsx.write_workbook(
            target, PROFILES["generic"], sheets, context, dt.datetime.now(dt.UTC)
        )
    return len(entries) / (time.process_time() - started)


def openpyxl_rows_per_second(entries: list[Entry]) -> float:
    """openpyxl's write-only workbook with the same columns and cell types."""
    started = time.process_time()
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("detail")
    sheet.append([column.header for column in PROFILES["generic"].layouts["detail"]])
    for e in entries:
        sheet.append(
            [
                e.entry_id,
                e.work_date,
                e.email,
                e.name,
                e.project_code,
                e.project_name,
                e.client,
                float(hours(e.minutes)),
                float(e.rate),
                e.currency,
                float(e.amount),
                e.status,
                e.approved_by,
                e.approved_at.replace(tzinfo=None) if e.approved_at else None,
                e.description,
                e.batch_id,
            ]
        )
    with tempfile.TemporaryFile() as target:
        book.save(target)
    return len(entries) / (time.process_time() - started)


def main() -> int:
    """Write the same rows with both writers and print the rates."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="detail rows to write")
    args = parser.parse_args()
    entries = _entries(args.rows)
    fast = xlsxwriter_rows_per_second(entries)
    slow = openpyxl_rows_per_second(entries)
    print(
        f"{args.rows:,} detail rows, per CPU second: XlsxWriter (constant_memory) {fast:,.0f} "
        f"rows/s, openpyxl (write-only) {slow:,.0f} rows/s, ratio {fast / slow:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
