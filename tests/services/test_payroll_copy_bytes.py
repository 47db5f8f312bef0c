"""The PostgreSQL payroll CSV keeps its exact bytes: the COPY statements the export sends today
against the ones it sent before they were made faster, and against the Python writer, over a
hostile dataset (formulas behind every profile's separator, unicode, NULLs, rounding edges,
timestamps at the calendar's ends), under a session whose own date style and time zone differ.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from sqlalchemy import text, update

from tracker.db import unit_of_work
from tracker.models import Project, User
from tracker.services import payroll, payroll_batches, payroll_csv, payroll_files
from tracker.services.payroll_profiles import PROFILES, check_file

# The statements as the export sent them before (guard with left(…, 1), dates with to_char,
# the guard evaluated on every row), kept verbatim as the reference for the bytes.
_OLD_GUARD = (
    "NULLIF(CASE WHEN left({c}, 1) IN ('=', '+', '-', '@', chr(9), chr(13), chr(10)) "
    "THEN '''' || {c} ELSE {c} END, '')"
)


def _g(column: str) -> str:
    return _OLD_GUARD.format(c=column)


OLD_DETAIL_SQL = (
    "SELECT e.id AS entry_id, to_char(e.work_date, 'YYYY-MM-DD') AS work_date, "
    f"{_g('u.email')} AS contractor_email, {_g('u.name')} AS contractor_name, "
    f"{_g('p.code')} AS project_code, {_g('p.name')} AS project_name, "
    f"{_g('p.client')} AS client, round(e.minutes::numeric / 60, 2) AS hours, "
    f"e.hourly_rate AS hourly_rate, {_g('e.currency')} AS currency, "
    f"round(e.minutes * e.hourly_rate / 60, 2) AS amount, {_g('e.status')} AS status, "
    f"{_g('a.email')} AS approved_by, "
    "to_char(e.approved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS approved_at, "
    f"{_g('e.description')} AS description, e.export_batch_id AS batch_id "
    "FROM time_entries e JOIN users u ON u.id = e.user_id JOIN projects p ON p.id = e.project_id "
    "LEFT JOIN users a ON a.id = e.approved_by_id "
    "WHERE {where} "
    'ORDER BY e.work_date, u.email COLLATE "C", p.code COLLATE "C", e.id'
)
OLD_SUMMARY_SQL = (
    f"SELECT {_g('u.email')} AS contractor_email, {_g('u.name')} AS contractor_name, "
    f"{_g('p.code')} AS project_code, {_g('p.name')} AS project_name, "
    f"{_g('e.currency')} AS currency, e.hourly_rate AS hourly_rate, count(*) AS entries, "
    "round(sum(e.minutes)::numeric / 60, 2) AS hours, "
    "sum(round(e.minutes * e.hourly_rate / 60, 2)) AS amount "
    "FROM time_entries e JOIN users u ON u.id = e.user_id JOIN projects p ON p.id = e.project_id "
    "WHERE {where} "
    "GROUP BY u.id, u.email, u.name, p.id, p.code, p.name, e.currency, e.hourly_rate "
    'ORDER BY u.email COLLATE "C", p.code COLLATE "C", e.currency COLLATE "C", e.hourly_rate'
)

FIRST, LAST = dt.date(1, 1, 1), dt.date(9999, 12, 31)
DAYS = [FIRST, dt.date(1999, 12, 31), dt.date(2000, 2, 29), dt.date(2026, 3, 2), LAST]

SEPARATORS = sorted({profile.separator for profile in PROFILES.values()} | {",", ";", "\t"})
FORMULAS = ["=1+2", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "\n=1", '=HYPERLINK("http://x","y")']
TEXTS = [
    *FORMULAS,
    *(f"ok{sep}{formula}" for sep in SEPARATORS for formula in ("=1+2", "@x", "-3", "+4")),
    "'=already quoted",
    "'",
    '"',
    '""',
    '"=1"',
    "",
    " ",
    " =1",
    "a\r\nb",
    "end\n",
    "Ünïcødé 名前 🎉",
    "مرحبا",
    "e\u0301",  # a combining accent
    "\u200b=1",  # a zero-width space before a formula
    "\uff1d1",  # a fullwidth equals sign: no formula to a spreadsheet
    "x" * 3000,  # stored out of line (TOAST)
]
# Text sorted by code point, not by any locale's rules: upper case before lower, é after z.
EMAILS = ["Zed@x.test", "a@x.test", "b@x.test", "é@x.test", "=evil@x.test", "-@x.test"]
RATES = ["0.00", "0.01", "0.30", "33.33", "999.99", "9999999999.99"]
MINUTES = [1, 7, 59, 1439, 1440, -1, -59, -1440]
STAMPS = [
    None,
    dt.datetime(1000, 1, 1, 0, 0, 0, tzinfo=dt.UTC),
    dt.datetime(1970, 1, 1, 0, 0, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 3, 9, 30, 15, 999999, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 29, 1, 59, 59, 500000, tzinfo=dt.timezone(dt.timedelta(hours=-9))),
    dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
]


@pytest.fixture
def hostile(db, make, app):
    """People, projects and entries holding every awkward value, one day of them in a batch."""
    admin = make.admin(email="approver@x.test")
    odd_admin = make.admin(email="admin2@x.test")
    db.execute(update(User).where(User.id == odd_admin.id).values(email="=cmd|' /C calc'!A0"))
    people = []
    for n, email in enumerate(EMAILS):
        person = make.contractor(email=f"c{n}@x.test")
        # Written directly: the forms refuse most of this, the writers must not rely on it.
        db.execute(
            update(User)
            .where(User.id == person.id)
            .values(email=email, name=TEXTS[n * 7 % len(TEXTS)][:200])
        )
        people.append(person)
    projects = []
    for n in range(5):
        project = make.project(code=f"P{n}", hourly_rate="33.33")
        db.execute(
            update(Project)
            .where(Project.id == project.id)
            .values(
                code=["=P", "P1", "p1", "é", "-"][n],
                name=TEXTS[(n * 5 + 1) % len(TEXTS)][:200],
                client=TEXTS[(n * 3 + 2) % len(TEXTS)][:200],
            )
        )
        projects.append(project)
    db.commit()
    for n, description in enumerate(TEXTS * 2):
        minutes = MINUTES[n % len(MINUTES)]
        stamp = STAMPS[n % len(STAMPS)]
        make.entry(
            people[n % len(people)],
            projects[n % len(projects)],
            work_date=DAYS[n % len(DAYS)],
            minutes=minutes,
            hourly_rate=Decimal(RATES[n % len(RATES)]),
            currency=["EUR", "=1", "", "€", "+"][n % 5],
            description=description,
            is_correction=minutes < 0,
            status="submitted" if stamp is None else "approved",
            approved_by_id=None if stamp is None else (admin, odd_admin)[n % 2].id,
            approved_at=stamp,
        )
    # Approved in year 1: COPY writes "0001-…", the Python writer's strftime "1-…" (a
    # difference older than this file, for a time the app's clock cannot give), so it is
    # compared between the COPY statements only: on the first day, outside the Python check.
    make.entry(
        people[0],
        projects[0],
        work_date=FIRST,
        status="approved",
        approved_by_id=admin.id,
        approved_at=dt.datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=dt.UTC),
    )
    with app.app_context(), unit_of_work() as session:  # one day paid: batch_id set and NULL
        payroll_batches.create_batch(session, admin, DAYS[3], DAYS[3])
    yield db
    db.rollback()  # ends the test's SETs with its transaction


def _odd_session(db) -> None:
    """Settings of the connection's own that must not reach the file: a day-first date style,
    a zone 12:45 (or 13:45) off UTC, a verbose interval style."""
    db.execute(text("SET DateStyle = 'SQL, DMY'"))
    db.execute(text("SET TimeZone = 'Pacific/Chatham'"))
    db.execute(text("SET IntervalStyle = 'postgres_verbose'"))


def _copy(session, query: str, params) -> bytes:
    statement = f"COPY ({query}) TO STDOUT (FORMAT csv, HEADER, ENCODING 'UTF8')"
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(statement, params) as copy:
        return b"".join(bytes(block) for block in copy)


@pytest.mark.parametrize("layout", ["detail", "summary"])
@pytest.mark.parametrize("status", ["approved", "all"])
def test_the_copy_export_writes_the_bytes_it_wrote_before(hostile, is_postgres, layout, status):
    if not is_postgres:
        pytest.skip("the database writer (COPY) exists on PostgreSQL only")
    db = hostile
    scope = payroll.Scope(FIRST, LAST, status)
    where, params = payroll.where_sql(scope)
    spec = check_file(None, layout, "csv", False)
    # The Python writer reads through the driver, under the server's own settings.
    later = payroll.Scope(DAYS[1], LAST, status)
    python = b"".join(payroll_files.export_chunks(db, later, spec, database_writer=False))
    _odd_session(db)
    old_sql = OLD_DETAIL_SQL if layout == "detail" else OLD_SUMMARY_SQL
    before = _copy(db, old_sql.format(where=where), params)
    now = b"".join(payroll_files.export_chunks(db, scope, spec, database_writer=True))
    assert now == before
    assert python == b"".join(payroll_files.export_chunks(db, later, spec, database_writer=True))
    rows = before.count(b"\n")
    assert rows > (60 if layout == "detail" else 10)
    # The dataset is as hostile as it says: every kind of value reached the file.
    if layout == "detail":
        for needle in (b"0001-01-01,", b"0001-01-01T00:00:00Z", b"9999-12-31T23:59:59Z", b"'=1+2"):
            assert needle in before
        assert b"2026-03-29T10:59:59Z" in before  # -09:00 read as UTC, truncated
        assert b"\xc3\xa9@x.test" in before
        assert b'"ok,' in before  # a formula behind a comma stays inside its quoted cell


def test_the_export_leaves_a_pooled_connections_date_style_alone(db, make, is_postgres):
    if not is_postgres:
        pytest.skip("the database writer (COPY) exists on PostgreSQL only")
    admin, user, project = make.admin(), make.contractor(), make.project()
    make.entry(user, project, work_date=DAYS[3], status="approved", approved_by_id=admin.id)
    db.execute(text("SET DateStyle = 'German'"))
    scope = payroll.Scope(FIRST, LAST)
    data = b"".join(payroll_files.export_chunks(db, scope, database_writer=True))
    assert b",2026-03-02," in data
    db.commit()  # the export's SET LOCAL ended with its transaction, the session's SET stays
    assert db.execute(text("SHOW DateStyle")).scalar().startswith("German")
    assert payroll_csv.SESSION_SQL.startswith("SET LOCAL ")


# SHA-256 of the Python writer's file of the hostile dataset, as it wrote it before the COPY
# statements changed (the year-1 "1-01-01T…" included); the same on SQLite and PostgreSQL (ids
# restart with every test).
PYTHON_WRITER_SHA256 = {
    ("detail", "approved"): "7913ef6bb6f05ea3433eb9e34fe18bbc62780e0488fd8f7dd6e2b4924c3dbaf6",
    ("detail", "all"): "0a3fd1b9259cfe4e04e29c9ac9458f8142a786762f8d22d01b6ab1d7bb4e20bc",
    ("summary", "approved"): "7593a2290c9187a716f3bdcb2957209990f1072875ffc39adf2fa3507c15aa0f",
    ("summary", "all"): "b45bbc2d9fd96c54400a97002682de3576e0920b2a68ebc3fee395748079b375",
}


@pytest.mark.parametrize("layout", ["detail", "summary"])
@pytest.mark.parametrize("status", ["approved", "all"])
def test_the_python_writer_writes_the_bytes_it_wrote_before(hostile, layout, status):
    scope = payroll.Scope(FIRST, LAST, status)
    spec = check_file(None, layout, "csv", False)
    data = b"".join(payroll_files.export_chunks(hostile, scope, spec, database_writer=False))
    assert hashlib.sha256(data).hexdigest() == PYTHON_WRITER_SHA256.get((layout, status))
