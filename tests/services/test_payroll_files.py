"""Payroll files in every profile and format: they reconcile, XLSX cells are typed and never
formulas, and a batch gives the same bytes at every download."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from tests.payroll_readers import csv_rows, minutes, money, workbook, xlsx_rows
from tests.services.conftest import END, PAYLOADS, STAMP, START
from tracker.db import unit_of_work
from tracker.errors import Forbidden, Invalid
from tracker.models import ExportBatch, Project, TimeEntry, User
from tracker.services import payroll, payroll_batches, payroll_files, payroll_xlsx
from tracker.services.payroll_profiles import PROFILES, Context, check_file
from tracker.services.payroll_rows import Line

SHAPES = [
    (name, layout, fmt)
    for name, profile in PROFILES.items()
    for layout in profile.layouts
    for fmt in ("csv", "xlsx")
]


def _file(db, spec, scope=None, **kw) -> bytes:
    scope = scope or payroll.make_scope(START, END)
    return b"".join(payroll_files.export_chunks(db, scope, spec, created=STAMP, **kw))


def _rows(data: bytes, name: str, layout: str, fmt: str):
    return csv_rows(data, name) if fmt == "csv" else xlsx_rows(data)[layout]


@pytest.mark.parametrize(("name", "layout", "fmt"), SHAPES)
def test_every_profile_and_format_reconciles_to_the_cent_per_currency(db, paid, name, layout, fmt):
    scope = payroll.make_scope(START, END)
    expected = payroll.totals(db, scope).by_currency
    rows = _rows(_file(db, check_file(name, layout, fmt)), name, layout, fmt)
    currencies = [r["currency"] for r in csv_rows(_file(db, check_file()))]
    assert money(name, rows, currencies) == expected
    assert expected == {"EUR": Decimal("1072.67"), "USD": Decimal("10016.58")}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_quickbooks_file_adds_up_to_the_same_minutes(db, paid, fmt):
    data = _file(db, check_file("quickbooks-online", "detail", fmt))
    rows = _rows(data, "quickbooks-online", "detail", fmt)
    assert (
        sum(minutes(r["Duration"]) for r in rows)
        == payroll.totals(db, payroll.make_scope(START, END)).minutes
    )


def test_unknown_profiles_formats_and_layouts_are_refused_naming_what_exists():
    with pytest.raises(Invalid) as caught:
        check_file("sage", "pivot", "ods")
    assert caught.value.fields == {
        "profile": ["Choose one of: generic, excel-eu, quickbooks-online, xero-bills."],
        "format": ["Choose one of: csv, xlsx."],
        "layout": ["Choose one of: detail, summary."],
    }
    with pytest.raises(Invalid) as caught:
        check_file("quickbooks-online", "summary")
    assert caught.value.fields == {"layout": ["The quickbooks-online profile has only: detail."]}
    assert check_file().is_generic_csv


def test_xlsx_cells_are_typed_numbers_dates_and_text_never_formulas(db, paid):
    book = workbook(_file(db, check_file("generic", "detail", "xlsx")))
    assert book.sheetnames == ["detail", "summary"]
    detail = book["detail"]
    assert detail.freeze_panes == "A2"
    assert all(cell.font.b for cell in detail[1])
    header = [cell.value for cell in detail[1]]
    assert header[-1] == "batch_id"
    formulas = [
        c.coordinate
        for s in book.worksheets
        for r in s.iter_rows()
        for c in r
        if c.data_type == "f"
    ]
    assert formulas == []
    first = dict(zip(header, detail[2], strict=True))
    assert isinstance(first["entry_id"].value, int)
    assert first["work_date"].is_date
    assert first["work_date"].number_format == "yyyy-mm-dd"
    assert first["approved_at"].value == dt.datetime(2026, 4, 1, 8, 0, 5)
    assert first["hours"].number_format == first["amount"].number_format == "0.00"
    assert first["description"].data_type == "s"
    descriptions = [
        r["description"] for r in xlsx_rows(_file(db, check_file(fmt="xlsx")))["detail"]
    ]
    assert descriptions[: len(PAYLOADS)] == PAYLOADS  # as typed: typed cells need no guard
    for letter, width in detail.column_dimensions.items():
        assert width.width >= 4, letter


def test_the_summary_sheet_ends_with_totals_per_currency_as_values(db, paid):
    sheet = workbook(_file(db, check_file("excel-eu", "summary", "xlsx")))["summary"]
    rows = list(sheet.iter_rows(values_only=True))
    totals = [r for r in rows if r[0] == "Total"]
    assert [(r[4], r[6], r[8]) for r in totals] == [("EUR", 7, 1072.67), ("USD", 4, 10016.58)]
    assert rows[-3] == (None,) * 9  # one empty row before the totals


def test_import_profiles_get_no_totals_rows(db, paid):
    rows = list(
        workbook(_file(db, check_file("xero-bills", "summary", "xlsx"))).active.iter_rows(
            values_only=True
        )
    )
    assert all(None not in row[:3] for row in rows)


def test_an_empty_period_gives_files_with_the_header_only(db, paid):
    empty = payroll.make_scope("2020-01-01", "2020-01-31")
    book = workbook(_file(db, check_file("generic", "summary", "xlsx"), empty))
    assert book.sheetnames == ["summary", "detail"]  # the asked-for layout opens first
    for sheet in book.worksheets:
        assert sheet.max_row == 1
        assert sheet["A1"].value in ("contractor_email", "entry_id")
    assert _file(db, check_file("excel-eu"), empty).count(b"\n") == 1


def test_the_same_export_and_time_give_the_same_xlsx_bytes(db, paid):
    spec = check_file("xero-bills", "detail", "xlsx")
    assert _file(db, spec) == _file(db, spec)
    assert workbook(_file(db, spec)).properties.created == dt.datetime(2026, 4, 1, 8, 0, 5)


def test_rows_beyond_a_sheets_limit_go_on_in_another_sheet_never_dropped():
    profile = PROFILES["generic"]
    lines = [
        (f"c{n}@example.com", "C", "P", "Project", "EUR", Decimal("1.00"), 1, 60, Decimal("1.00"))
        for n in range(5)
    ]
    target = io.BytesIO()
    sheets = [payroll_xlsx.Sheet("summary", [Line(*line) for line in lines])]
    payroll_xlsx.write_workbook(target, profile, sheets, Context(START, END), STAMP, row_limit=3)
    book = workbook(target.getvalue())
    assert book.sheetnames == ["summary", "summary (2)", "summary (3)"]
    emails = [
        r["contractor_email"]
        for s in book.worksheets
        for r in xlsx_rows(target.getvalue())[s.title]
    ]
    assert emails == [line[0] for line in lines]


def test_detail_rows_show_which_batch_paid_them(db, paid, app):
    with app.app_context(), unit_of_work() as session:
        batch_id = payroll_batches.create_batch(
            session, paid, START, START + dt.timedelta(days=4)
        ).id
    rows = csv_rows(_file(db, check_file(), payroll.make_scope(START, END, "all")))
    assert {r["batch_id"] for r in rows if r["work_date"] <= "2026-03-05"} == {str(batch_id)}
    assert {r["batch_id"] for r in rows if r["work_date"] > "2026-03-05"} == {""}


@pytest.fixture
def batch(db, paid, app):
    with app.app_context(), unit_of_work() as session:
        batch_id = payroll_batches.create_batch(session, paid, START, END).id
    return db.get(ExportBatch, batch_id)


@pytest.mark.parametrize(("name", "layout", "fmt"), SHAPES)
def test_a_batch_gives_the_same_bytes_in_every_shape_even_after_renames(
    db, batch, name, layout, fmt
):
    spec = check_file(name, layout, fmt)
    first = b"".join(payroll_files.batch_chunks(batch, spec))
    db.execute(update(User).values(name="Renamed"))
    db.execute(update(Project).values(name="Renamed", client="Renamed"))
    db.commit()
    assert b"".join(payroll_files.batch_chunks(batch, spec)) == first
    assert hashlib.sha256(b"".join(payroll_files.batch_chunks(batch))).hexdigest() == batch.sha256


@pytest.mark.parametrize(("name", "layout", "fmt"), SHAPES)
def test_a_batch_file_holds_what_the_same_export_held(db, batch, name, layout, fmt):
    spec = check_file(name, layout, fmt)
    rebuilt = _rows(b"".join(payroll_files.batch_chunks(batch, spec)), name, layout, fmt)
    scope = payroll.Scope(START, END, batch_id=batch.id)
    direct = _rows(_file(db, spec, scope), name, layout, fmt)
    assert rebuilt == direct
    if fmt == "xlsx":
        stamp = workbook(b"".join(payroll_files.batch_chunks(batch, spec))).properties.created
        assert stamp == batch.created_at.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)


def test_a_batch_made_before_the_batch_id_column_still_downloads_in_every_shape(db, batch):
    old = b"\n".join(line.rsplit(b",", 1)[0] for line in batch.content.split(b"\n")[:-1]) + b"\n"
    assert b"batch_id" not in old
    db.execute(update(ExportBatch).where(ExportBatch.id == batch.id).values(content=old))
    db.commit()
    db.refresh(batch)
    assert b"".join(payroll_files.batch_chunks(batch)) == old  # the stored bytes, untouched
    rows = xlsx_rows(b"".join(payroll_files.batch_chunks(batch, check_file(fmt="xlsx"))))
    assert {r["batch_id"] for r in rows["detail"]} == {batch.id}


def test_only_admins_batch_entries_that_are_not_approved_yet(db, make, paid, app):
    payroll_user = make.payroll()
    with app.app_context(), pytest.raises(Forbidden, match="Only an admin"), unit_of_work() as s:
        payroll_batches.create_batch(s, payroll_user, START, END, "all")
    assert db.scalar(select(ExportBatch.id)) is None
    assert set(db.scalars(select(TimeEntry.export_batch_id))) == {None}
    late = make.entry(
        db.scalar(select(User).where(User.email == "bob@example.com")),
        db.scalar(select(Project).where(Project.code == "EURO")),
        work_date=dt.date(2026, 4, 2),
        minutes=30,
    )  # submitted, not approved
    with app.app_context(), unit_of_work() as session:
        by_payroll = payroll_batches.create_batch(session, payroll_user, START, START).row_count
        by_admin = payroll_batches.create_batch(session, paid, START, END, "all").row_count
        by_operator = payroll_batches.create_batch(session, None, "2026-04-01", "2026-04-30", "all")
        operator_batch = by_operator.id
    assert (by_payroll, by_admin) == (1, 11)  # the admin's holds the submitted entry too
    assert db.get(TimeEntry, late.id).export_batch_id == operator_batch
