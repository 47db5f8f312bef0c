"""The payroll CSV writers: columns, exact amounts, the formula guard, and both backends.

Two writers produce the same bytes:

- the Python writer (SQLite, and the reference on PostgreSQL) streams rows from a server-side
  cursor and quotes cells the way COPY does;
- the PostgreSQL writer lets the database render the file with ``COPY (SELECT …) TO STDOUT
  (FORMAT csv, HEADER)``, amounts as exact ``numeric``, the formula guard as a ``CASE``.

Byte-identical means agreeing on every detail: ``\\n`` line endings (what COPY writes), empty
text as an unquoted empty field (COPY writes a non-NULL empty string as ``""``, so the SQL turns
empty text into NULL), ``YYYY-MM-DD`` dates, ``…Z`` UTC timestamps to the second, two-place
decimals without a negative zero, and rows ordered by code point (``COLLATE "C"``, which is how
SQLite compares text).

Rounding: ``ROUND_HALF_UP`` in Python rounds ties away from zero, exactly what PostgreSQL's
``round(numeric, 2)`` does, so a negative correction of -0.005 is -0.01 on both.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

DETAIL_COLUMNS = (
    "entry_id",
    "work_date",
    "contractor_email",
    "contractor_name",
    "project_code",
    "project_name",
    "client",
    "hours",
    "hourly_rate",
    "currency",
    "amount",
    "status",
    "approved_by",
    "approved_at",
    "description",
)
SUMMARY_COLUMNS = (
    "contractor_email",
    "contractor_name",
    "project_code",
    "project_name",
    "currency",
    "hourly_rate",
    "entries",
    "hours",
    "amount",
)
LAYOUTS = ("detail", "summary")
BOM = b"\xef\xbb\xbf"
LINE_END = "\n"
CHUNK_BYTES = 64 * 1024  # what a stream hands on at a time: flat memory, few writes

# A cell starting with one of these is read as a formula by spreadsheets (OWASP CSV Injection).
DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r", "\n")
CENT = Decimal("0.01")


def guard(value: str | None) -> str:
    """A text cell safe for spreadsheets: a leading formula character gets a ``'`` before it."""
    if not value:
        return ""
    if value[0] in DANGEROUS_FIRST:
        return "'" + value
    return value


def _no_negative_zero(value: Decimal) -> Decimal:
    return abs(value) if value.is_zero() else value


def amount(minutes: int, rate: Decimal) -> Decimal:
    """minutes / 60 x rate, rounded half-up (ties away from zero) to cents."""
    with localcontext() as ctx:
        ctx.prec = 50  # far more digits than Numeric(12, 2) x 1440 minutes needs: exact
        value = (Decimal(minutes) * Decimal(rate) / 60).quantize(CENT, rounding=ROUND_HALF_UP)
    return _no_negative_zero(value)


def hours(minutes: int) -> Decimal:
    """minutes / 60 rounded half-up to two places."""
    with localcontext() as ctx:
        ctx.prec = 50
        value = (Decimal(minutes) / 60).quantize(CENT, rounding=ROUND_HALF_UP)
    return _no_negative_zero(value)


def number(value: Decimal) -> str:
    """A plain decimal with two places and '.' (never "-0.00", never grouped)."""
    return f"{_no_negative_zero(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)):.2f}"


def iso_z(value: dt.datetime | None) -> str:
    """ISO 8601 UTC with Z, to the second."""
    if value is None:
        return ""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the Python writer -------------------------------------------------------------------------


def detail_cells(row: Sequence[Any]) -> list[Any]:
    """One detail row's cells from (id, work_date, email, name, code, project name, client,
    minutes, rate, currency, status, approver email, approved_at, description)."""
    (
        entry_id,
        work_date,
        email,
        name,
        code,
        project_name,
        client,
        minutes,
        rate,
        currency,
        status,
        approved_by,
        approved_at,
        description,
    ) = row
    return [
        entry_id,
        work_date.isoformat(),
        guard(email),
        guard(name),
        guard(code),
        guard(project_name),
        guard(client),
        number(hours(minutes)),
        number(rate),
        guard(currency),
        number(amount(minutes, rate)),
        guard(status),
        guard(approved_by),
        guard(iso_z(approved_at)),
        guard(description),
    ]


def summary_rows(rows: Iterable[Sequence[Any]]) -> Iterator[list[Any]]:
    """Summary rows from detail-grain rows ordered by (email, code, currency, rate).

    Each input is (email, name, code, project name, currency, rate, minutes); the amount of a
    group is the sum of its entries' rounded amounts, so the layouts reconcile to the cent.
    Its hours are the group's total minutes / 60, rounded once (a duration is not money: adding
    rounded per-entry hours would drift, e.g. three 1-minute entries are 0.05 h, not 0.06).
    """
    key: tuple[Any, ...] | None = None
    head: Sequence[Any] = ()
    count = minutes_total = 0
    amount_total = Decimal("0.00")
    for row in rows:
        this = (row[0], row[2], row[4], Decimal(row[5]))
        if this != key:
            if key is not None:
                yield _summary_cells(head, count, minutes_total, amount_total)
            key, head = this, row
            count, minutes_total, amount_total = 0, 0, Decimal("0.00")
        count += 1
        minutes_total += row[6]
        amount_total += amount(row[6], row[5])
    if key is not None:
        yield _summary_cells(head, count, minutes_total, amount_total)


def _summary_cells(head: Sequence[Any], count: int, minutes: int, total: Decimal) -> list[Any]:
    email, name, code, project_name, currency, rate = head[:6]
    return [
        guard(email),
        guard(name),
        guard(code),
        guard(project_name),
        guard(currency),
        number(rate),
        count,
        number(hours(minutes)),
        number(total),
    ]


_NEEDS_QUOTES = re.compile(r'[",\r\n]')


def _cell(value: Any) -> str:
    # Quoted exactly when PostgreSQL's COPY quotes: a delimiter, a quote, CR or LF inside.
    # (csv.writer with "\n" line endings would leave a lone CR unquoted and break the row.)
    text = value if isinstance(value, str) else str(value)
    if _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_line(cells: Sequence[Any]) -> str:
    """One CSV record with its line ending."""
    return ",".join(map(_cell, cells)) + LINE_END


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """Encode a header and rows as UTF-8 CSV in chunks of about CHUNK_BYTES."""
    pending = [csv_line(header)]
    size = 0
    for cells in rows:
        line = csv_line(cells)
        pending.append(line)
        size += len(line)
        if size >= CHUNK_BYTES:
            yield "".join(pending).encode("utf-8")
            pending.clear()
            size = 0
    if pending:
        yield "".join(pending).encode("utf-8")


# --- the PostgreSQL writer ---------------------------------------------------------------------


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
    f"{_guard_sql('e.description')} AS description "
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
