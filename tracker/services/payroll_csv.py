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
    """The formula guard as SQL; empty text becomes NULL so COPY writes it unquoted.

    ``ascii`` gives the first character's code point (0 for empty text, NULL for NULL): one
    call and integer comparisons, where ``left(…, 1) IN (…)`` built a string and compared it
    seven times. The code points are ``DANGEROUS_FIRST``'s: tab, LF, CR, ``+``, ``-``, ``=``
    and ``@``.
    """
    return (
        f"CASE WHEN ascii({expr}) IN (9, 10, 13, 43, 45, 61, 64) THEN '''' || {expr} "
        f"ELSE NULLIF({expr}, '') END"
    )


def _num_sql(expr: str) -> str:
    # numeric has no negative zero, and round(numeric, 2) keeps two places: "7.50", "-1.50".
    return f"round({expr}, 2)"


_AMOUNT_SQL = "round(e.minutes * e.hourly_rate / 60, 2)"

_FROM_SQL = (
    "FROM time_entries e JOIN users u ON u.id = e.user_id JOIN projects p ON p.id = e.project_id "
)

# The detail file guards people's and projects' text once per person and project, not once per
# entry: each is a subquery giving its guarded cells beside the raw sort keys. On the nullable
# side of a LEFT JOIN those cells are computed where the person's or project's row is read,
# under the nested loop's Memoize, so a million entries of 200 people guard 200 emails. Every
# entry has its user and project (NOT NULL foreign keys): LEFT and inner joins give the same
# rows. Dates are written by PostgreSQL's output functions under DateStyle ISO (``SESSION_SQL``):
# ``YYYY-MM-DD``, and ``YYYY-MM-DD HH:MI:SS`` for a timestamp truncated to the second, which
# costs less than ``to_char``.
_PEOPLE_SQL = (
    "SELECT id, email, "  # noqa: S608 (fixed SQL fragments: no input)
    f"{_guard_sql('email')} AS email_cell, {_guard_sql('name')} AS name_cell FROM users"
)
_PROJECTS_SQL = (
    "SELECT id, code, "  # noqa: S608
    f"{_guard_sql('code')} AS code_cell, {_guard_sql('name')} AS name_cell, "
    f"{_guard_sql('client')} AS client_cell FROM projects"
)
_APPROVERS_SQL = f"SELECT id, {_guard_sql('email')} AS email_cell FROM users"  # noqa: S608

DETAIL_SQL = (
    "SELECT e.id AS entry_id, e.work_date AS work_date, "  # noqa: S608
    "u.email_cell AS contractor_email, u.name_cell AS contractor_name, "
    "p.code_cell AS project_code, p.name_cell AS project_name, p.client_cell AS client, "
    f"{_num_sql('e.minutes::numeric / 60')} AS hours, e.hourly_rate AS hourly_rate, "
    f"{_guard_sql('e.currency')} AS currency, {_AMOUNT_SQL} AS amount, "
    f"{_guard_sql('e.status')} AS status, a.email_cell AS approved_by, "
    "replace(date_trunc('second', e.approved_at AT TIME ZONE 'UTC')::text, ' ', 'T') || 'Z' "
    "AS approved_at, "
    f"{_guard_sql('e.description')} AS description, e.export_batch_id AS batch_id "
    f"FROM time_entries e LEFT JOIN ({_PEOPLE_SQL}) u ON u.id = e.user_id "
    f"LEFT JOIN ({_PROJECTS_SQL}) p ON p.id = e.project_id "
    f"LEFT JOIN ({_APPROVERS_SQL}) a ON a.id = e.approved_by_id "
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

# What the dates need from the session, whatever the server's default: ISO output. For the
# transaction only (SET LOCAL), so a pooled connection goes back with its own setting.
SESSION_SQL = "SET LOCAL DateStyle = 'ISO'"


def copy_statement(layout: str, where: str) -> str:
    """The ``COPY … TO STDOUT`` statement for a layout and a WHERE clause (psycopg params)."""
    query = (DETAIL_SQL if layout == "detail" else SUMMARY_SQL).format(where=where)
    return f"COPY ({query}) TO STDOUT (FORMAT csv, HEADER, ENCODING 'UTF8')"


def copy_chunks(dbapi_connection: Any, statement: str, params: dict[str, Any]) -> Iterator[bytes]:
    """Stream the bytes PostgreSQL's COPY writes, joined into chunks of about CHUNK_BYTES.

    Runs in the connection's transaction (psycopg begins one unless in autocommit), where
    ``SESSION_SQL`` fixes the date style first.
    """
    pending = bytearray()
    with dbapi_connection.cursor() as cursor:
        cursor.execute(SESSION_SQL)
        with cursor.copy(statement, params) as copy:
            for block in copy:
                pending += block
                if len(pending) >= CHUNK_BYTES:
                    yield bytes(pending)
                    pending.clear()
    if pending:
        yield bytes(pending)
