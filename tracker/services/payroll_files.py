"""Payroll files: an export or a batch as CSV or XLSX in any profile.

The web pages, the API and the CLI all get their bytes here, so one export is the same file
whichever door it leaves by.

- A plain export reads its rows from the database, streamed; on PostgreSQL the generic CSV is
  written by the database itself (``COPY``), every other file by the Python writers.
- A batch's generic detail CSV is its stored bytes, whose SHA-256 the batch keeps; every other
  file of a batch is rebuilt from those bytes (``payroll_rows.batch_entries``), so it is the
  same each time, even after people and projects are renamed.
- An XLSX is written to a temporary file with flat memory, then streamed from it.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy.orm import Session

from tracker.db import is_postgres
from tracker.models import ExportBatch
from tracker.services import payroll, payroll_csv, payroll_rows, payroll_xlsx
from tracker.services.payroll_profiles import PROFILES, Context, FileSpec

GENERIC_DETAIL = FileSpec(PROFILES["generic"])


def mime_type(spec: FileSpec) -> str:
    """The Content-Type of a file."""
    return payroll_xlsx.MIME_TYPE if spec.fmt == "xlsx" else "text/csv"


def _database_rows(session: Session, scope: payroll.Scope, spec: FileSpec) -> Callable[[str], Any]:
    def rows(layout: str) -> Iterable[Any]:
        if layout == "summary":
            return payroll_rows.lines(session, scope)
        return payroll_rows.entries(session, scope, spec.profile.order)

    return rows


def _file_chunks(
    spec: FileSpec, rows: Callable[[str], Iterable[Any]], context: Context, created: dt.datetime
) -> Iterator[bytes]:
    """The bytes of a file from its rows by layout, by the Python writers."""
    if spec.fmt == "csv":
        yield from payroll_csv.write_csv(
            spec.profile, spec.layout, rows(spec.layout), context, spec.with_bom
        )
        return
    with tempfile.TemporaryFile() as target:
        sheets = [payroll_xlsx.Sheet(layout, rows(layout)) for layout in spec.sheets()]
        payroll_xlsx.write_workbook(target, spec.profile, sheets, context, created)
        target.seek(0)
        while chunk := target.read(payroll_csv.CHUNK_BYTES):
            yield chunk


def export_chunks(
    session: Session,
    scope: payroll.Scope,
    spec: FileSpec = GENERIC_DETAIL,
    database_writer: bool | None = None,
    created: dt.datetime | None = None,
) -> Iterator[bytes]:
    """The bytes of an export, streamed in chunks.

    On PostgreSQL the database writes the generic CSV (``COPY … TO STDOUT``); elsewhere, or
    with ``database_writer=False``, the Python writer does, giving the same bytes. ``created``
    stamps an XLSX (now by default).
    """
    if database_writer is None:
        database_writer = is_postgres(session)
    if spec.is_generic_csv and database_writer:
        if spec.with_bom:
            yield payroll_csv.BOM
        where, params = payroll.where_sql(scope)
        raw = session.connection().connection.driver_connection
        statement = payroll_csv.copy_statement(spec.layout, where)
        yield from payroll_csv.copy_chunks(raw, statement, params)
        return
    context = Context(scope.start, scope.end, scope.batch_id)
    when = created or dt.datetime.now(dt.UTC)
    yield from _file_chunks(spec, _database_rows(session, scope, spec), context, when)


def stream_and_close(
    session: Session, scope: payroll.Scope, spec: FileSpec = GENERIC_DETAIL
) -> Iterator[bytes]:
    """``export_chunks`` read through a ``payroll.reader_session``; both sessions closed at the end.

    A streamed body outlives its request, so nothing else would end these transactions. The
    request's own session is closed first: a transaction it left open would hold SQLite's write
    lock (BEGIN IMMEDIATE) for the whole download.
    """
    session.close()
    reader = payroll.reader_session(session)
    try:
        yield from export_chunks(reader, scope, spec)
    finally:
        reader.close()
        session.close()


def batch_chunks(batch: ExportBatch, spec: FileSpec = GENERIC_DETAIL) -> Iterator[bytes]:
    """A batch's file: the stored bytes as generic detail CSV, else rebuilt from them.

    Every file of a batch is the same bytes at every download (an XLSX is stamped with the
    batch's creation time).
    """
    if spec.is_generic_csv and spec.layout == "detail":
        if spec.with_bom:
            yield payroll_csv.BOM
        yield batch.content
        return

    def rows(layout: str) -> Iterable[Any]:
        if layout == "summary":
            return payroll_rows.batch_lines(batch)
        return payroll_rows.batch_entries(batch, spec.profile.order)

    context = Context(batch.period_start, batch.period_end, batch.id)
    yield from _file_chunks(spec, rows, context, batch.created_at)


def is_stored_bytes(spec: FileSpec) -> bool:
    """Whether a batch's file in this shape is its stored CSV, byte for byte (no BOM added)."""
    return spec.is_generic_csv and spec.layout == "detail" and not spec.with_bom


def export_filename(scope: payroll.Scope, spec: FileSpec) -> str:
    """The download name of a plain export."""
    return spec.filename(f"payroll-{scope.start}-{scope.end}")


def batch_filename(batch: ExportBatch, spec: FileSpec = GENERIC_DETAIL) -> str:
    """The download name of a batch's file (its CSV as created keeps its first name)."""
    stem = f"payroll-batch-{batch.id}-{batch.period_start}-{batch.period_end}"
    if spec.is_generic_csv and spec.layout == "detail":
        return stem + ".csv"
    return spec.filename(stem)
