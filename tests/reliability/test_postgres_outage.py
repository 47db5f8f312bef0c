"""PostgreSQL gone for 10 s in the middle of a freeze and a payroll batch, then back.

The server is shared, so only the test's own database goes away: its connections are ended and
new ones refused (``ALLOW_CONNECTIONS false``), as a stopped server would. Both writes are held
half-done when it happens (everything written but their audit event, which waits for a table
lock the test holds). Each fails with a clear 503 and leaves nothing behind; every answer during
the outage is a 503 (API error body or error page, never a trace); the first requests after it
succeed, and the retried freeze and batch land once.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from tests import live
from tests.reliability.support import (
    Answer,
    Browser,
    api,
    looks_like_an_error_page,
    probe,
    utc_days_ago,
)
from tracker.models import AuditEvent, ExportBatch, Hold, Notification, Project, TimeEntry

OUTAGE_SECONDS = 10
WAIT = 30  # an upper bound for any one step, never expected to be reached


@pytest.fixture
def admin_url(is_postgres: bool) -> str:
    if not is_postgres:
        pytest.skip("PostgreSQL only")
    return os.environ["TRACKER_TEST_DATABASE_URL"]


def _admin(admin_url: str) -> Any:
    return create_engine(admin_url, isolation_level="AUTOCOMMIT")


@contextmanager
def _audit_table_locked(url: str) -> Iterator[int]:
    """Hold an exclusive lock on audit_events (writes wait for it); yields the holder's pid."""
    engine = create_engine(url)
    connection = engine.connect()
    try:
        connection.execute(text("LOCK TABLE audit_events IN EXCLUSIVE MODE"))
        yield connection.scalar(text("SELECT pg_backend_pid()"))
    finally:
        connection.invalidate()  # the outage ended it already: nothing to roll back
        connection.close()
        engine.dispose()


def _waiting_on_the_audit_table(admin: Any, name: str) -> int:
    with admin.connect() as connection:
        return connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = :name "
                "AND wait_event_type = 'Lock' AND query ILIKE 'INSERT INTO audit_events%'"
            ),
            {"name": name},
        )


def _database_gone(admin: Any, name: str, last_pid: int) -> None:
    """Refuse new connections to the database, then end every one it has (last_pid last)."""
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        others = (
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
            "WHERE datname = :name AND pid <> :last"
        )
        connection.execute(text(others), {"name": name, "last": last_pid})
        connection.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": last_pid})


def _database_back(admin: Any, name: str) -> None:
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))


class Background(threading.Thread):
    """Runs one call in a thread and keeps its answer."""

    def __init__(self, call: Any) -> None:
        super().__init__(daemon=True)
        self.call = call
        self.answer: Answer | None = None

    def run(self) -> None:
        self.answer = self.call()


def _arrange(make: Any) -> dict[str, Any]:
    admin = make.admin()
    project = make.project()
    people = [make.contractor() for _ in range(3)]
    for person in people:
        make.assign(project, person)
        for days in (2, 3):
            make.entry(person, project, work_date=utc_days_ago(days), minutes=90)
    return {
        "admin_email": admin.email,
        "admin_token": make.token(admin),
        "person_token": make.token(people[0]),
        "project_id": project.id,
        "entries": 2 * len(people),
    }


@pytest.mark.slow
def test_a_freeze_and_a_payroll_batch_caught_by_an_outage_leave_nothing_and_land_once_after(
    own, admin_url
):
    given = _arrange(own.make)
    own.db.close()  # the test's own session takes no connection into the outage
    name = make_url(own.url).database
    admin = _admin(admin_url)
    project_id, admin_token = given["project_id"], given["admin_token"]
    freeze_body = {"reason": "incident", "notice": "Paused while the client investigates."}
    period = {"start": utc_days_ago(10).isoformat(), "end": utc_days_ago(1).isoformat()}
    batch_body = {**period, "status": "all"}
    during: list[tuple[str, Answer]] = []
    try:
        with live.gunicorn_server(own.url, workers=2, threads=4) as server:
            port = server.port
            browser = Browser(port)
            browser.sign_in(given["admin_email"])
            with _audit_table_locked(own.url) as holder:
                freeze = Background(
                    lambda: api(
                        port, "POST", f"/projects/{project_id}/freeze", admin_token, freeze_body
                    )
                )
                batch = Background(
                    lambda: api(port, "POST", "/payroll/batches", admin_token, batch_body)
                )
                freeze.start()
                batch.start()
                deadline = time.monotonic() + WAIT
                while _waiting_on_the_audit_table(admin, name) < 2:  # both are half-done now
                    assert time.monotonic() < deadline, "the freeze and the batch never got there"
                    time.sleep(0.05)
                _database_gone(admin, name, last_pid=holder)
                freeze.join(WAIT)
                batch.join(WAIT)
            ends = time.monotonic() + OUTAGE_SECONDS
            while time.monotonic() < ends:
                during.append(("api", api(port, "GET", "/projects", admin_token)))
                entry = {
                    "project_id": project_id,
                    "work_date": utc_days_ago(1).isoformat(),
                    "minutes": 30,
                }
                during.append(("api", api(port, "POST", "/entries", given["person_token"], entry)))
                during.append(("page", browser.get("/admin/holds")))
                during.append(("page", browser.get("/no-such-page")))
                during.append(("static", browser.get("/static/app.css")))
                during.append(("healthz", probe(port, "/healthz")))
                during.append(("readyz", probe(port, "/readyz")))
                time.sleep(0.2)
            _database_back(admin, name)
            first = [api(port, "GET", "/projects", admin_token) for _ in range(8)]
            page_after = browser.get("/admin/holds")
            retried_freeze = api(
                port, "POST", f"/projects/{project_id}/freeze", admin_token, freeze_body
            )
            again = api(port, "POST", f"/projects/{project_id}/freeze", admin_token, freeze_body)
            retried_batch = api(port, "POST", "/payroll/batches", admin_token, batch_body)
            log = server.log()
    finally:
        _database_back(admin, name)
        admin.dispose()

    for answer in (freeze.answer, batch.answer):
        assert answer is not None
        assert answer.status == 503, (answer.status, answer.body)
        assert answer.code == "unavailable"
        assert "cannot be reached" in answer.body["error"]["message"]
    assert during
    for kind, answer in during:
        assert answer.status == (200 if kind == "static" else 503), (kind, answer.status)
        if kind == "api":
            assert answer.code == "unavailable", answer.body
            assert answer.headers.get("Retry-After") == "10"
        elif kind == "page":
            assert looks_like_an_error_page(answer.body)
            assert "cannot be reached" in answer.body
        elif kind == "static":  # the 503 page keeps its stylesheet: no user is loaded for it
            continue
        elif kind == "readyz":
            assert answer.body["status"] == "not_ready"
            assert "cannot be reached" in answer.body["checks"]["database"]
    assert [answer.status for answer in first] == [200] * 8
    assert page_after.status == 200
    assert retried_freeze.status == 200, retried_freeze.body
    assert (again.status, again.code) == (409, "already_frozen")
    assert retried_batch.status == 201, retried_batch.body
    assert retried_batch.body["entries"] == given["entries"]
    assert "Traceback" not in log

    db = own.db
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Hold)) == 1
    assert db.scalar(select(Project.status).where(Project.id == project_id)) == "frozen"
    assert db.scalar(select(func.count()).select_from(Notification)) == 3  # once each
    assert db.scalar(select(func.count()).select_from(ExportBatch)) == 1
    batch_id = db.scalar(select(ExportBatch.id))
    assert set(db.scalars(select(TimeEntry.export_batch_id))) == {batch_id}
    actions = list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions.count("project.freeze") == 1
    assert actions.count("payroll.batch") == 1
