"""CSV downloads shared by the payroll pages and the API: one way to export, one way to re-send
a batch, each audited the same whichever door it came through."""

from __future__ import annotations

from flask import Response, stream_with_context

from tracker.db import get_session, unit_of_work
from tracker.models import User
from tracker.services import payroll, payroll_batches


def export_response(actor: User, scope: payroll.Scope, layout: str, bom: bool) -> Response:
    """The payroll CSV of scope, audited, then streamed row by row."""
    with unit_of_work() as db:
        payroll.record_export(db, actor, scope, layout, bom)
    filename = payroll.export_filename(scope, layout)
    chunks = payroll.stream_and_close(get_session(), scope, layout, bom)
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def batch_response(actor: User, batch_id: int) -> Response:
    """A batch's CSV, byte for byte as created, audited; raises NotFound for an unknown id."""
    with unit_of_work() as db:
        batch = payroll_batches.get_batch(db, batch_id)
        payroll.record_export(
            db, actor, payroll.Scope(batch.period_start, batch.period_end), "detail", batch=batch
        )
    filename = payroll_batches.batch_filename(batch)
    return Response(
        batch.content,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-SHA256": batch.sha256,
        },
    )
