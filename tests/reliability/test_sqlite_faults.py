"""A SQLite file that is locked, read-only or full gets a clear 503, never a 500 with a trace.

Locked: another process holds the write lock past the busy timeout while a real gunicorn server
takes requests. Read-only and full: the app in this process, on a real file made read-only (an
immutable file for root, mode 0444 otherwise) or full (``PRAGMA max_page_count`` on every
connection the app opens). Each time, what was saved before is intact and the app works again
once the fault is gone.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

from tests import live
from tests.conftest import PASSWORD
from tests.reliability.support import Browser, api, looks_like_an_error_page, utc_days_ago
from tracker.models import AuditEvent, TimeEntry

pytestmark = pytest.mark.usefixtures("sqlite_only")

BUSY_TIMEOUT_MS = 300  # short, so a held lock outlasts it at once


@pytest.fixture
def sqlite_only(is_postgres: bool) -> None:
    if is_postgres:
        pytest.skip("SQLite files only")


def _path(url: str) -> Path:
    return Path(make_url(url).database or "")


def _contractor_on_a_project(make: Any) -> tuple[str, int, str]:
    """(the contractor's email, the project's id, the contractor's API token)."""
    person = make.contractor()
    project = make.project()
    make.assign(project, person)
    return person.email, project.id, make.token(person)


def _entry(project_id: int, description: str) -> dict[str, Any]:
    return {
        "project_id": project_id,
        "work_date": utc_days_ago(1).isoformat(),
        "minutes": 30,
        "description": description,
    }


def _stored(db: Any) -> list[str]:
    db.expire_all()
    return sorted(db.scalars(select(TimeEntry.description)))


def _check_unavailable(answer: Any, words: str) -> None:
    assert answer.status == 503, (answer.status, answer.body)
    assert answer.code == "unavailable", answer.body
    assert words in answer.body["error"]["message"]


@pytest.mark.slow
def test_a_write_lock_held_past_the_busy_timeout_gets_503_and_the_retry_succeeds(own):
    email, project, token = _contractor_on_a_project(own.make)
    env = {"TRACKER_SQLITE_BUSY_TIMEOUT_MS": str(BUSY_TIMEOUT_MS)}
    with live.gunicorn_server(own.url, workers=2, threads=2, env=env) as server:
        assert api(server.port, "POST", "/entries", token, _entry(project, "before")).status == 201
        browser = Browser(server.port)
        browser.sign_in(email)
        form = {
            "csrf_token": browser.csrf("/entries/new"),
            "project_id": str(project),
            "work_date": utc_days_ago(1).isoformat(),
            "hours": "1",
            "description": "from the form",
        }
        holder = sqlite3.connect(_path(own.url), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process keeps the write lock
        try:
            refused = api(server.port, "POST", "/entries", token, _entry(project, "locked out"))
            page = browser.post("/entries/new", form)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        retried = api(server.port, "POST", "/entries", token, _entry(project, "locked out"))
        after = browser.post("/entries/new", form)
        log = server.log()

    _check_unavailable(refused, "busy")
    assert refused.headers.get("Retry-After") == "2"
    assert page.status == 503
    assert looks_like_an_error_page(page.body)
    assert "too busy" in page.body
    assert retried.status == 201
    assert after.status == 302  # saved, and on to the week
    assert _stored(own.db) == ["before", "from the form", "locked out"]
    assert "Traceback" not in log
    assert "is busy" in log  # the operator's line names the fault


@contextmanager
def _read_only(path: Path) -> Iterator[None]:
    """Make the database file read-only for this process: immutable for root, 0444 otherwise."""
    if os.geteuid() == 0:  # root writes through any mode; an immutable file it cannot write
        subprocess.run(["chattr", "+i", str(path)], check=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o600)


def _reconnect(own: Any) -> None:
    """Close every connection this process has to the file, so the next one opens it afresh.

    SQLite reuses a file descriptor of this process that is still open on the same file, which
    would carry its write access past a change of the file's permissions.
    """
    own.db.close()
    own.db.get_bind().dispose()
    own.app.extensions["tracker.engine"].dispose()


def _signed_in(app: Any, email: str) -> Any:
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _token_api(app: Any, token: str) -> Any:
    client = app.test_client()

    def post(body: dict[str, Any]) -> Any:
        return client.post(
            "/api/v1/entries", json=body, headers={"Authorization": f"Bearer {token}"}
        )

    return post


def test_a_read_only_database_file_gets_503_and_nothing_is_lost(own):
    email, project, token = _contractor_on_a_project(own.make)
    post = _token_api(own.app, token)
    browser = _signed_in(own.app, email)
    assert post(_entry(project, "before")).status_code == 201
    _reconnect(own)
    with _read_only(_path(own.url)):
        refused = post(_entry(project, "refused"))
        page = browser.post(
            "/entries/new",
            data={"project_id": project, "work_date": utc_days_ago(1).isoformat(), "hours": "1"},
        )
        _reconnect(own)
    accepted = post(_entry(project, "after"))

    assert refused.status_code == 503
    assert refused.get_json()["error"]["code"] == "unavailable"
    assert "read-only" in refused.get_json()["error"]["message"]
    assert page.status_code == 503
    assert looks_like_an_error_page(page.get_data(as_text=True))
    assert "read-only" in page.get_data(as_text=True)
    assert "Retry-After" not in refused.headers  # waiting does not help; an admin must act
    assert accepted.status_code == 201
    assert _stored(own.db) == ["after", "before"]


def test_a_full_database_gets_503_stays_intact_and_takes_writes_again_once_it_has_room(own):
    _email, project, token = _contractor_on_a_project(own.make)
    post = _token_api(own.app, token)
    engine = own.app.extensions["tracker.engine"]

    def no_room_to_grow(dbapi_connection: Any, _record: Any) -> None:
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count={pages}")

    _reconnect(own)
    event.listen(engine, "connect", no_room_to_grow)
    answers = []
    try:
        for number in range(2000):  # an entry is far smaller than a page: it fills up soon
            response = post(_entry(project, f"entry {number:04d}"))
            answers.append(response)
            if response.status_code != 201:
                break
    finally:
        event.remove(engine, "connect", no_room_to_grow)
        _reconnect(own)
    refused = answers[-1]

    assert refused.status_code == 503, refused.get_data(as_text=True)
    assert refused.get_json()["error"]["code"] == "unavailable"
    assert "out of space" in refused.get_json()["error"]["message"]
    saved = [r.get_json()["id"] for r in answers[:-1]]
    assert saved
    assert all(r.status_code == 201 for r in answers[:-1])
    with sqlite3.connect(_path(own.url)) as check:
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    own.db.expire_all()
    assert sorted(own.db.scalars(select(TimeEntry.id))) == saved
    events = own.db.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "entry.create")
    )
    assert events == len(saved)  # no entry without its event, no event without its entry
    assert post(_entry(project, "room again")).status_code == 201
