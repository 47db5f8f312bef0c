"""The payroll CSV writers: the formula guard, quoting, every profile, and both backends.

Two writers produce the generic profile's bytes:

- the Python writer (SQLite, every other profile, and the reference on PostgreSQL) renders
  rows through the profile's columns and quotes cells the way COPY does;
- the PostgreSQL writer lets the database render the generic file with ``COPY (SELECT …) TO
  STDOUT (FORMAT csv, HEADER)``, amounts as exact ``numeric``, the formula guard as a ``CASE``.

Byte-identical means agreeing on every detail: ``\\n`` line endings (what COPY writes), empty
text as an unquoted empty field (COPY writes a non-NULL empty string as ``""``, so the SQL turns
empty text into NULL), ``YYYY-MM-DD`` dates, ``…Z`` UTC timestamps to the second, two-place
decimals without a negative zero, and rows ordered by code point (``COLLATE "C"``, which is how
SQLite compares text).

The formula guard applies under every profile's separator: a text cell that
starts a formula gets a ``'``, and a cell holding the separator, a quote, CR or LF is quoted, so
a formula can never hide behind the separator in a cell of its own.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from tracker.services import payroll_profiles as profiles
from tracker.services.payroll_numbers import amount as amount
from tracker.services.payroll_numbers import duration
from tracker.services.payroll_numbers import hours as hours
from tracker.services.payroll_numbers import number as number

BOM = b"\xef\xbb\xbf"
LINE_END = "\n"
CHUNK_BYTES = 64 * 1024  # what a stream hands on at a time: flat memory, few writes

# A cell starting with one of these is read as a formula by spreadsheets (OWASP CSV Injection).
DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r", "\n")


def guard(value: str | None) -> str:
    """A text cell safe for spreadsheets: a leading formula character gets a ``'`` before it."""
    if not value:
        return ""
    if value[0] in DANGEROUS_FIRST:
        return "'" + value
    return value


def unguard(value: str) -> str:
    """The text behind a guarded cell (``guard`` undone), for files rebuilt from a batch's CSV.

    Exact except for text that itself began with ``'`` and a formula character, which reads
    back without its ``'``; rendering it to CSV again gives the same cell either way.
    """
    if value[:1] == "'" and value[1:2] in DANGEROUS_FIRST:
        return value[1:]
    return value


# --- the Python writer -------------------------------------------------------------------------


def _date_text(date_format: str) -> Callable[[dt.date | None], str]:
    if date_format == "%Y-%m-%d":
        return lambda value: "" if value is None else value.isoformat()
    return lambda value: "" if value is None else value.strftime(date_format)


def _timestamp_text(timestamp_format: str) -> Callable[[dt.datetime | None], str]:
    return lambda value: (
        "" if value is None else value.astimezone(dt.UTC).strftime(timestamp_format)
    )


def _formatter(profile: profiles.Profile, kind: str) -> Callable[[Any], str]:
    mark = profile.decimal_mark
    formatters: dict[str, Callable[[Any], str]] = {
        profiles.TEXT: guard,
        profiles.INT: lambda value: "" if value is None else str(value),
        profiles.MONEY: lambda value: number(value, mark),
        profiles.HOURS: lambda minutes: number(hours(minutes), mark),
        profiles.DURATION: duration,
        profiles.DATE: _date_text(profile.date_format),
        profiles.TIMESTAMP: _timestamp_text(profile.timestamp_format),
    }
    return formatters[kind]


def cell_writer(
    profile: profiles.Profile, columns: Sequence[profiles.Column], context: profiles.Context
) -> Callable[[Any], list[str]]:
    """A function giving one row's CSV cells under a profile's columns."""
    plan = [(column.getter(context), _formatter(profile, column.kind)) for column in columns]
    return lambda row: [render(get(row)) for get, render in plan]


def line_writer(separator: str) -> Callable[[Sequence[str]], str]:
    """A function joining cells into one CSV record with its line ending.

    A cell is quoted exactly when PostgreSQL's COPY quotes it: the separator, a quote, CR or LF
    inside. (csv.writer with "\\n" line endings would leave a lone CR unquoted and break the row.)
    """
    needs_quotes = re.compile(f'[{re.escape(separator)}"\\r\\n]').search

    def cell(text: str) -> str:
        if needs_quotes(text):
            return '"' + text.replace('"', '""') + '"'
        return text

    return lambda cells: separator.join(map(cell, cells)) + LINE_END


def write_csv(
    profile: profiles.Profile,
    layout: str,
    rows: Iterable[Any],
    context: profiles.Context,
    bom: bool = False,
) -> Iterator[bytes]:
    """A header and rows as UTF-8 CSV under a profile, in chunks of about CHUNK_BYTES."""
    columns = profile.layouts[layout]
    cells = cell_writer(profile, columns, context)
    line = line_writer(profile.separator)
    pending = [line([column.header for column in columns])]
    if bom or profile.bom:
        pending.insert(0, BOM.decode("utf-8"))
    size = 0
    for row in rows:
        text = line(cells(row))
        pending.append(text)
        size += len(text)
        if size >= CHUNK_BYTES:
            yield "".join(pending).encode("utf-8")
            pending.clear()
            size = 0
    if pending:
        yield "".join(pending).encode("utf-8")


# --- the PostgreSQL writer (generic profile) ---------------------------------------------------


def _guard_sql(expr: str) -> str:
    """The formula guard as SQL; empty text becomes NULL so COPY writes it unquoted."""
    return (
        f"NULLIF(CASE WHEN left({expr}, 1) IN ('=', '+', '-', '@', chr(9), chr(13), chr(10)) "
        f"THEN '''' || {expr} ELSE {expr} END, '')"
    )


def _num_sql(expr: str) -> str:
    # numeric has no negative zero, and round(numeric, 2) keeps two places: "7.50", "-1.50".
    return f"round({expr}, 2)"


_AMOUNT_SQL = "round(e.minutes * e.hourly_rate / 60, 2)"

_FROM_SQL = (
    "FROM time_entries e JOIN users u ON u.id = e.user_id JOIN projects p ON p.id = e.project_id "
)

DETAIL_SQL = (
    "SELECT e.id AS entry_id, to_char(e.work_date, 'YYYY-MM-DD') AS work_date, "
    f"{_guard_sql('u.email')} AS contractor_email, {_guard_sql('u.name')} AS contractor_name, "
    f"{_guard_sql('p.code')} AS project_code, {_guard_sql('p.name')} AS project_name, "
    f"{_guard_sql('p.client')} AS client, {_num_sql('e.minutes::numeric / 60')} AS hours, "
    f"e.hourly_rate AS hourly_rate, {_guard_sql('e.currency')} AS currency, "
    f"{_AMOUNT_SQL} AS amount, {_guard_sql('e.status')} AS status, "
    f"{_guard_sql('a.email')} AS approved_by, "
    "to_char(e.approved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS approved_at, "
    f"{_guard_sql('e.description')} AS description, e.export_batch_id AS batch_id "
    f"{_FROM_SQL}LEFT JOIN users a ON a.id = e.approved_by_id "
    "WHERE {where} "
    'ORDER BY e.work_date, u.email COLLATE "C", p.code COLLATE "C", e.id'
)

SUMMARY_SQL = (
    f"SELECT {_guard_sql('u.email')} AS contractor_email, "
    f"{_guard_sql('u.name')} AS contractor_name, {_guard_sql('p.code')} AS project_code, "
    f"{_guard_sql('p.name')} AS project_name, {_guard_sql('e.currency')} AS currency, "
    "e.hourly_rate AS hourly_rate, count(*) AS entries, "
    f"{_num_sql('sum(e.minutes)::numeric / 60')} AS hours, sum({_AMOUNT_SQL}) AS amount "
    f"{_FROM_SQL}"
    "WHERE {where} "
    "GROUP BY u.id, u.email, u.name, p.id, p.code, p.name, e.currency, e.hourly_rate "
    'ORDER BY u.email COLLATE "C", p.code COLLATE "C", e.currency COLLATE "C", e.hourly_rate'
)


def copy_statement(layout: str, where: str) -> str:
    """The ``COPY … TO STDOUT`` statement for a layout and a WHERE clause (psycopg params)."""
    query = (DETAIL_SQL if layout == "detail" else SUMMARY_SQL).format(where=where)
    return f"COPY ({query}) TO STDOUT (FORMAT csv, HEADER, ENCODING 'UTF8')"


def copy_chunks(dbapi_connection: Any, statement: str, params: dict[str, Any]) -> Iterator[bytes]:
    """Stream the bytes PostgreSQL's COPY writes, joined into chunks of about CHUNK_BYTES."""
    pending = bytearray()
    with dbapi_connection.cursor() as cursor, cursor.copy(statement, params) as copy:
        for block in copy:
            pending += block
            if len(pending) >= CHUNK_BYTES:
                yield bytes(pending)
                pending.clear()
    if pending:
        yield bytes(pending)
