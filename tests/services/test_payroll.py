"""Payroll export service: what an export holds, exact totals, both writers, and batches."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import threading
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from tracker.db import unit_of_work
from tracker.errors import DomainError, Invalid
from tracker.models import AuditEvent, ExportBatch, Project, TimeEntry, User, utcnow
from tracker.services import payroll, payroll_batches, payroll_files, payroll_rows
from tracker.services.payroll_profiles import check_file

START, END = dt.date(2026, 3, 1), dt.date(2026, 3, 31)
APPROVED_AT = dt.datetime(2026, 4, 1, 8, 0, 5, tzinfo=dt.UTC)


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def _export(db, layout="detail", status="approved", bom=False, **kw) -> bytes:
    scope = payroll.make_scope(kw.pop("start", START), kw.pop("end", END), status)
    spec = check_file(kw.pop("profile", None), layout, kw.pop("fmt", "csv"), bom)
    return b"".join(payroll_files.export_chunks(db, scope, spec, **kw))


@pytest.fixture
def people(make):
    """An approver, two contractors and two projects in different currencies."""
    admin = make.admin(email="boss@example.com")
    ada = make.contractor(email="ada@example.com", name="Ada")
    bob = make.contractor(email="bob@example.com", name="Bob")
    eur = make.project(code="EURO", name="Euro work", client="Acme", hourly_rate="33.33")
    usd = make.project(code="DOLLAR", name="Dollar work", hourly_rate="999.99", currency="USD")
    return admin, ada, bob, eur, usd


def _approved(make, admin, user, project, day, minutes, **values):
    return make.entry(
        user,
        project,
        work_date=day,
        minutes=minutes,
        status="approved",
        approved_by_id=admin.id,
        approved_at=APPROVED_AT,
        **values,
    )


def test_detail_rows_carry_exact_amounts_from_each_entrys_own_rate(db, make, people):
    admin, ada, _bob, eur, usd = people
    cases = [(1, "0.01"), (7, "33.33"), (59, "999.99"), (1439, "999.99")]
    for n, (minutes, rate) in enumerate(cases):
        _approved(
            make, admin, ada, eur, dt.date(2026, 3, 2 + n), minutes, hourly_rate=Decimal(rate)
        )
    _approved(
        make,
        admin,
        ada,
        usd,
        dt.date(2026, 3, 9),
        -90,
        hourly_rate=Decimal("33.33"),
        is_correction=True,
        description="=correction of a typo",
    )
    rows = _rows(_export(db))
    assert [(r["hours"], r["hourly_rate"], r["amount"]) for r in rows] == [
        ("0.02", "0.01", "0.00"),
        ("0.12", "33.33", "3.89"),
        ("0.98", "999.99", "983.32"),
        ("23.98", "999.99", "23983.09"),
        ("-1.50", "33.33", "-50.00"),
    ]
    last = rows[-1]
    assert last["description"] == "'=correction of a typo"
    assert last["currency"] == "USD"
    assert last["project_code"] == "DOLLAR"
    assert last["approved_by"] == "boss@example.com"
    assert last["approved_at"] == "2026-04-01T08:00:05Z"
    assert last["work_date"] == "2026-03-09"


def test_columns_come_in_the_documented_order(db, make, people):
    admin, ada, *_rest, eur, _usd = people
    _approved(make, admin, ada, eur, START, 60)
    detail = _export(db).split(b"\n")[0].decode()
    summary = _export(db, "summary").split(b"\n")[0].decode()
    assert detail == (
        "entry_id,work_date,contractor_email,contractor_name,project_code,"
        "project_name,client,hours,hourly_rate,currency,amount,status,approved_by,"
        "approved_at,description,batch_id"
    )
    assert summary == (
        "contractor_email,contractor_name,project_code,project_name,currency,"
        "hourly_rate,entries,hours,amount"
    )


def test_summary_reconciles_with_detail_to_the_cent(db, make, people):
    admin, ada, bob, eur, usd = people
    for day in range(1, 8):
        _approved(make, admin, ada, eur, dt.date(2026, 3, day), 1, hourly_rate=Decimal("0.30"))
        _approved(make, admin, ada, eur, dt.date(2026, 3, day), 7 * day)  # 33.33
        _approved(make, admin, bob, usd, dt.date(2026, 3, day), 59 * day)
    _approved(make, admin, bob, usd, dt.date(2026, 3, 8), -59, is_correction=True)
    detail, summary = _rows(_export(db)), _rows(_export(db, "summary"))
    sums: dict[tuple, Decimal] = {}
    for r in detail:
        key = (r["contractor_email"], r["project_code"], r["currency"], r["hourly_rate"])
        sums[key] = sums.get(key, Decimal(0)) + Decimal(r["amount"])
    assert {
        (r["contractor_email"], r["project_code"], r["currency"], r["hourly_rate"]): Decimal(
            r["amount"]
        )
        for r in summary
    } == sums
    ada_cheap = next(r for r in summary if r["hourly_rate"] == "0.30")
    assert (ada_cheap["entries"], ada_cheap["amount"]) == ("7", "0.07")  # 7 x round(0.005)
    bob_row = next(r for r in summary if r["contractor_email"] == "bob@example.com")
    assert bob_row["entries"] == "8"
    assert bob_row["currency"] == "USD"
    assert [r["contractor_email"] for r in summary] == sorted(
        r["contractor_email"] for r in summary
    )


def test_currencies_are_never_added_together(db, make, people):
    admin, ada, _bob, eur, usd = people
    _approved(make, admin, ada, eur, START, 60, hourly_rate=Decimal("10.00"))
    _approved(make, admin, ada, usd, START, 60, hourly_rate=Decimal("20.00"))
    totals = payroll.totals(db, payroll.make_scope(START, END))
    assert totals.by_currency == {"EUR": Decimal("10.00"), "USD": Decimal("20.00")}
    assert [(c.currency, c.amount) for c in totals.by_contractor] == [
        ("EUR", Decimal("10.00")),
        ("USD", Decimal("20.00")),
    ]
    assert len(_rows(_export(db, "summary"))) == 2


def test_period_is_inclusive_and_approved_is_the_default(db, make, people):
    admin, ada, _bob, eur, _usd = people
    _approved(make, admin, ada, eur, START - dt.timedelta(days=1), 10)
    first = _approved(make, admin, ada, eur, START, 20)
    last = _approved(make, admin, ada, eur, END, 30)
    _approved(make, admin, ada, eur, END + dt.timedelta(days=1), 40)
    submitted = make.entry(ada, eur, work_date=START, minutes=50)
    make.entry(ada, eur, work_date=START, minutes=60, status="rejected")
    assert [int(r["entry_id"]) for r in _rows(_export(db))] == [first.id, last.id]
    everything = [int(r["entry_id"]) for r in _rows(_export(db, status="all"))]
    assert sorted(everything) == sorted([first.id, last.id, submitted.id])


def test_hours_worked_before_a_hold_stay_payable(db, make, people):
    admin, ada, _bob, eur, _usd = people
    entry = _approved(make, admin, ada, eur, START, 120)
    make.hold(eur)
    assert [int(r["entry_id"]) for r in _rows(_export(db))] == [entry.id]


def test_text_cells_are_guarded_when_read_from_the_database(db, make):
    admin = make.admin()
    evil = make.contractor(name='=HYPERLINK("http://x","y")', email="evil@example.com")
    project = make.project(code="SAFE", name="@SUM(A1)", client="-2+3")
    _approved(make, admin, evil, project, START, 30, description='a, "quoted"\nline')
    [row] = _rows(_export(db))
    assert row["contractor_name"] == '\'=HYPERLINK("http://x","y")'
    assert row["project_name"] == "'@SUM(A1)"
    assert row["client"] == "'-2+3"
    assert row["description"] == 'a, "quoted"\nline'


def test_bom_comes_first_when_asked(db, make, people):
    admin, ada, _bob, eur, _usd = people
    _approved(make, admin, ada, eur, START, 30)
    assert _export(db, bom=True).startswith(b"\xef\xbb\xbfentry_id,")
    assert _export(db).startswith(b"entry_id,")


@pytest.mark.parametrize(
    ("start", "end", "status", "field"),
    [
        ("2026-13-01", "2026-03-31", "approved", "start"),
        ("2026-03-01", "", "approved", "end"),
        ("2026-03-31", "2026-03-01", "approved", "end"),
        ("2026-03-01", "2026-03-31", "rejected", "status"),
    ],
)
def test_bad_periods_are_refused_with_the_field_named(start, end, status, field):
    with pytest.raises(Invalid) as caught:
        payroll.make_scope(start, end, status)
    assert field in caught.value.fields


def test_database_writer_matches_the_python_writer_byte_for_byte(db, make, is_postgres, app):
    if not is_postgres:
        pytest.skip("the database writer (COPY) exists on PostgreSQL only")
    admin = make.admin(email="Zed.admin@example.com")
    names = [
        "=1+2",
        "@SUM(A1)",
        "-2+3",
        "+x",
        "\tTab",
        "plain, with comma",
        'say "hi"',
        "line\nbreak",
        "cr\rreturn",
        "",
        "Ünïcødé 名前",
        "a.b",
        "A",
    ]
    projects = [make.project(code=f"P{i}", hourly_rate="33.33") for i in range(4)]
    for project, name in zip(projects, names, strict=False):
        project.name = project.client = name  # set directly: awkward text the forms refuse
    for i, name in enumerate(names):
        prefix = ("zed", "a.b", "ab", "a-c", "a_u", "b")[i % 6]
        user = make.contractor(email=f"{prefix}{i}@example.com")
        user.name = name
        db.commit()
        for n, (minutes, rate) in enumerate(
            [(1, "0.01"), (7, "33.33"), (59, "999.99"), (1439, "0.30"), (-1, "0.30")]
        ):
            _approved(
                make,
                admin,
                user,
                projects[n % 4],
                START + dt.timedelta(days=i % 3),
                minutes,
                hourly_rate=Decimal(rate),
                description=name,
                is_correction=minutes < 0,
            )
    make.entry(user, projects[0], work_date=START, minutes=5, description="submitted")
    with app.app_context(), unit_of_work() as session:  # the first day is paid: batch_id set
        payroll_batches.create_batch(session, admin, START, START)
    for layout in ("detail", "summary"):
        for status in ("approved", "all"):
            fast = _export(db, layout, status, bom=True, database_writer=True)
            slow = _export(db, layout, status, bom=True, database_writer=False)
            assert fast == slow, layout
            assert fast.count(b"'=1+2") >= 1
            assert len(_rows(fast[3:])) >= 13
    batched = [r["batch_id"] for r in _rows(_export(db, status="all", database_writer=True))]
    assert "" in batched
    assert len(set(batched)) == 2
    everything = payroll.make_scope(START, END, "all")
    assert list(payroll_rows.lines(db, everything, in_database=True)) == list(
        payroll_rows.lines(db, everything, in_database=False)
    )
    totals_db = payroll._totals_in_database(db, payroll.make_scope(START, END, "all"))
    assert totals_db == payroll._totals_in_python(db, payroll.make_scope(START, END, "all"))


# Any text PostgreSQL can store (no NUL), with awkward first characters made likely.
_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
) | st.sampled_from(["=1+2", "-2+3", "@SUM(A1)", "\tx", "\r\n", '"', ",", ""])


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=_TEXT, project_name=_TEXT, description=_TEXT)
def test_both_writers_agree_on_any_text(db, make, is_postgres, name, project_name, description):
    if not is_postgres:
        pytest.skip("the database writer (COPY) exists on PostgreSQL only")
    entry = db.scalar(select(TimeEntry).where(TimeEntry.minutes == -7))
    if entry is None:  # arranged once; each example only rewrites the text
        admin, user = make.admin(), make.contractor()
        project = make.project(hourly_rate="33.33")
        entry = _approved(make, admin, user, project, START, -7, is_correction=True)
    # Written directly: the forms refuse control characters, the writers must not rely on it.
    db.execute(update(TimeEntry).where(TimeEntry.id == entry.id).values(description=description))
    db.execute(update(User).where(User.id == entry.user_id).values(name=name))
    db.execute(
        update(Project)
        .where(Project.id == entry.project_id)
        .values(name=project_name, client=description)
    )
    db.commit()
    for layout in ("detail", "summary"):
        fast = _export(db, layout, database_writer=True)
        assert fast == _export(db, layout, database_writer=False)


def test_a_batch_marks_its_entries_and_keeps_its_exact_bytes(db, make, people, app):
    admin, ada, bob, eur, usd = people
    a = _approved(make, admin, ada, eur, START, 90)
    b = _approved(make, admin, bob, usd, END, 45)
    make.entry(ada, eur, work_date=START, minutes=30)  # submitted: not in an approved batch
    with app.app_context(), unit_of_work() as session:
        batch = payroll_batches.create_batch(session, admin, START, END)
        batch_id = batch.id
    batch = db.get(ExportBatch, batch_id)
    assert batch.sha256 == hashlib.sha256(batch.content).hexdigest()
    assert batch.row_count == 2
    assert batch.total_minutes == 135
    assert batch.totals == {"EUR": "50.00", "USD": "749.99"}  # 49.995 → 50.00; 749.9925
    rows = _rows(batch.content)
    assert sorted(int(r["entry_id"]) for r in rows) == sorted([a.id, b.id])
    assert {r["batch_id"] for r in rows} == {str(batch_id)}  # the file shows what is paid
    assert {
        e.export_batch_id
        for e in db.scalars(select(TimeEntry).where(TimeEntry.id.in_([a.id, b.id])))
    } == {batch_id}
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "payroll.batch"))
    assert event.actor_id == admin.id
    assert event.target_id == batch_id
    assert event.data["sha256"] == batch.sha256
    assert event.data["rows"] == 2


def test_a_later_batch_over_the_same_period_holds_only_new_entries(db, make, people, app):
    admin, ada, _bob, eur, _usd = people
    _approved(make, admin, ada, eur, START, 60)
    with app.app_context(), unit_of_work() as session:
        first = payroll_batches.create_batch(session, admin, START, END).id
    late = _approved(make, admin, ada, eur, START + dt.timedelta(days=3), 30)
    with app.app_context(), unit_of_work() as session:
        second = payroll_batches.create_batch(
            session, admin, START - dt.timedelta(days=10), END + dt.timedelta(days=10)
        ).id
    rows = _rows(db.get(ExportBatch, second).content)
    assert [int(r["entry_id"]) for r in rows] == [late.id]
    assert first != second
    with (
        app.app_context(),
        pytest.raises(Invalid, match="Nothing to export"),
        unit_of_work() as session,
    ):
        payroll_batches.create_batch(session, admin, START, END)
    assert db.scalar(select(ExportBatch.id).where(ExportBatch.id > second)) is None


def test_a_plain_export_is_audited_with_its_row_count(db, make, people, app):
    admin, ada, _bob, eur, _usd = people
    _approved(make, admin, ada, eur, START, 60)
    with app.app_context(), unit_of_work() as session:
        spec = check_file("excel-eu", "summary", "xlsx")
        payroll.record_export(session, admin, payroll.make_scope(START, END), spec)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "payroll.export"))
    assert event.data == {
        "start": "2026-03-01",
        "end": "2026-03-31",
        "status": "approved",
        "layout": "summary",
        "format": "xlsx",
        "profile": "excel-eu",
        "bom": False,
        "rows": 1,
    }


@pytest.mark.slow
def test_two_batches_at_the_same_instant_never_export_an_entry_twice(db, make, people, app):
    admin, ada, bob, eur, usd = people
    ids = {
        _approved(make, admin, user, project, START + dt.timedelta(days=d), 30).id
        for d in range(10)
        for user, project in ((ada, eur), (bob, usd))
    }
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def batch_now() -> None:
        with app.app_context():
            barrier.wait(timeout=10)
            try:
                with unit_of_work() as session:
                    payroll_batches.create_batch(session, admin, START, END)
                outcomes.append("made")
            except DomainError as exc:
                outcomes.append(exc.code)

    threads = [threading.Thread(target=batch_now) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["invalid", "invalid", "invalid", "made"]
    [batch] = db.scalars(select(ExportBatch)).all()
    exported = [int(r["entry_id"]) for r in _rows(batch.content)]
    assert sorted(exported) == sorted(ids)
    assert set(db.scalars(select(TimeEntry.export_batch_id))) == {batch.id}
    assert batch.created_at <= utcnow()
