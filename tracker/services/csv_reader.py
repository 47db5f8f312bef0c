"""Reading an uploaded CSV the way spreadsheets write it, with every problem placed on a line.

Accepted: UTF-8 with or without a byte-order mark, ``,`` or ``;`` between cells (detected from
the header row), quoted cells (with separators, quotes and line breaks inside), and Windows or
Unix line endings. Refused, with the line it was found on: binary data (a NUL byte, a workbook
saved as .xlsx), text that is not UTF-8, a quote left open, a header cell that is empty or
repeated, and a row with more cells than the header.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

SEPARATORS = (",", ";")
# A workbook (.xlsx, .ods: ZIP) or an old binary .xls (OLE2) starts with these bytes.
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


@dataclass(frozen=True)
class Problem:
    """Something wrong with the file, placed by line (1: the header) and column (its name)."""

    line: int | None
    column: str | None
    message: str

    def to_dict(self) -> dict[str, object]:
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class Row:
    """One record of the file: the line it starts on and its cells by column name."""

    line: int
    cells: dict[str, str]


@dataclass
class Table:
    """The file read: its columns in order, its rows, and what was wrong with it."""

    columns: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    separator: str = ","


def _line_of(data: bytes, offset: int) -> int:
    """The 1-based line holding the byte at ``offset``."""
    return data.count(b"\n", 0, offset) + 1


def decode(data: bytes) -> tuple[str | None, Problem | None]:
    """The file's text (BOM removed), or the problem that makes it unreadable as CSV text."""
    if data.startswith(_WORKBOOK_MAGIC):
        return None, Problem(
            1,
            None,
            _("This is a spreadsheet workbook, not CSV; save it as CSV (UTF-8) and upload it."),
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        return None, Problem(
            _line_of(data, nul), None, _("This file holds binary data; upload a CSV text file.")
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, Problem(
            _line_of(data, exc.start),
            None,
            _("This line is not UTF-8 text; save the file as CSV (UTF-8) and upload it again."),
        )
    return text, None


def detect_separator(text: str) -> str:
    """``;`` when the header row has more semicolons than commas outside quotes, else ``,``."""
    counts = dict.fromkeys(SEPARATORS, 0)
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
        elif not quoted and char in "\r\n":
            break
    return ";" if counts[";"] > counts[","] else ","


def read(data: bytes) -> Table:
    """Read the file into a ``Table``; ``problems`` says what made lines unreadable."""
    table = Table()
    text, problem = decode(data)
    if problem is not None or text is None:
        table.problems.append(problem or Problem(1, None, _("The file is empty.")))
        return table
    if not text.strip():
        table.problems.append(Problem(1, None, _("The file is empty; it needs a header row.")))
        return table
    table.separator = detect_separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=table.separator, strict=True)
    try:
        _read_records(reader, table)
    except csv.Error as exc:
        table.problems.append(
            Problem(
                reader.line_num or 1,
                None,
                _("This line cannot be read as CSV (%(reason)s).", reason=str(exc)),
            )
        )
    return table


def _read_records(reader: Any, table: Table) -> None:
    header = next(reader)
    names = [cell.strip().lower() for cell in header]
    for index, name in enumerate(names, start=1):
        if not name and any(names[index:]):
            table.problems.append(
                Problem(1, None, _("Column %(index)s has no name in the header.", index=index))
            )
        elif name and names.index(name) != index - 1:
            table.problems.append(
                Problem(1, name, _("The column %(name)s appears twice.", name=repr(name)))
            )
    while names and not names[-1]:  # trailing empty header cells, as spreadsheets write them
        names.pop()
    table.columns = names
    start = reader.line_num + 1
    for record in reader:
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue  # blank lines and rows of empty cells
        extra = record[len(names) :]
        if any(cell.strip() for cell in extra):
            table.problems.append(
                Problem(
                    line,
                    None,
                    _(
                        "This row has %(cells)s cells but the header names %(columns)s columns.",
                        cells=len(record),
                        columns=len(names),
                    ),
                )
            )
            continue
        padded = [*record, *[""] * (len(names) - len(record))]
        cells = {name: padded[i].strip() for i, name in enumerate(names)}
        table.rows.append(Row(line, cells))
