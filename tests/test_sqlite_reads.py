"""On SQLite, requests that only read never wait for the write lock; writes still take it.

Reads begin deferred (under WAL a reader and the writer never block each other); a write
transaction begins with BEGIN IMMEDIATE, so it waits for the lock a writer holds. The freeze's
priority over waiting writers is tested in test_write_priority.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from tests.dates import today

WAIT = 20  # seconds: far more than a page takes, far less than SQLite's 30 s busy timeout
STILL_WAITING = 0.5  # how long a blocked write must stay blocked to count as waiting


@pytest.fixture
def sqlite_only(is_postgres: bool) -> None:
    if is_postgres:
        pytest.skip("SQLite's write lock; PostgreSQL readers never take one")


class Request(threading.Thread):
    """One request made from another thread, so the test sees whether it waited."""

    def __init__(self, send: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.send = send
        self.response: Any = None
        self.done = threading.Event()

    def run(self) -> None:
        try:
            self.response = self.send()
        finally:
            self.done.set()


@pytest.mark.usefixtures("sqlite_only")
def test_pages_and_api_reads_are_served_while_a_writer_holds_the_lock(app, make, api):
    contractor = make.contractor(name="Reader")
    project = make.project(code="READ")
    make.assign(project, contractor)
    make.entry(contractor, project, minutes=90)
    browser = app.test_client()
    browser.post("/login", data={"email": contractor.email, "password": "factory-password-1234"})
    reader = api(contractor)
    assert reader.get("/projects").status_code == 200  # the token's first use is recorded now

    with app.extensions["tracker.engine"].connect() as holder:
        holder.begin()  # BEGIN IMMEDIATE: the write lock, held until the reads are done
        holder.execute(text("SELECT 1"))
        pages = [
            Request(lambda: browser.get("/entries")),
            Request(lambda: browser.get("/timesheet")),
            Request(lambda: reader.get("/entries")),
        ]
        for request in pages:
            request.start()
        served = [request.done.wait(WAIT) for request in pages]
        holder.rollback()
    assert served == [True, True, True]
    assert [r.response.status_code for r in pages] == [200, 200, 200]
    assert "1.50" in pages[0].response.get_data(as_text=True)
    assert [e["minutes"] for e in pages[2].response.get_json()["entries"]] == [90]


@pytest.mark.usefixtures("sqlite_only")
def test_a_write_waits_for_the_writer_and_lands_once_the_lock_is_free(app, make, api, db):
    contractor = make.contractor()
    project = make.project(code="WRITE")
    make.assign(project, contractor)
    writer = api(contractor)
    assert writer.get("/projects").status_code == 200
    body = {"project_id": project.id, "work_date": str(today(contractor)), "minutes": 30}

    with app.extensions["tracker.engine"].connect() as holder:
        holder.begin()
        holder.execute(text("SELECT 1"))
        request = Request(lambda: writer.post("/entries", json=body))
        request.start()
        waited = not request.done.wait(STILL_WAITING)
        holder.rollback()
    assert request.done.wait(WAIT)
    assert waited, "the write did not wait for the write lock"
    assert request.response.status_code == 201
