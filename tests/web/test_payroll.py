"""Payroll pages: preview, download, batches with confirmation, and who may reach them."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import threading
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.payroll_readers import xlsx_rows
from tracker.db import unit_of_work
from tracker.models import AuditEvent, ExportBatch, Hold, Project, TimeEntry, User
from tracker.services import holds
from tracker.web.payroll import preset_period

START, END = dt.date(2026, 3, 1), dt.date(2026, 3, 31)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERIOD = {"preset": "custom", "start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture
def data(make):
    """Two contractors with approved hours in EUR and USD in March 2026."""
    admin = make.admin(email="boss@example.com")
    ada = make.contractor(email="ada@example.com", name="Ada Lovelace")
    bob = make.contractor(email="bob@example.com", name="Bob Builder")
    eur = make.project(code="EURO", hourly_rate="33.33")
    usd = make.project(code="DOLLAR", hourly_rate="999.99", currency="USD")
    approved = {"status": "approved", "approved_by_id": admin.id}
    entries = [
        make.entry(ada, eur, work_date=START, minutes=90, **approved),  # 49.995 → 50.00
        make.entry(ada, eur, work_date=END, minutes=7, **approved),  # 3.8885 → 3.89
        make.entry(bob, usd, work_date=START, minutes=59, **approved),  # 983.32
        make.entry(bob, usd, work_date=START, minutes=30),  # submitted
    ]
    return admin, entries


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize(
    ("today", "preset", "expected"),
    [
        (dt.date(2026, 1, 15), "last_month", (dt.date(2025, 12, 1), dt.date(2025, 12, 31))),
        (dt.date(2026, 3, 31), "last_month", (dt.date(2026, 2, 1), dt.date(2026, 2, 28))),
        (dt.date(2026, 1, 1), "last_week", (dt.date(2025, 12, 22), dt.date(2025, 12, 28))),
        (dt.date(2026, 3, 9), "last_week", (dt.date(2026, 3, 2), dt.date(2026, 3, 8))),
        (dt.date(2024, 2, 10), "this_month", (dt.date(2024, 2, 1), dt.date(2024, 2, 29))),
        (dt.date(2026, 12, 31), "this_month", (dt.date(2026, 12, 1), dt.date(2026, 12, 31))),
    ],
)
def test_presets_are_calendar_months_and_iso_weeks(today, preset, expected):
    assert preset_period(preset, today) == expected


def test_payroll_user_previews_totals_per_currency_and_contractor(client, auth, make, data):
    auth.login(make.payroll())
    page = client.get("/payroll", query_string=PERIOD).get_data(as_text=True)
    assert "53.89 EUR" in page  # 50.00 + 3.89, never mixed with dollars
    assert "983.32 USD" in page
    assert "Ada Lovelace" in page
    assert "Bob Builder" in page
    assert "Create an export batch (3 entries not exported yet)" in page
    everything = client.get("/payroll", query_string={**PERIOD, "status": "all"})
    assert "1,483.32 USD" in everything.get_data(as_text=True)  # + 30 min at 999.99


def test_the_default_period_is_last_month(client, auth, make):
    auth.login(make.payroll())
    first, last = preset_period("last_month", dt.datetime.now(dt.UTC).date())
    page = client.get("/payroll").get_data(as_text=True)
    assert f"Preview: {first} to {last}" in page


def test_custom_dates_in_the_wrong_order_are_refused_beside_the_field(client, auth, make):
    auth.login(make.admin())
    page = client.get("/payroll", query_string={**PERIOD, "start": "2026-04-01"})
    text = page.get_data(as_text=True)
    assert "The end date is before the start date." in text
    assert 'value="2026-04-01"' in text  # what was typed stays
    assert "Download CSV" not in text


def test_download_streams_the_csv_with_bom_and_is_audited(client, auth, make, data, db):
    auth.login(make.payroll())
    # buffered: the test client runs each request in its own contextvars Context (conftest), so
    # a streamed body is read inside it, as a server reads it in the request's own thread.
    response = client.get(
        "/payroll/export.csv",
        query_string={**PERIOD, "layout": "summary", "bom": "y"},
        buffered=True,
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "Content-Length" not in response.headers  # streamed, not built in memory
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbfcontractor_email,")
    rows = _rows(body)
    assert [(r["contractor_email"], r["amount"]) for r in rows] == [
        ("ada@example.com", "53.89"),
        ("bob@example.com", "983.32"),
    ]
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "payroll.export"))
    assert event.data["layout"] == "summary"
    assert event.data["rows"] == 3


def test_download_asks_for_the_password_again_after_fifteen_minutes(client, auth, make, data):
    auth.login(make.payroll())
    with client.session_transaction() as session:
        session["auth_at"] -= 16 * 60
    response = client.get("/payroll/export.csv", query_string=PERIOD)
    assert response.status_code == 302
    assert "/reauth" in response.headers["Location"]


def test_batch_is_confirmed_with_totals_then_created_and_downloadable(client, auth, make, data, db):
    _admin, entries = data
    auth.login(make.payroll())
    confirm = client.get(
        "/payroll/batches/new", query_string={"start": "2026-03-01", "end": "2026-03-31"}
    )
    text = confirm.get_data(as_text=True)
    assert "53.89 EUR" in text
    assert "983.32 USD" in text
    assert "locked for good" in text
    created = client.post(
        "/payroll/batches/new",
        data={"start": "2026-03-01", "end": "2026-03-31", "status": "approved"},
    )
    assert created.status_code == 302
    batch = db.scalar(select(ExportBatch))
    listing = client.get("/payroll/batches").get_data(as_text=True)
    assert batch.sha256 in listing
    assert "53.89 EUR" in listing
    first = client.get(f"/payroll/batches/{batch.id}.csv").get_data()
    again = client.get(f"/payroll/batches/{batch.id}.csv").get_data()
    assert first == again == batch.content
    assert hashlib.sha256(first).hexdigest() == batch.sha256
    exported = {
        e.id for e in db.scalars(select(TimeEntry).where(TimeEntry.export_batch_id == batch.id))
    }
    assert exported == {e.id for e in entries[:3]}
    page = client.get("/payroll", query_string=PERIOD).get_data(as_text=True)
    assert "Every entry in this period is already in a batch." in page


def test_a_second_batch_with_nothing_left_says_so(client, auth, make, data, db):
    auth.login(make.admin())
    form = {"start": "2026-03-01", "end": "2026-03-31", "status": "approved"}
    client.post("/payroll/batches/new", data=form)
    again = client.post("/payroll/batches/new", data=form, follow_redirects=True)
    assert "Nothing to export" in again.get_data(as_text=True)
    assert len(db.scalars(select(ExportBatch)).all()) == 1


def test_batch_money_totals_are_exact(client, auth, make, data, db):
    auth.login(make.admin())
    client.post("/payroll/batches/new", data={"start": "2026-03-01", "end": "2026-03-31"})
    batch = db.scalar(select(ExportBatch))
    assert batch.totals == {"EUR": "53.89", "USD": "983.32"}
    assert sum(Decimal(r["amount"]) for r in _rows(batch.content)) == Decimal("1037.21")


@pytest.mark.parametrize(
    "path",
    [
        "/payroll",
        "/payroll/export.csv",
        "/payroll/batches",
        "/payroll/batches/new",
        "/payroll/batches/1.csv",
    ],
)
def test_contractors_cannot_reach_any_payroll_page(client, auth, make, path):
    auth.login(make.contractor())
    assert client.get(path, query_string=PERIOD).status_code == 403
    assert client.post("/payroll/batches/new", data=PERIOD).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/payroll/export.csv", query_string=PERIOD)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


class _Thread(threading.Thread):
    """Runs a function; keeps its result or its exception, and says when it is done."""

    def __init__(self, work: Any) -> None:
        super().__init__(daemon=True)
        self.work, self.result, self.error = work, None, None
        self.done = threading.Event()

    def run(self) -> None:
        try:
            self.result = self.work()
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            self.done.set()


@pytest.mark.slow
def test_a_half_read_download_never_holds_up_a_freeze(app, make, db):
    """SQLite: the streamed export reads in a deferred transaction, so writers go on (WAL)."""
    payroll_user, admin, contractor = make.payroll(), make.admin(), make.contractor()
    project = make.project(code="BIG")
    rows = 150  # with 1,500-character descriptions: several 64 KiB chunks
    db.add_all(
        TimeEntry(
            user_id=contractor.id,
            project_id=project.id,
            work_date=START + dt.timedelta(days=i % 28),
            minutes=60,
            description="x" * 1500,
            status="approved",
            hourly_rate=project.hourly_rate,
            currency=project.currency,
            created_by_id=contractor.id,
        )
        for i in range(rows)
    )
    db.commit()
    started, finish = threading.Event(), threading.Event()

    def download() -> bytes:
        # A plain client in its own thread: the streamed body is read where the request ran.
        browser = FlaskClient(app, app.response_class, use_cookies=True)
        login = {"email": payroll_user.email, "password": PASSWORD}
        assert browser.post("/login", data=login).status_code == 302
        response = browser.get("/payroll/export.csv", query_string=PERIOD, buffered=False)
        try:
            chunks = iter(response.response)
            first = next(chunks)
            started.set()
            finish.wait(60)
            return first + b"".join(chunks)
        finally:
            started.set()
            response.close()

    def freeze() -> int:
        with app.app_context(), unit_of_work() as session:
            hold, _ = holds.freeze_project(
                session,
                session.get(User, admin.id),
                session.get(Project, project.id),
                reason="incident",
                notice="Paused.",
            )
            return hold.id

    reader = _Thread(download)
    reader.start()
    freezer = None
    try:
        assert started.wait(60)
        assert reader.error is None, reader.error
        assert not reader.done.is_set(), "the download was not half-read"
        freezer = _Thread(freeze)
        freezer.start()
        assert freezer.done.wait(3), "the freeze waited for the download to finish"
        assert freezer.error is None, freezer.error
    finally:
        finish.set()
        assert reader.done.wait(60)
        if freezer is not None:
            assert freezer.done.wait(60)
    assert reader.error is None, reader.error
    assert len(_rows(reader.result)) == rows
    assert db.get(Hold, freezer.result).project_id == project.id


def test_the_form_links_the_file_of_the_chosen_profile_and_format(client, auth, make, data):
    auth.login(make.payroll())
    query = {**PERIOD, "profile": "excel-eu", "format": "xlsx", "layout": "summary"}
    page = client.get("/payroll", query_string=query).get_data(as_text=True)
    assert "Download XLSX (summary, excel-eu)" in page
    assert "/payroll/export.xlsx?" in page
    assert "profile=excel-eu" in page
    for name in ("generic", "excel-eu", "quickbooks-online", "xero-bills"):
        assert f'value="{name}"' in page


def test_an_xlsx_download_is_a_workbook_and_is_audited(client, auth, make, data, db):
    auth.login(make.payroll())
    query = {**PERIOD, "profile": "xero-bills", "layout": "detail"}
    response = client.get("/payroll/export.xlsx", query_string=query)
    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert (
        "payroll-2026-03-01-2026-03-31-detail-xero-bills.xlsx"
        in (response.headers["Content-Disposition"])
    )
    bills = xlsx_rows(response.get_data())["detail"]
    assert sorted((r["ContactName"], r["UnitAmount"]) for r in bills) == [
        ("Ada Lovelace", 3.89),
        ("Ada Lovelace", 50),
        ("Bob Builder", 983.32),
    ]
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "payroll.export"))
    assert (event.data["format"], event.data["profile"]) == ("xlsx", "xero-bills")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"profile": "sage"}, "Choose one of: generic, excel-eu, quickbooks-online, xero-bills."),
        ({"format": "ods"}, "Choose one of: csv, xlsx."),
        (
            {"profile": "quickbooks-online", "layout": "summary"},
            "The quickbooks-online profile has only: detail.",
        ),
    ],
)
def test_an_unknown_profile_or_format_is_refused_beside_the_field(
    client, auth, make, data, query, message
):
    auth.login(make.payroll())
    page = client.get("/payroll", query_string={**PERIOD, **query}).get_data(as_text=True)
    assert message in page
    assert "Download" not in page
    assert "53.89 EUR" in page  # the preview still answers
    if "format" in query:  # a download's address names its format; the form's is a choice
        return
    response = client.get("/payroll/export.csv", query_string={**PERIOD, **query})
    assert response.status_code == 302
    assert "/payroll?" in response.headers["Location"]


def test_a_payroll_user_is_refused_a_batch_of_unapproved_entries(client, auth, make, data, db):
    auth.login(make.payroll())
    everything = {**PERIOD, "status": "all"}
    page = client.get("/payroll", query_string=everything).get_data(as_text=True)
    assert "Only an admin can put entries that are not approved yet into a batch." in page
    assert "Create an export batch" not in page
    period = {"start": "2026-03-01", "end": "2026-03-31", "status": "all"}
    confirm = client.get("/payroll/batches/new", query_string=period)
    assert confirm.status_code == 403
    assert "Only an admin can put entries" in confirm.get_data(as_text=True)
    assert "Create the batch" not in confirm.get_data(as_text=True)
    posted = client.post("/payroll/batches/new", data=period)
    assert posted.status_code == 403
    assert db.scalar(select(ExportBatch.id)) is None
    approved = client.post("/payroll/batches/new", data={**period, "status": "approved"})
    assert approved.status_code == 302


def test_an_admin_batches_unapproved_entries(client, auth, make, data, db):
    auth.login(make.admin())
    period = {"start": "2026-03-01", "end": "2026-03-31", "status": "all"}
    assert "Create the batch" in client.get("/payroll/batches/new", query_string=period).get_data(
        as_text=True
    )
    assert client.post("/payroll/batches/new", data=period).status_code == 302
    assert db.scalar(select(ExportBatch)).row_count == 4


def test_a_batch_downloads_in_the_chosen_profile_with_the_same_bytes(client, auth, make, data, db):
    auth.login(make.payroll())
    client.post("/payroll/batches/new", data={"start": "2026-03-01", "end": "2026-03-31"})
    batch = db.scalar(select(ExportBatch))
    choice = {"profile": "quickbooks-online", "format": "xlsx", "layout": "detail"}
    listing = client.get("/payroll/batches", query_string=choice).get_data(as_text=True)
    assert "CSV as created" in listing
    assert "XLSX (detail, quickbooks-online)" in listing
    link = f"/payroll/batches/{batch.id}.xlsx"
    assert link in listing
    first = client.get(link, query_string={"profile": "quickbooks-online"})
    again = client.get(link, query_string={"profile": "quickbooks-online"})
    assert first.status_code == 200
    assert first.get_data() == again.get_data()
    assert [r["Duration"] for r in xlsx_rows(first.get_data())["detail"]] == [
        dt.timedelta(minutes=90),
        dt.timedelta(minutes=59),
        dt.timedelta(minutes=7),
    ]
    refused = client.get("/payroll/batches", query_string={"profile": "sage"})
    assert "Choose one of: generic" in refused.get_data(as_text=True)
    bad = client.get(link, query_string={"profile": "sage"})
    assert bad.status_code == 302
    assert "/payroll/batches?profile=sage" in bad.headers["Location"]


def test_the_landing_page_shows_the_next_step_and_the_latest_batches(client, auth, make, db):
    from tests.dates import today as app_today

    clerk = make.payroll()
    ada = make.contractor(name="Ada Lovelace")
    project = make.project(code="EURO", hourly_rate="1250.00")
    end = app_today(clerk).replace(day=1) - dt.timedelta(days=1)
    make.entry(ada, project, work_date=end, minutes=60, status="approved")
    make.entry(ada, project, work_date=end, minutes=30)
    auth.login(clerk)
    page = client.get("/").get_data(as_text=True)
    assert "Next step: last month" in page
    assert "1 approved entry is not in a batch yet." in page
    assert "1 entry of last month is still waiting for an admin's approval." in page
    assert "No batches yet." in page
    with_batch = client.post(
        "/payroll/batches/new",
        data={"start": end.replace(day=1).isoformat(), "end": end.isoformat()},
    )
    assert with_batch.status_code == 302
    flashed = client.get(with_batch.headers["Location"]).get_data(as_text=True)
    assert "1 entry, 1,250.00 EUR." in flashed
    page = client.get("/").get_data(as_text=True)
    assert "Every approved entry of last month is in a batch." in page
    assert "1,250.00 EUR" in page
    assert "All batches and their files" in page


def test_batches_show_a_short_fingerprint_to_copy_and_plain_column_names(
    client, auth, make, data, db
):
    auth.login(make.payroll())
    client.post("/payroll/batches/new", data={**PERIOD, "status": "approved"})
    batch = db.scalar(select(ExportBatch))
    page = client.get("/payroll/batches").get_data(as_text=True)
    assert f'title="{batch.sha256}">{batch.sha256[:12]}…</code>' in page
    assert f'data-copy="{batch.sha256}"' in page
    assert "/static/copy.js" in page
    heads = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', page)
    assert heads[:5] == ["Batch", "Period", "Included", "Created", "Entries"]
    assert "byte-order" not in page
    assert "Excel-friendly file" in page


def test_the_excel_friendly_option_applies_to_batch_files_as_to_exports(
    client, auth, make, data, db
):
    auth.login(make.payroll())
    client.post("/payroll/batches/new", data={**PERIOD, "status": "approved"})
    batch = db.scalar(select(ExportBatch))
    plain = client.get(f"/payroll/batches/{batch.id}.csv").get_data()
    friendly = client.get(f"/payroll/batches/{batch.id}.csv", query_string={"bom": "y"}).get_data()
    export = client.get("/payroll/export.csv", query_string={**PERIOD, "bom": "y"}).get_data()
    assert not plain.startswith(b"\xef\xbb\xbf")
    assert friendly.startswith(b"\xef\xbb\xbf")
    assert export.startswith(b"\xef\xbb\xbf")
    assert friendly[3:] == plain
    listing = client.get("/payroll/batches", query_string={"bom": "y"}).get_data(as_text=True)
    assert f"/payroll/batches/{batch.id}.csv?profile=generic&amp;layout=detail&amp;bom=y" in listing
