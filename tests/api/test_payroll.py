"""Payroll API: GET payroll.csv, batches, re-download by id, and who may call them."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io

import pytest
from sqlalchemy import select

from tests.dates import today
from tests.payroll_readers import csv_rows, xlsx_rows
from tracker.models import AuditEvent, ExportBatch, TimeEntry

START = dt.date(2026, 3, 1)
QUERY = "start=2026-03-01&end=2026-03-31"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROFILES = ["generic", "excel-eu", "quickbooks-online", "xero-bills"]


@pytest.fixture
def entries(make):
    admin = make.admin(email="boss@example.com")
    ada = make.contractor(email="ada@example.com", name="=Ada")
    project = make.project(code="EURO", hourly_rate="33.33")
    usd = make.project(code="DOLLAR", hourly_rate="999.99", currency="USD")
    make.assign(project, ada)
    approved = {"status": "approved", "approved_by_id": admin.id}
    return (
        admin,
        ada,
        [
            make.entry(ada, project, work_date=START, minutes=90, **approved),
            make.entry(ada, usd, work_date=START, minutes=1439, **approved),
            make.entry(ada, project, work_date=START, minutes=30),  # submitted
        ],
    )


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_payroll_csv_streams_the_detail_layout(api, make, entries, db):
    client = api(make.payroll())
    response = client.get(f"/payroll.csv?{QUERY}", buffered=True)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = _rows(response.get_data())
    assert [(r["contractor_name"], r["amount"], r["currency"]) for r in rows] == [
        ("'=Ada", "23983.09", "USD"),  # same day and person: by project code, DOLLAR first
        ("'=Ada", "50.00", "EUR"),
    ]
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "payroll.export"))
    assert event.data["rows"] == 2
    assert event.origin is not None


def test_payroll_csv_summary_of_all_submitted_with_bom(api, make, entries):
    client = api(make.admin())
    response = client.get(f"/payroll.csv?{QUERY}&layout=summary&status=all&bom=1", buffered=True)
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbfcontractor_email,contractor_name,project_code")
    eur = next(r for r in _rows(body) if r["currency"] == "EUR")
    assert (eur["entries"], eur["hours"], eur["amount"]) == ("2", "2.00", "66.67")  # 50.00+16.67


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("end=2026-03-31", "start"),
        ("start=2026-03-31&end=2026-03-01", "end"),
        (f"{QUERY}&status=rejected", "status"),
        (f"{QUERY}&layout=pivot", "layout"),
        (f"{QUERY}&bom=maybe", "bom"),
    ],
)
def test_bad_queries_get_422_naming_the_field(api, make, query, field):
    response = api(make.payroll()).get(f"/payroll.csv?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_batch_is_created_listed_and_downloaded_byte_for_byte(api, make, entries):
    client = api(make.payroll(email="pay@example.com"))
    created = client.post("/payroll/batches", json={"start": "2026-03-01", "end": "2026-03-31"})
    assert created.status_code == 201
    batch = created.get_json()
    assert batch["entries"] == 2
    assert batch["total_minutes"] == 1529
    assert batch["total_amounts"] == {"EUR": "50.00", "USD": "23983.09"}
    assert batch["start"] == "2026-03-01"
    assert batch["end"] == "2026-03-31"
    assert batch["created_by_email"] == "pay@example.com"
    assert batch["created_at"].endswith("Z")
    listed = client.get("/payroll/batches").get_json()["batches"]
    assert [b["id"] for b in listed] == [batch["id"]]
    first = client.get(f"/payroll/batches/{batch['id']}.csv")
    second = client.get(f"/payroll/batches/{batch['id']}.csv")
    assert first.status_code == 200
    assert first.get_data() == second.get_data()
    assert hashlib.sha256(first.get_data()).hexdigest() == batch["sha256"]
    assert client.get("/payroll/batches/999999.csv").status_code == 404


def test_a_second_batch_holds_only_entries_not_exported_yet(api, make, entries):
    admin, _ada, _ = entries
    client = api(make.payroll())
    first = client.post("/payroll/batches", json={"start": "2026-03-01", "end": "2026-03-31"})
    assert first.status_code == 201
    again = client.post("/payroll/batches", json={"start": "2026-02-01", "end": "2026-03-31"})
    assert again.status_code == 422
    assert "Nothing to export" in again.get_json()["error"]["message"]
    everything = api(admin).post(
        "/payroll/batches", json={"start": "2026-03-01", "end": "2026-03-31", "status": "all"}
    )
    assert everything.status_code == 201
    assert everything.get_json()["entries"] == 1  # only the submitted one was left


def test_a_payroll_user_cannot_lock_unreviewed_work_into_a_batch(api, make, entries, db):
    response = api(make.payroll()).post(
        "/payroll/batches", json={"start": "2026-03-01", "end": "2026-03-31", "status": "all"}
    )
    assert response.status_code == 403
    error = response.get_json()["error"]
    assert error["code"] == "forbidden"
    assert "Only an admin" in error["message"]
    assert db.scalar(select(ExportBatch.id)) is None
    assert set(db.scalars(select(TimeEntry.export_batch_id))) == {None}


def test_exported_entries_are_locked_for_everyone(api, make, db):
    admin, ada = make.admin(), make.contractor()
    project = make.project()
    make.assign(project, ada)
    day = today() - dt.timedelta(days=2)  # inside the assignment and backdating window
    entry = make.entry(ada, project, work_date=day, minutes=60, status="approved")
    period = {"start": day.isoformat(), "end": day.isoformat()}
    assert api(make.payroll()).post("/payroll/batches", json=period).status_code == 201
    assert db.get(TimeEntry, entry.id).export_batch_id is not None
    for client in (api(admin), api(ada)):
        patch = client.patch(f"/entries/{entry.id}", json={"description": "changed"})
        assert patch.status_code == 409, patch.get_json()
        assert patch.get_json()["error"]["code"] == "entry_locked"
        delete = client.delete(f"/entries/{entry.id}")
        assert delete.status_code == 409
        assert delete.get_json()["error"]["code"] == "entry_locked"
    db.expire_all()
    assert db.get(TimeEntry, entry.id).description == ""


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", f"/payroll.csv?{QUERY}"),
        ("get", f"/payroll.xlsx?{QUERY}"),
        ("get", f"/payroll.ods?{QUERY}"),
        ("post", "/payroll/batches"),
        ("get", "/payroll/batches"),
        ("get", "/payroll/batches/1.csv"),
        ("get", "/payroll/batches/1.xlsx"),
        ("get", "/payroll/batches/1.pdf"),
    ],
)
def test_contractors_get_403_and_anonymous_401(api, make, client, method, path):
    contractor = api(make.contractor())
    assert getattr(contractor, method)(path).status_code == 403
    assert getattr(client, method)("/api/v1" + path).status_code == 401


def test_openapi_describes_the_payroll_endpoints(api, make, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "text/csv" in spec["paths"]["/payroll.csv"]["get"]["responses"]["200"]["content"]
    create = spec["paths"]["/payroll/batches"]["post"]
    assert create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "PayrollBatch"
    )
    assert spec["paths"]["/payroll/batches/{batch_id}.csv"]["get"]["x-roles"] == [
        "admin",
        "payroll",
    ]
    for path in ("/payroll.xlsx", "/payroll/batches/{batch_id}.xlsx"):
        get = spec["paths"][path]["get"]
        assert XLSX in get["responses"]["200"]["content"]
        [profile] = [p for p in get["parameters"] if p["name"] == "profile"]
        assert profile["schema"]["enum"] == PROFILES
    assert "422" in spec["paths"]["/payroll.{fmt}"]["get"]["responses"]


def test_payroll_xlsx_is_a_typed_workbook_audited_with_its_shape(api, make, entries, db):
    response = api(make.payroll()).get(f"/payroll.xlsx?{QUERY}&layout=summary", buffered=True)
    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert (
        'filename="payroll-2026-03-01-2026-03-31-summary.xlsx"'
        in (response.headers["Content-Disposition"])
    )
    sheets = xlsx_rows(response.get_data())
    assert list(sheets) == ["summary", "detail"]
    assert [(r["currency"], r["amount"]) for r in sheets["summary"]] == [
        ("USD", 23983.09),
        ("EUR", 50),
    ]
    assert [r["contractor_name"] for r in sheets["detail"]] == ["=Ada", "=Ada"]  # text, as typed
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "payroll.export"))
    assert (event.data["format"], event.data["profile"], event.data["layout"]) == (
        "xlsx",
        "generic",
        "summary",
    )


def test_profiles_set_the_separator_decimal_mark_and_columns(api, make, entries):
    client = api(make.payroll())
    eu = client.get(f"/payroll.csv?{QUERY}&profile=excel-eu", buffered=True).get_data()
    assert eu.startswith(b"\xef\xbb\xbfentry_id;work_date;")
    assert [(r["amount"], r["work_date"]) for r in csv_rows(eu, "excel-eu")] == [
        ("23983,09", "01.03.2026"),
        ("50,00", "01.03.2026"),
    ]
    qbo = client.get(f"/payroll.csv?{QUERY}&profile=quickbooks-online", buffered=True)
    assert [r["Duration"] for r in csv_rows(qbo.get_data())] == ["23:59", "1:30"]
    assert "quickbooks-online" in qbo.headers["Content-Disposition"]
    xero = client.get(f"/payroll.xlsx?{QUERY}&profile=xero-bills&layout=summary", buffered=True)
    bills = xlsx_rows(xero.get_data())["summary"]
    assert {(r["Currency"], r["UnitAmount"]) for r in bills} == {("USD", 23983.09), ("EUR", 50)}


@pytest.mark.parametrize(
    ("path", "field", "listed"),
    [
        (f"/payroll.csv?{QUERY}&profile=sage", "profile", ", ".join(PROFILES)),
        (f"/payroll.xlsx?{QUERY}&profile=", None, None),
        (f"/payroll.ods?{QUERY}", "format", "csv, xlsx"),
        (f"/payroll.csv?{QUERY}&profile=quickbooks-online&layout=summary", "layout", "detail"),
        ("/payroll/batches/1.csv?profile=sage", "profile", ", ".join(PROFILES)),
        ("/payroll/batches/1.pdf", "format", "csv, xlsx"),
    ],
)
def test_unknown_profiles_and_formats_get_422_naming_those_there_are(
    api, make, entries, path, field, listed
):
    response = api(make.admin()).get(path, buffered=True)
    if field is None:  # an empty profile is the default one
        assert response.status_code == 200
        return
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert listed in error["fields"][field][0]


def test_an_empty_period_gives_a_workbook_with_the_header_only(api, make, entries):
    response = api(make.payroll()).get("/payroll.xlsx?start=2020-01-01&end=2020-01-31")
    assert response.status_code == 200
    assert xlsx_rows(response.get_data()) == {"detail": [], "summary": []}


def test_a_batch_downloads_in_any_format_and_profile_with_the_same_bytes(api, make, entries):
    client = api(make.payroll())
    batch = client.post("/payroll/batches", json={"start": "2026-03-01", "end": "2026-03-31"})
    batch_id = batch.get_json()["id"]
    stored = client.get(f"/payroll/batches/{batch_id}.csv")
    assert stored.headers["X-Content-SHA256"] == batch.get_json()["sha256"]
    assert {r["batch_id"] for r in csv_rows(stored.get_data())} == {str(batch_id)}
    for query in ("profile=excel-eu", "layout=summary&profile=xero-bills", "bom=1"):
        first = client.get(f"/payroll/batches/{batch_id}.csv?{query}")
        assert first.status_code == 200
        assert first.get_data() == client.get(f"/payroll/batches/{batch_id}.csv?{query}").get_data()
        assert "X-Content-SHA256" not in first.headers  # not the stored bytes
    workbook_bytes = client.get(f"/payroll/batches/{batch_id}.xlsx?profile=quickbooks-online")
    assert workbook_bytes.mimetype == XLSX
    again = client.get(f"/payroll/batches/{batch_id}.xlsx?profile=quickbooks-online")
    assert workbook_bytes.get_data() == again.get_data()
    assert len(xlsx_rows(again.get_data())["detail"]) == 2
    assert client.get("/payroll/batches/999999.xlsx").status_code == 404


def test_every_bad_parameter_is_named_at_once(api, make):
    response = api(make.payroll()).get("/payroll.csv?end=2026-03-31&profile=sage&layout=pivot")
    assert response.status_code == 422
    assert sorted(response.get_json()["error"]["fields"]) == ["layout", "profile", "start"]
