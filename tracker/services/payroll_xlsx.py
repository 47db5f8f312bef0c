"""The payroll XLSX writer: typed cells, flat memory, the same bytes each time.

XlsxWriter in ``constant_memory`` mode writes each row to a temporary file as soon as the next
one starts, so a million rows take no more memory than ten. The workbook has one sheet per
layout of the profile (the asked-for one first), a bold frozen header row, column widths that
fit what was written, and, where the profile is for people rather than an import, totals per
currency under the summary. A sheet holds at most 1,048,576 rows: beyond that the rows go on
in a second sheet of the same layout, with its own header, never silently dropped.

No cell can be a formula: text is only ever written with ``write_string``, numbers with
``write_number``, dates with ``write_datetime``. One trap of the library is closed here: in
``constant_memory`` mode it copies a string that starts with ``<r>`` and ends with ``</r>`` into
the sheet as raw XML (its rich-text shortcut), which would let a description inject a formula
cell; such text is wrapped as a real rich-text run with its XML escaped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any
from xml.sax.saxutils import escape

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from tracker.services import payroll_profiles as profiles
from tracker.services.payroll_numbers import hours

MAX_ROWS = 1_048_576  # Excel's limit per sheet, header included
MAX_WIDTH = 60
MIME_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Sheet:
    """One layout's rows for a workbook."""

    layout: str
    rows: Iterable[Any]


def _safe_text(text: str) -> str:
    if text.startswith("<r>") and text.endswith("</r>"):
        return f'<r><t xml:space="preserve">{escape(text)}</t></r>'
    return text


@dataclass
class _Totals:
    entries: int = 0
    minutes: int = 0
    amount: Decimal = Decimal("0.00")


@dataclass
class _Book:
    """The workbook and its cell formats."""

    workbook: Any
    profile: profiles.Profile
    formats: dict[str, Format] = field(default_factory=dict)

    def __post_init__(self) -> None:
        add = self.workbook.add_format
        self.formats = {
            "header": add({"bold": True}),
            "total": add({"bold": True}),
            "total_number": add({"bold": True, "num_format": "0.00"}),
            profiles.INT: add({"num_format": "0"}),
            profiles.MONEY: add({"num_format": "0.00"}),
            profiles.HOURS: add({"num_format": "0.00"}),
            profiles.DURATION: add({"num_format": "[h]:mm"}),
            profiles.DATE: add({"num_format": self.profile.excel_date}),
            profiles.TIMESTAMP: add({"num_format": self.profile.excel_timestamp}),
        }


def _writer(book: _Book, kind: str) -> Callable[[Worksheet, int, int, Any], int]:
    """A function writing one value of a kind into a cell; returns its width in characters."""
    fmt = book.formats.get(kind)

    def text(sheet: Worksheet, row: int, col: int, value: Any) -> int:
        if value:
            sheet.write_string(row, col, _safe_text(value))
            return max(map(len, value.splitlines())) if "\n" in value else len(value)
        return 0

    def whole(sheet: Worksheet, row: int, col: int, value: Any) -> int:
        if value is None:
            return 0
        sheet.write_number(row, col, value, fmt)
        return len(str(value))

    def money(sheet: Worksheet, row: int, col: int, value: Any) -> int:
        sheet.write_number(row, col, float(value), fmt)
        return len(str(value))  # a Decimal with two places, as the cell shows it

    def in_hours(sheet: Worksheet, row: int, col: int, minutes: Any) -> int:
        return money(sheet, row, col, hours(minutes))

    def span(sheet: Worksheet, row: int, col: int, minutes: Any) -> int:
        sheet.write_number(row, col, minutes / 1440, fmt)  # Excel's time: a fraction of a day
        return len(str(abs(minutes) // 60)) + 4

    def date(sheet: Worksheet, row: int, col: int, value: Any) -> int:
        if value is None:
            return 0
        sheet.write_datetime(row, col, value, fmt)
        return len(book.profile.excel_date)

    def stamp(sheet: Worksheet, row: int, col: int, value: Any) -> int:
        if value is None:
            return 0
        # Excel has no time zones: the UTC wall time, and the number format says "UTC".
        utc = value.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
        sheet.write_datetime(row, col, utc, fmt)
        return len(book.profile.excel_timestamp) - 4

    writers = {
        profiles.TEXT: text,
        profiles.INT: whole,
        profiles.MONEY: money,
        profiles.HOURS: in_hours,
        profiles.DURATION: span,
        profiles.DATE: date,
        profiles.TIMESTAMP: stamp,
    }
    return writers[kind]


def _write_sheets(book: _Book, sheet: Sheet, context: profiles.Context, row_limit: int) -> None:
    columns = book.profile.layouts[sheet.layout]
    plan = [(c.getter(context), _writer(book, c.kind)) for c in columns]
    widths = [len(c.header) for c in columns]
    pages: list[Worksheet] = []
    totals: dict[str, _Totals] = {}
    keep_totals = sheet.layout == "summary" and book.profile.totals

    def new_page() -> Worksheet:
        name = sheet.layout if not pages else f"{sheet.layout} ({len(pages) + 1})"
        page = book.workbook.add_worksheet(name)
        for col, column in enumerate(columns):
            page.write_string(0, col, column.header, book.formats["header"])
        page.freeze_panes(1, 0)
        pages.append(page)
        return page

    page, row_number = new_page(), 1
    for row in sheet.rows:
        if row_number >= row_limit:
            page, row_number = new_page(), 1
        for col, (get, write) in enumerate(plan):
            width = write(page, row_number, col, get(row))
            if width > widths[col]:
                widths[col] = width
        if keep_totals:
            total = totals.setdefault(row.currency, _Totals())
            total.entries += row.entries
            total.minutes += row.minutes
            total.amount += row.amount
        row_number += 1
    if totals:
        _write_totals(book, page, columns, totals, row_number + 1)
    for each in pages:
        for col, width in enumerate(widths):
            each.set_column(col, col, min(width, MAX_WIDTH) + 2)


def _write_totals(
    book: _Book,
    page: Worksheet,
    columns: Sequence[profiles.Column],
    totals: dict[str, _Totals],
    first_row: int,
) -> None:
    """Totals per currency under the summary, one bold row each (values, never formulas)."""
    bold, number = book.formats["total"], book.formats["total_number"]
    for offset, (currency, total) in enumerate(sorted(totals.items())):
        row = first_row + offset
        page.write_string(row, 0, "Total", bold)
        for col, column in enumerate(columns):
            if column.field == "currency":
                page.write_string(row, col, currency, bold)
            elif column.field == "entries":
                page.write_number(row, col, total.entries, bold)
            elif column.field == "minutes":
                page.write_number(row, col, float(hours(total.minutes)), number)
            elif column.field == "amount":
                page.write_number(row, col, float(total.amount), number)


def write_workbook(
    target: IO[bytes],
    profile: profiles.Profile,
    sheets: Sequence[Sheet],
    context: profiles.Context,
    created: dt.datetime,
    row_limit: int = MAX_ROWS,
) -> None:
    """Write a workbook of these sheets to a binary file object.

    ``created`` is the document's creation time: the same input and time give the same bytes.
    """
    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    naive = created.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    workbook.set_properties({"title": context.title, "created": naive})
    book = _Book(workbook, profile)
    for sheet in sheets:
        _write_sheets(book, sheet, context, row_limit)
    workbook.close()
