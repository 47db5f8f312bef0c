"""Downloads shared by the pages and the API: one way to export payroll, one way to re-send a
batch, in any format and profile, each audited the same whichever door it came through; and the
incident report's CSV."""

from __future__ import annotations

from flask import Response, stream_with_context

from tracker.clock import local_today
from tracker.db import get_session, unit_of_work
from tracker.models import User
from tracker.services import (
    incident_reads,
    incident_reports,
    payroll,
    payroll_batches,
    payroll_files,
)
from tracker.services.payroll_profiles import FileSpec


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def export_response(actor: User, scope: payroll.Scope, spec: FileSpec) -> Response:
    """The payroll file of scope, audited, then streamed."""
    with unit_of_work() as db:
        payroll.record_export(db, actor, scope, spec)
    chunks = payroll_files.stream_and_close(get_session(), scope, spec)
    return Response(
        stream_with_context(chunks),
        mimetype=payroll_files.mime_type(spec),
        headers=_attachment(payroll_files.export_filename(scope, spec)),
    )


def batch_response(actor: User, batch_id: int, spec: FileSpec) -> Response:
    """A batch's file, the same bytes at every download, audited; raises NotFound.

    ``X-Content-SHA256`` comes with the stored CSV itself, whose digest the batch keeps.
    """
    with unit_of_work() as db:
        batch = payroll_batches.get_batch(db, batch_id)
        payroll.record_export(
            db, actor, payroll.Scope(batch.period_start, batch.period_end), spec, batch=batch
        )
    # Everything the file needs is loaded: end the transaction before a long rebuild, so on
    # SQLite no write lock is held while an XLSX is written.
    db.close()
    headers = _attachment(payroll_files.batch_filename(batch, spec))
    if payroll_files.is_stored_bytes(spec):
        headers["X-Content-SHA256"] = batch.sha256
    return Response(
        stream_with_context(payroll_files.batch_chunks(batch, spec)),
        mimetype=payroll_files.mime_type(spec),
        headers=headers,
    )


def incident_report_csv(reader: User, incident_id: int) -> Response:
    """An incident's report as CSV, one row per affected contractor; raises NotFound."""
    db = get_session()
    incident = incident_reads.get_incident(db, incident_id)
    body = incident_reports.to_csv(incident_reports.report(db, incident, local_today(reader)))
    return Response(
        body, mimetype="text/csv", headers=_attachment(f"incident-{incident.id}-report.csv")
    )
