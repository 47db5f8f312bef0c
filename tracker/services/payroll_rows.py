"""The rows of a payroll file, typed: from the database, or from a batch's stored CSV.

Every profile and format renders these rows, so a file in any profile holds the same entries,
minutes and amounts. A batch's rows are read back from its stored CSV, not from the database:
names and projects may be renamed later, and a batch must give the same bytes every time.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from tracker.db import is_postgres
from tracker.models import ExportBatch, Project, TimeEntry, User
from tracker.services import payroll
from tracker.services.payroll_csv import unguard
from tracker.services.payroll_numbers import amount, minutes_of, parse_iso_z


class Entry(NamedTuple):
    """One time entry as payroll pays it (detail layout). Text is as typed, never guarded."""

    entry_id: int
    work_date: dt.date
    email: str
    name: str
    project_code: str
    project_name: str
    client: str | None
    minutes: int
    rate: Decimal
    currency: str
    amount: Decimal
    status: str
    approved_by: str | None
    approved_at: dt.datetime | None
    description: str | None
    batch_id: int | None


class Line(NamedTuple):
    """One contractor's entries on one project at one rate (summary layout)."""

    email: str
    name: str
    project_code: str
    project_name: str
    currency: str
    rate: Decimal
    entries: int
    minutes: int
    amount: Decimal


def _order(session: Session, by: str) -> list[Any]:
    text = payroll.code_point_order
    if by == "contractor":  # one payee's rows together: a bill per contractor and currency
        return [
            text(session, User.email),
            text(session, TimeEntry.currency),
            TimeEntry.work_date,
            text(session, Project.code),
            TimeEntry.id,
        ]
    return [
        TimeEntry.work_date,
        text(session, User.email),
        text(session, Project.code),
        TimeEntry.id,
    ]


def entries(session: Session, scope: payroll.Scope, order: str = "date") -> Iterator[Entry]:
    """The entries of a scope, streamed, by work date (or by contractor)."""
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
            TimeEntry.export_batch_id,
        )
        .join(User, User.id == TimeEntry.user_id)
        .join(Project, Project.id == TimeEntry.project_id)
        .outerjoin(approver, approver.id == TimeEntry.approved_by_id)
        .where(*payroll.conditions(scope))
        .order_by(*_order(session, order))
    )
    for row in payroll.stream(session, query):
        (entry_id, day, email, name, code, project, client, minutes, rate, currency) = row[:10]
        yield Entry(
            entry_id,
            day,
            email,
            name,
            code,
            project,
            client,
            minutes,
            rate,
            currency,
            amount(minutes, rate),
            *row[10:],
        )


def lines(
    session: Session, scope: payroll.Scope, in_database: bool | None = None
) -> Iterator[Line]:
    """The summary lines of a scope, by contractor, project, currency and rate.

    PostgreSQL groups them itself (exact ``numeric``); elsewhere, or with ``in_database=False``,
    Python adds up the streamed entries. Both give the same lines.
    """
    if in_database is None:
        in_database = is_postgres(session)
    text = payroll.code_point_order
    order = [
        text(session, User.email),
        text(session, Project.code),
        text(session, TimeEntry.currency),
        TimeEntry.hourly_rate,
    ]
    head = (User.email, User.name, Project.code, Project.name, TimeEntry.currency)
    if in_database:
        query = (
            select(
                *head,
                TimeEntry.hourly_rate,
                func.count(TimeEntry.id),
                func.sum(TimeEntry.minutes),
                func.sum(func.round(TimeEntry.minutes * TimeEntry.hourly_rate / 60, 2)),
            )
            .join(User, User.id == TimeEntry.user_id)
            .join(Project, Project.id == TimeEntry.project_id)
            .where(*payroll.conditions(scope))
            .group_by(User.id, Project.id, *head, TimeEntry.hourly_rate)
            .order_by(*order)
        )
        for email, name, code, project, currency, rate, count, minutes, total in payroll.stream(
            session, query
        ):
            yield Line(
                email, name, code, project, currency, rate, int(count), int(minutes), Decimal(total)
            )
        return
    entries_query = (
        select(*head, TimeEntry.hourly_rate, TimeEntry.minutes)
        .join(User, User.id == TimeEntry.user_id)
        .join(Project, Project.id == TimeEntry.project_id)
        .where(*payroll.conditions(scope))
        .order_by(*order)
    )
    yield from group_lines(
        (email, name, code, project, currency, rate, minutes, amount(minutes, rate))
        for email, name, code, project, currency, rate, minutes in payroll.stream(
            session, entries_query
        )
    )


def group_lines(rows: Iterable[tuple[Any, ...]]) -> Iterator[Line]:
    """Summary lines from entries ordered by (email, code, currency, rate).

    Each input is (email, name, code, project name, currency, rate, minutes, amount); a line's
    amount is the sum of its entries' rounded amounts, so the layouts reconcile to the cent.
    Its hours are the line's total minutes / 60, rounded once by the writer (a duration is not
    money: adding rounded per-entry hours would drift, e.g. three 1-minute entries are 0.05 h).
    """
    key: tuple[Any, ...] | None = None
    head: tuple[Any, ...] = ()
    count = minutes_total = 0
    amount_total = Decimal("0.00")
    for row in rows:
        this = (row[0], row[2], row[4], Decimal(row[5]))
        if this != key:
            if key is not None:
                yield _line(head, count, minutes_total, amount_total)
            key, head = this, tuple(row[:6])
            count, minutes_total, amount_total = 0, 0, Decimal("0.00")
        count += 1
        minutes_total += row[6]
        amount_total += row[7]
    if key is not None:
        yield _line(head, count, minutes_total, amount_total)


def _line(head: tuple[Any, ...], count: int, minutes: int, total: Decimal) -> Line:
    email, name, code, project, currency, rate = head
    return Line(email, name, code, project, currency, Decimal(rate), count, minutes, total)


# --- a batch's rows, read back from its stored CSV ---------------------------------------------


def _text(value: str) -> str | None:
    return unguard(value) if value else None


def _stored_entries(batch: ExportBatch) -> Iterator[Entry]:
    """A batch's entries in its stored CSV's order, decoded as they are read (no copy of it)."""
    text = io.TextIOWrapper(io.BytesIO(batch.content), encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    header = next(reader, [])
    at = {name: i for i, name in enumerate(header)}
    has_batch_id = "batch_id" in at  # batches made before the column have none
    for cells in reader:
        get = cells.__getitem__
        batch_cell = get(at["batch_id"]) if has_batch_id else ""
        yield Entry(
            entry_id=int(get(at["entry_id"])),
            work_date=dt.date.fromisoformat(get(at["work_date"])),
            email=unguard(get(at["contractor_email"])),
            name=unguard(get(at["contractor_name"])),
            project_code=unguard(get(at["project_code"])),
            project_name=unguard(get(at["project_name"])),
            client=_text(get(at["client"])),
            minutes=minutes_of(get(at["hours"])),
            rate=Decimal(get(at["hourly_rate"])),
            currency=unguard(get(at["currency"])),
            amount=Decimal(get(at["amount"])),
            status=unguard(get(at["status"])),
            approved_by=_text(get(at["approved_by"])),
            approved_at=parse_iso_z(get(at["approved_at"])),
            description=_text(get(at["description"])),
            batch_id=int(batch_cell) if batch_cell else batch.id,
        )


def batch_entries(batch: ExportBatch, order: str = "date") -> Iterable[Entry]:
    """A batch's entries as its stored CSV holds them, by work date (streamed, as stored) or
    by contractor (sorted as the database sorts them)."""
    if order == "contractor":
        return sorted(
            _stored_entries(batch),
            key=lambda e: (e.email, e.currency, e.work_date, e.project_code, e.entry_id),
        )
    return _stored_entries(batch)


def batch_lines(batch: ExportBatch) -> list[Line]:
    """A batch's summary lines, grouped from its stored entries as the database groups them."""
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for e in _stored_entries(batch):
        key = (e.email, e.project_code, e.currency, e.rate)
        group = groups.setdefault(key, [e.name, e.project_name, 0, 0, Decimal("0.00")])
        group[2] += 1
        group[3] += e.minutes
        group[4] += e.amount
    return [
        Line(email, name, code, project, currency, rate, count, minutes, total)
        for (email, code, currency, rate), (name, project, count, minutes, total) in sorted(
            groups.items(), key=lambda item: item[0]
        )
    ]
