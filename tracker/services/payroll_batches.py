"""Export batches (design rule 20): claim the period's unexported entries, keep the exact bytes.

A batch marks its entries exported (locked for everyone from then on) and stores the SHA-256 of
its CSV, so downloading it again gives the identical bytes and nobody is paid twice.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tracker.errors import Invalid, NotFound
from tracker.models import ExportBatch, TimeEntry, User
from tracker.services import audit, locks, notices, payroll
from tracker.services import payroll_csv as writers


def create_batch(
    session: Session, actor: User | None, start: Any, end: Any, status: Any = "approved"
) -> ExportBatch:
    """Export the period's entries not in a batch yet, mark them exported, keep the bytes.

    Raises Invalid (bad period, or nothing left to export).
    """
    scope = payroll.make_scope(start, end, status)
    # First, so two batches at the same instant queue here (SQLite: BEGIN IMMEDIATE already).
    locks.payroll_export(session)
    batch = ExportBatch(
        period_start=scope.start,
        period_end=scope.end,
        status_filter=scope.status,
        created_by_id=actor.id if actor is not None else None,
        sha256="",
        content=b"",
    )
    session.add(batch)
    session.flush()  # the batch needs its id before entries can point at it
    # Claim first, render after: the file holds exactly the rows this UPDATE marked, even if
    # an entry is approved while the batch is being written.
    result: Any = session.execute(
        update(TimeEntry)
        .where(
            *payroll.conditions(
                payroll.Scope(scope.start, scope.end, scope.status, unexported_only=True)
            )
        )
        .values(export_batch_id=batch.id)
        .execution_options(synchronize_session=False)
    )
    claimed = result.rowcount
    if not claimed:
        raise Invalid(
            {
                "period": [
                    "Nothing to export: no entries in this period, or all of them are "
                    "already in a batch."
                ]
            },
            message="Nothing to export: no entries in this period, or all of them are already "
            "in a batch.",
        )
    mine = payroll.Scope(scope.start, scope.end, scope.status, batch_id=batch.id)
    content = b"".join(payroll.export_chunks(session, mine, "detail"))
    summed = payroll.totals(session, mine)
    batch.content = content
    batch.sha256 = hashlib.sha256(content).hexdigest()
    batch.row_count = summed.entries
    batch.total_minutes = summed.minutes
    batch.totals = {
        currency: writers.number(value) for currency, value in summed.by_currency.items()
    }
    audit.record(
        session,
        actor,
        "payroll.batch",
        batch,
        target_type="export_batch",
        start=scope.start,
        end=scope.end,
        status=scope.status,
        rows=batch.row_count,
        total_minutes=batch.total_minutes,
        totals=batch.totals,
        sha256=batch.sha256,
    )
    session.flush()
    notices.publish_batch(session, batch)
    return batch


def list_batches(session: Session) -> list[tuple[ExportBatch, str | None]]:
    """Every batch, newest first, with its creator's email (None: made from the CLI)."""
    rows = session.execute(
        select(ExportBatch, User.email)
        .outerjoin(User, User.id == ExportBatch.created_by_id)
        .order_by(ExportBatch.id.desc())
    )
    return [(batch, email) for batch, email in rows]


def get_batch(session: Session, batch_id: int) -> ExportBatch:
    """One batch. Raises NotFound."""
    batch = session.get(ExportBatch, batch_id)
    if batch is None:
        raise NotFound("No such export batch.")
    return batch


def batch_filename(batch: ExportBatch) -> str:
    """The download name of a batch's CSV."""
    return f"payroll-batch-{batch.id}-{batch.period_start}-{batch.period_end}.csv"
