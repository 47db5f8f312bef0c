"""Every payroll file opened in a real spreadsheet (headless LibreOffice, formulas evaluated):
numbers are numbers that add up to the export's totals, dates are dates, and every formula
payload, also one hidden behind the profile's separator, stays text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tests.payroll_readers import (
    csv_filter,
    csv_rows,
    libreoffice_to_xlsx,
    money,
    sheet_rows,
    workbook,
)
from tests.services.conftest import END, PAYLOADS, STAMP, START
from tracker.db import unit_of_work
from tracker.services import payroll, payroll_batches, payroll_files
from tracker.services import payroll_profiles as profiles
from tracker.services.payroll_profiles import PROFILES, check_file

pytestmark = pytest.mark.slow

NUMBERS = (profiles.INT, profiles.MONEY, profiles.HOURS)


def _shapes(fmt: str, separator: str | None = None) -> list[tuple[str, str]]:
    return [
        (name, layout)
        for name, profile in PROFILES.items()
        for layout in profile.layouts
        if separator is None or profile.separator == separator
    ]


GROUPS = {
    "comma CSV": ("csv", _shapes("csv", ",")),
    "semicolon CSV": ("csv", _shapes("csv", ";")),
    "XLSX": ("xlsx", _shapes("xlsx")),
}


def _no_formulas(book: Any) -> None:
    formulas = [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert formulas == []


def _check_types(name: str, layout: str, fmt: str, rows: list[dict[str, Any]]) -> None:
    for column in PROFILES[name].layouts[layout]:
        values = [row[column.header] for row in rows]
        kind = column.kind
        if kind in NUMBERS:
            assert all(isinstance(v, int | float) or v is None for v in values), column.header
            assert any(v is not None for v in values), column.header
        elif kind == profiles.DATE:
            assert all(isinstance(v, dt.datetime) for v in values), column.header
        elif kind == profiles.DURATION:
            assert all(isinstance(v, dt.time | dt.timedelta) for v in values), column.header
        elif kind == profiles.TIMESTAMP and (fmt == "xlsx" or name != "generic"):
            assert set(values) - {None} == {dt.datetime(2026, 4, 1, 8, 0, 5)}
        elif kind == profiles.TEXT:
            assert all(isinstance(v, str) or v is None for v in values), column.header


@pytest.mark.parametrize("group", list(GROUPS))
def test_a_real_spreadsheet_reads_typed_values_that_add_up_and_no_formula(
    db, paid, app, tmp_path: Path, group: str
):
    fmt, shapes = GROUPS[group]
    with app.app_context(), unit_of_work() as session:  # some rows carry a batch_id
        payroll_batches.create_batch(session, paid, START, START + dt.timedelta(days=4))
    scope = payroll.make_scope(START, END)
    expected = payroll.totals(db, scope).by_currency
    generic = b"".join(payroll_files.export_chunks(db, scope, check_file(), created=STAMP))
    currencies = [row["currency"] for row in csv_rows(generic)]
    written: dict[tuple[str, str], bytes] = {}
    for name, layout in shapes:
        spec = check_file(name, layout, fmt)
        written[name, layout] = b"".join(
            payroll_files.export_chunks(db, scope, spec, created=STAMP)
        )
        (tmp_path / f"{name}-{layout}.{fmt}").write_bytes(written[name, layout])
    separator = PROFILES[shapes[0][0]].separator
    converted = libreoffice_to_xlsx(
        [tmp_path / f"{name}-{layout}.{fmt}" for name, layout in shapes],
        tmp_path,
        csv_filter(separator) if fmt == "csv" else None,
    )
    for (name, layout), path in zip(shapes, converted, strict=True):
        book = workbook(path.read_bytes())
        _no_formulas(book)
        rows = sheet_rows(book[layout] if fmt == "xlsx" else book.active)
        if fmt == "csv":
            ours = csv_rows(written[name, layout], name)
        else:
            ours = [dict(row) for row in sheet_rows(workbook(written[name, layout])[layout])]
        assert len(rows) == len(ours), (name, layout)
        _check_types(name, layout, fmt, rows)
        assert money(name, rows, currencies) == expected, (name, layout)
        texts = [c.header for c in PROFILES[name].layouts[layout] if c.kind == profiles.TEXT]
        for mine, theirs in zip(ours, rows, strict=True):
            for header in texts:
                # LibreOffice reads a quoted CR as a line feed; the text is otherwise ours.
                wanted = (mine[header] or None) and mine[header].replace("\r", "\n")
                got = theirs[header] and theirs[header].replace("\r", "\n")
                assert got == wanted, (name, layout, header)
    if fmt == "xlsx":  # typed cells hold the text as typed, no guard needed
        detail = sheet_rows(workbook(converted[0].read_bytes())["detail"])
        described = [row["description"].replace("\r", "\n") for row in detail[: len(PAYLOADS)]]
        assert described == [text.replace("\r", "\n") for text in PAYLOADS]
