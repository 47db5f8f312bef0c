"""Payroll export: the period filter, the streamed CSV, totals, audit.

Web, API and CLI call these; the CSV writers live in ``payroll_csv``, batches in
``payroll_batches``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, aliased

from tracker.db import is_postgres
from tracker.errors import Invalid
from tracker.models import ExportBatch, Project, TimeEntry, User
from tracker.services import audit, inputs, validation
from tracker.services import payroll_csv as writers

STATUS_FILTERS: dict[str, tuple[str, ...]] = {
    "approved": ("approved",),
    "all": ("submitted", "approved"),  # "all submitted": never rejected
}


@dataclass(frozen=True)
class Scope:
    """Which entries an export holds: a period and status filter, or exactly one batch's."""

    start: dt.date
    end: dt.date
    status: str = "approved"
    unexported_only: bool = False
    batch_id: int | None = None


@dataclass
class ContractorTotal:
    """One contractor's entries, minutes and amount in one currency."""

    email: str
    name: str
    currency: str
    entries: int
    minutes: int
    amount: Decimal


@dataclass
class Totals:
    """What an export holds: counts, minutes and amounts per currency (never added together)."""

    entries: int = 0
    minutes: int = 0
    by_currency: dict[str, Decimal] = field(default_factory=dict)
    minutes_by_currency: dict[str, int] = field(default_factory=dict)
    by_contractor: list[ContractorTotal] = field(default_factory=list)


def _status(value: Any) -> str:
    status = value or "approved"
    if not isinstance(status, str) or status not in STATUS_FILTERS:
        raise Invalid.field("status", "Choose approved, or all (submitted and approved).")
    return status


def make_scope(start: Any, end: Any, status: Any = "approved") -> Scope:
    """Check a period and status filter from any interface. Raises Invalid."""
    clean = validation.collect(
        {
            "start": lambda: inputs.date(start, "start"),
            "end": lambda: inputs.date(end, "end"),
            "status": lambda: _status(status),
        }
    )
    if clean["end"] < clean["start"]:
        raise Invalid.field("end", "The end date is before the start date.")
    return Scope(clean["start"], clean["end"], clean["status"])


def check_layout(layout: Any) -> str:
    """The layout name, detail by default. Raises Invalid."""
    layout = layout or "detail"
    if not isinstance(layout, str) or layout not in writers.LAYOUTS:
        raise Invalid.field("layout", "Choose detail or summary.")
    return str(layout)


def conditions(scope: Scope) -> list[ColumnElement[bool]]:
    """The WHERE conditions selecting a scope's entries."""
    if scope.batch_id is not None:
        return [TimeEntry.export_batch_id == scope.batch_id]
    conditions = [
        TimeEntry.work_date >= scope.start,
        TimeEntry.work_date <= scope.end,
        TimeEntry.status.in_(STATUS_FILTERS[scope.status]),
    ]
    if scope.unexported_only:
        conditions.append(TimeEntry.export_batch_id.is_(None))
    return conditions


def _where_sql(scope: Scope) -> tuple[str, dict[str, Any]]:
    """The same filter as ``conditions``, as SQL with psycopg parameters, for COPY."""
    if scope.batch_id is not None:
        return "e.export_batch_id = %(batch_id)s", {"batch_id": scope.batch_id}
    where = "e.work_date >= %(start)s AND e.work_date <= %(end)s AND e.status = ANY(%(statuses)s)"
    if scope.unexported_only:
        where += " AND e.export_batch_id IS NULL"
    return where, {
        "start": scope.start,
        "end": scope.end,
        "statuses": list(STATUS_FILTERS[scope.status]),
    }


def _code_point_order(session: Session, column: Any) -> Any:
    # SQLite compares text byte by byte; PostgreSQL does the same only with COLLATE "C".
    return column.collate("C") if is_postgres(session) else column


def _stream(session: Session, query: Any) -> Any:
    # A server-side cursor: rows arrive in batches, memory stays flat however many there are.
    return session.execute(query.execution_options(yield_per=1000, stream_results=True))


def _detail_rows(session: Session, scope: Scope) -> Iterator[list[Any]]:
    approver = aliased(User)
    query = (
        select(
            TimeEntry.id,
            TimeEntry.work_date,
            User.email,
            User.name,
            Project.code,
            Project.name,
            Project.client,
            TimeEntry.minutes,
            TimeEntry.hourly_rate,
            TimeEntry.currency,
            TimeEntry.status,
            approver.email,
            TimeEntry.approved_at,
            TimeEntry.description,
        )
        .join(User, User.id == TimeEntry.user_id)
        .join(Project, Project.id == TimeEntry.project_id)
        .outerjoin(approver, approver.id == TimeEntry.approved_by_id)
        .where(*conditions(scope))
        .order_by(
            TimeEntry.work_date,
            _code_point_order(session, User.email),
            _code_point_order(session, Project.code),
            TimeEntry.id,
        )
    )
    for row in _stream(session, query):
        yield writers.detail_cells(row)


def _summary_rows(session: Session, scope: Scope) -> Iterator[list[Any]]:
    query = (
        select(
            User.email,
            User.name,
            Project.code,
            Project.name,
            TimeEntry.currency,
            TimeEntry.hourly_rate,
            TimeEntry.minutes,
        )
        .join(User, User.id == TimeEntry.user_id)
        .join(Project, Project.id == TimeEntry.project_id)
        .where(*conditions(scope))
        .order_by(
            _code_point_order(session, User.email),
            _code_point_order(session, Project.code),
            _code_point_order(session, TimeEntry.currency),
            TimeEntry.hourly_rate,
        )
    )
    yield from writers.summary_rows(_stream(session, query))


def export_chunks(
    session: Session,
    scope: Scope,
    layout: str = "detail",
    bom: bool = False,
    database_writer: bool | None = None,
) -> Iterator[bytes]:
    """The CSV bytes of an export, streamed in chunks.

    On PostgreSQL the database writes the CSV (``COPY … TO STDOUT``); elsewhere, or with
    ``database_writer=False``, the Python writer does, giving the same bytes.
    """
    if bom:
        yield writers.BOM
    if database_writer is None:
        database_writer = is_postgres(session)
    if database_writer:
        where, params = _where_sql(scope)
        raw = session.connection().connection.driver_connection
        yield from writers.copy_chunks(raw, writers.copy_statement(layout, where), params)
        return
    if layout == "summary":
        yield from writers.write_csv(writers.SUMMARY_COLUMNS, _summary_rows(session, scope))
    else:
        yield from writers.write_csv(writers.DETAIL_COLUMNS, _detail_rows(session, scope))


def reader_session(session: Session) -> Session:
    """A new session for a long read-only stream, on the same engine as ``session``.

    On SQLite its transactions begin DEFERRED (``sqlite_read_only``, see ``tracker.db``), so a
    slow download holds no write lock: freezes and time entries go on while it is read.
    """
    engine = session.get_bind().engine
    return Session(bind=engine.execution_options(sqlite_read_only=True))


def stream_and_close(
    session: Session, scope: Scope, layout: str = "detail", bom: bool = False
) -> Iterator[bytes]:
    """``export_chunks`` read through a ``reader_session``; both sessions closed at the end.

    A streamed body outlives its request, so nothing else would end these transactions. The
    request's own session is closed first: a transaction it left open would hold SQLite's write
    lock (BEGIN IMMEDIATE) for the whole download.
    """
    session.close()
    reader = reader_session(session)
    try:
        yield from export_chunks(reader, scope, layout, bom)
    finally:
        reader.close()
        session.close()


def count_entries(session: Session, scope: Scope) -> int:
    """How many entries an export holds (one aggregate over the entries table)."""
    return session.scalar(select(func.count(TimeEntry.id)).where(*conditions(scope))) or 0


def record_export(
    session: Session,
    actor: User | None,
    scope: Scope,
    layout: str,
    bom: bool = False,
    batch: ExportBatch | None = None,
) -> None:
    """Audit a download (``payroll.export``) before its bytes leave; for a batch, name it."""
    if batch is not None:
        audit.record(
            session,
            actor,
            "payroll.export",
            batch,
            target_type="export_batch",
            layout="detail",
            start=batch.period_start,
            end=batch.period_end,
            status=batch.status_filter,
            rows=batch.row_count,
            sha256=batch.sha256,
        )
        return
    audit.record(
        session,
        actor,
        "payroll.export",
        target_type="payroll",
        start=scope.start,
        end=scope.end,
        status=scope.status,
        layout=layout,
        bom=bom,
        rows=count_entries(session, scope),
    )


def totals(session: Session, scope: Scope) -> Totals:
    """Entries, minutes and amounts per currency and per contractor, as the CSV computes them."""
    if is_postgres(session):
        return _totals_in_database(session, scope)
    return _totals_in_python(session, scope)


def _collect(rows: Any) -> Totals:
    result = Totals()
    for email, name, currency, entries, minutes, amount in rows:
        amount = Decimal(amount)
        result.by_contractor.append(
            ContractorTotal(email, name, currency, int(entries), int(minutes), amount)
        )
        result.entries += int(entries)
        result.minutes += int(minutes)
        result.by_currency[currency] = result.by_currency.get(currency, Decimal("0.00")) + amount
        result.minutes_by_currency[currency] = result.minutes_by_currency.get(currency, 0) + int(
            minutes
        )
    result.by_currency = dict(sorted(result.by_currency.items()))
    result.minutes_by_currency = dict(sorted(result.minutes_by_currency.items()))
    return result


def _totals_in_database(session: Session, scope: Scope) -> Totals:
    amount = func.round(TimeEntry.minutes * TimeEntry.hourly_rate / 60, 2)
    query = (
        select(
            User.email,
            User.name,
            TimeEntry.currency,
            func.count(TimeEntry.id),
            func.sum(TimeEntry.minutes),
            func.sum(amount),
        )
        .join(User, User.id == TimeEntry.user_id)
        .where(*conditions(scope))
        .group_by(User.id, User.email, User.name, TimeEntry.currency)
        .order_by(_code_point_order(session, User.email), TimeEntry.currency)
    )
    return _collect(session.execute(query))


def _totals_in_python(session: Session, scope: Scope) -> Totals:
    query = (
        select(User.email, User.name, TimeEntry.currency, TimeEntry.minutes, TimeEntry.hourly_rate)
        .join(User, User.id == TimeEntry.user_id)
        .where(*conditions(scope))
        .order_by(_code_point_order(session, User.email), TimeEntry.currency)
    )
    groups: dict[tuple[str, str], list[Any]] = {}
    for email, name, currency, minutes, rate in _stream(session, query):
        group = groups.setdefault((email, currency), [email, name, currency, 0, 0, Decimal(0)])
        group[3] += 1
        group[4] += minutes
        group[5] += writers.amount(minutes, rate)
    return _collect(groups.values())


def export_filename(scope: Scope, layout: str) -> str:
    """The download name of a plain export."""
    return f"payroll-{scope.start}-{scope.end}-{layout}.csv"
