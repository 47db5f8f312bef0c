"""Journey 5: the admin approves the week; payroll downloads the CSV and it adds up."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import monday, sign_in, sign_out
from tests.factories import Factory
from tests.payroll_readers import xlsx_rows

pytestmark = pytest.mark.browser

DETAIL = [
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
    "batch_id",
]
SUMMARY = [
    "contractor_email",
    "contractor_name",
    "project_code",
    "project_name",
    "currency",
    "hourly_rate",
    "entries",
    "hours",
    "amount",
]


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _download(page: Page, link_name: str, folder: Path) -> Path:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    download = info.value
    target = folder / download.suggested_filename
    download.save_as(target)
    return target


def test_admin_approves_the_week_and_payroll_downloads_a_csv_that_adds_up(
    seed: Factory, page: Page, tmp_path: Path
) -> None:
    admin = seed.admin(name="Ada Admin", email="ada@example.com")
    pat = seed.payroll(name="Pat Payroll", email="pat@example.com")
    casey = seed.contractor(name="Casey Contractor", email="casey@example.com")
    dana = seed.contractor(name="Dana Developer", email="dana@example.com")
    chordus = seed.project(
        code="CHORDUS", name="Chordus platform", client="Acme", hourly_rate="45.00"
    )
    nimbus = seed.project(
        code="NIMBUS", name="Nimbus migration", client="Northwind", hourly_rate="50.00"
    )
    seed.assign(chordus, casey)
    seed.assign(nimbus, dana)
    mon = monday() - dt.timedelta(days=7)
    week = f"{mon.isocalendar().year}-W{mon.isocalendar().week:02d}"
    day = [mon + dt.timedelta(days=n) for n in range(7)]
    for user, project, when, minutes, text in (
        (casey, chordus, day[0], 450, "Threat model"),
        (casey, chordus, day[1], 480, "=SUM(A1:A9)"),  # a formula must arrive as text
        (casey, chordus, day[2], 380, "Review"),
        (dana, nimbus, day[0], 420, "Schema migration"),
        (dana, nimbus, day[1], 70, "Stand-up, notes"),
    ):
        seed.entry(user, project, work_date=when, minutes=minutes, description=text)
    seed.entry(
        casey, chordus, work_date=mon - dt.timedelta(days=3), minutes=60, description="Week before"
    )  # outside the week: neither approved nor exported

    # The admin filters the week's submitted entries, ticks them all and approves.
    sign_in(page, admin.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Approvals").click()
    page.get_by_label("Week").fill(week)
    page.get_by_label("Status").select_option("submitted")
    page.get_by_role("button", name="Filter").click()
    boxes = page.get_by_role("checkbox", name="Select entry")
    expect(boxes).to_have_count(5)
    for box in boxes.all():
        box.check()
    page.get_by_role("button", name="Approve selected").click()
    expect(page.get_by_text("5 entries.")).to_be_visible()
    page.get_by_label("Status").select_option("approved")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("checkbox", name="Select entry")).to_have_count(5)
    sign_out(page)

    # Payroll previews the week, then downloads both layouts.
    sign_in(page, pat.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Payroll").click()
    page.get_by_label("Period", exact=True).select_option("custom")
    page.get_by_label("From", exact=True).fill(day[0].isoformat())
    page.get_by_label("To (inclusive)").fill(day[6].isoformat())
    page.get_by_label("Layout").select_option("detail")
    page.get_by_label("Entries", exact=True).select_option("approved")
    page.get_by_role("button", name="Preview").click()
    main = page.get_by_role("main")
    expect(main).to_contain_text("30.00")  # hours
    expect(main).to_contain_text("1,390.83 EUR")
    detail_file = _download(page, "Download CSV (detail)", tmp_path)

    rows = _rows(detail_file)
    assert list(rows[0].keys()) == DETAIL
    assert len(rows) == 5
    assert {r["status"] for r in rows} == {"approved"}
    assert {r["approved_by"] for r in rows} == {"ada@example.com"}
    by_text = {r["description"]: r for r in rows}
    assert by_text["'=SUM(A1:A9)"]["hours"] == "8.00"
    assert by_text["Threat model"]["amount"] == "337.50"
    assert by_text["Stand-up, notes"]["amount"] == "58.33"
    assert sum(Decimal(r["hours"]) for r in rows) == Decimal("30.00")
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal("1390.83")

    page.get_by_label("Layout").select_option("summary")
    page.get_by_role("button", name="Preview").click()
    summary = _rows(_download(page, "Download CSV (summary)", tmp_path))
    assert list(summary[0].keys()) == SUMMARY
    totals = {r["contractor_email"]: (r["entries"], r["hours"], r["amount"]) for r in summary}
    assert totals == {
        "casey@example.com": ("3", "21.83", "982.50"),
        "dana@example.com": ("2", "8.17", "408.33"),
    }

    # The same week as an Excel workbook for a European locale: typed cells that add up.
    page.get_by_label("Profile").select_option("excel-eu")
    page.get_by_label("Format").select_option("xlsx")
    page.get_by_role("button", name="Preview").click()
    sheets = xlsx_rows(_download(page, "Download XLSX (summary, excel-eu)", tmp_path).read_bytes())
    assert list(sheets) == ["summary", "detail"]
    assert sum(Decimal(repr(r["amount"])) for r in sheets["detail"]) == Decimal("1390.83")
    assert "=SUM(A1:A9)" in {r["description"] for r in sheets["detail"]}  # a string cell

    # A batch locks the entries; its file downloads byte for byte, matching its SHA-256.
    page.get_by_role("link", name="Create an export batch").click()
    page.get_by_role("button", name="Create the batch").click()
    expect(page.get_by_text("entries are now exported and locked")).to_be_visible()
    batch_file = _download(page, "CSV as created", tmp_path)
    digest = hashlib.sha256(batch_file.read_bytes()).hexdigest()
    expect(page.locator("code.sha256")).to_have_text(digest)
    rows = _rows(batch_file)
    assert len(rows) == 5
    assert len({r["batch_id"] for r in rows}) == 1

    # The same batch for QuickBooks, as a workbook: durations, never a formula.
    page.get_by_label("Profile").select_option("quickbooks-online")
    page.get_by_label("Format").select_option("xlsx")
    page.get_by_role("button", name="Show these files").click()
    books = _download(page, "XLSX (detail, quickbooks-online)", tmp_path).read_bytes()
    durations = [r["Duration"] for r in xlsx_rows(books)["detail"]]
    assert sum(durations, dt.timedelta()) == dt.timedelta(hours=30)
