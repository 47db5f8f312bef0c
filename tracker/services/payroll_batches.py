"""Export batches: claim the period's unexported entries, keep the exact bytes.

A batch marks its entries exported (locked for everyone from then on) and stores the SHA-256 of
its CSV, so downloading it again gives the identical bytes and nobody is paid twice.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tracker.errors import Forbidden, Invalid, NotFound
from tracker.models import ExportBatch, TimeEntry, User
from tracker.services import audit, inputs, locks, notices, payroll, payroll_files
from tracker.services.payroll_numbers import number

UNAPPROVED_REFUSAL = _l(
    "Only an admin can put entries that are not approved yet into a batch. Batch the approved "
    "entries, or ask an admin to review the rest first."
)


def may_batch(actor: User | None, status: str) -> bool:
    """Whether the actor may batch entries of this status filter.

    Only admins lock entries nobody has approved yet (``all``) into a batch; a payroll user
    batches approved work. ``None`` is the operator at the command line, who may do anything.
    """
    return status == "approved" or actor is None or actor.is_admin


def check_may_batch(actor: User | None, status: str) -> None:
    """Refuse a batch the actor may not make. Raises Forbidden."""
    if not may_batch(actor, status):
        raise Forbidden(str(UNAPPROVED_REFUSAL))


def create_batch(
    session: Session, actor: User | None, start: Any, end: Any, status: Any = "approved"
) -> ExportBatch:
    """Export the period's entries not in a batch yet, mark them exported, keep the bytes.

    Raises Invalid (bad period, or nothing left to export), Forbidden (a payroll user asking
    for entries that are not approved yet).
    """
    scope = payroll.make_scope(start, end, status)
    check_may_batch(actor, scope.status)
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
        nothing = _(
            "Nothing to export: no entries in this period, or all of them are already in a batch."
        )
        raise Invalid({"period": [nothing]}, message=nothing)
    mine = payroll.Scope(scope.start, scope.end, scope.status, batch_id=batch.id)
    content = b"".join(payroll_files.export_chunks(session, mine))
    summed = payroll.totals(session, mine)
    batch.content = content
    batch.sha256 = hashlib.sha256(content).hexdigest()
    batch.row_count = summed.entries
    batch.total_minutes = summed.minutes
    batch.totals = {currency: number(value) for currency, value in summed.by_currency.items()}
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


def list_batches(
    session: Session, limit: int | None = None
) -> list[tuple[ExportBatch, str | None]]:
    """Every batch (or the ``limit`` latest), newest first, with its creator's email (None:
    made from the CLI)."""
    rows = session.execute(
        select(ExportBatch, User.email)
        .outerjoin(User, User.id == ExportBatch.created_by_id)
        .order_by(ExportBatch.id.desc())
        .limit(limit)
    )
    return [(batch, email) for batch, email in rows]


def get_batch(session: Session, batch_id: int) -> ExportBatch:
    """One batch. Raises NotFound."""
    batch = inputs.find(session, ExportBatch, batch_id)
    if batch is None:
        raise NotFound(_("No such export batch."))
    return batch
