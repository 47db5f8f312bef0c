"""Payroll export: the period filter, what an export holds, its totals, and its audit.

Web, API and CLI call these. The rows come from ``payroll_rows``, the files (CSV and XLSX in
every profile) from ``payroll_files``, batches from ``payroll_batches``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from tracker.db import is_postgres
from tracker.errors import Invalid
from tracker.models import ExportBatch, TimeEntry, User
from tracker.services import audit, inputs, payroll_numbers, validation
from tracker.services.payroll_profiles import FileSpec

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
        raise Invalid.field("status", _("Choose approved, or all (submitted and approved)."))
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
        raise Invalid.field("end", _("The end date is before the start date."))
    return Scope(clean["start"], clean["end"], clean["status"])


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


def where_sql(scope: Scope) -> tuple[str, dict[str, Any]]:
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


def code_point_order(session: Session, column: Any) -> Any:
    # SQLite compares text byte by byte; PostgreSQL does the same only with COLLATE "C".
    return column.collate("C") if is_postgres(session) else column


def stream(session: Session, query: Any) -> Any:
    """Execute a query on a server-side cursor: rows arrive in batches, memory stays flat."""
    return session.execute(query.execution_options(yield_per=1000, stream_results=True))


def reader_session(session: Session) -> Session:
    """A new session for a long read-only stream, on the same engine as ``session``.

    On SQLite its transactions begin DEFERRED (``sqlite_read_only``, see ``tracker.db``), so a
    slow download holds no write lock: freezes and time entries go on while it is read.
    """
    engine = session.get_bind().engine
    return Session(bind=engine.execution_options(sqlite_read_only=True))


def count_entries(session: Session, scope: Scope) -> int:
    """How many entries an export holds (one aggregate over the entries table)."""
    return session.scalar(select(func.count(TimeEntry.id)).where(*conditions(scope))) or 0


def record_export(
    session: Session,
    actor: User | None,
    scope: Scope,
    spec: FileSpec,
    batch: ExportBatch | None = None,
) -> None:
    """Audit a download (``payroll.export``) before its bytes leave; for a batch, name it."""
    shape: dict[str, Any] = {
        "layout": spec.layout,
        "format": spec.fmt,
        "profile": spec.profile.name,
        "bom": spec.with_bom,
    }
    if batch is not None:
        audit.record(
            session,
            actor,
            "payroll.export",
            batch,
            target_type="export_batch",
            start=batch.period_start,
            end=batch.period_end,
            status=batch.status_filter,
            rows=batch.row_count,
            sha256=batch.sha256,
            **shape,
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
        rows=count_entries(session, scope),
        **shape,
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
        .order_by(code_point_order(session, User.email), TimeEntry.currency)
    )
    return _collect(session.execute(query))


def _totals_in_python(session: Session, scope: Scope) -> Totals:
    query = (
        select(User.email, User.name, TimeEntry.currency, TimeEntry.minutes, TimeEntry.hourly_rate)
        .join(User, User.id == TimeEntry.user_id)
        .where(*conditions(scope))
        .order_by(code_point_order(session, User.email), TimeEntry.currency)
    )
    groups: dict[tuple[str, str], list[Any]] = {}
    for email, name, currency, minutes, rate in stream(session, query):
        group = groups.setdefault((email, currency), [email, name, currency, 0, 0, Decimal(0)])
        group[3] += 1
        group[4] += minutes
        group[5] += payroll_numbers.amount(minutes, rate)
    return _collect(groups.values())
