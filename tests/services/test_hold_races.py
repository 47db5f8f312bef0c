"""A time entry racing a freeze either commits before it (and is counted) or is refused.

Real concurrency on whichever database the run uses: threads with their own app context and
session (PostgreSQL: shared against exclusive advisory lock; SQLite: BEGIN IMMEDIATE), then a
multi-worker gunicorn server taking entries, edits and deletes from 20 clients while a freeze
lands through the API.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from tests import live
from tests.dates import yesterday
from tests.edge import edge
from tracker.db import unit_of_work
from tracker.errors import ProjectFrozen
from tracker.models import AuditEvent, Hold, Project, TimeEntry, User
from tracker.services import entries, holds

WAIT = 30  # seconds: an upper bound for any one step, never expected to be reached
STILL_WAITING = 0.5  # how long a blocked transaction must stay blocked to count as waiting


def _entry_write(
    operation: str, session: Any, user_id: int, project_id: int, entry_id: int | None
) -> int | None:
    """Run one entry write of the given kind in the session; the id it touched."""
    actor = session.get(User, user_id)
    if operation == "log":
        return entries.log_time(
            session, actor, project_id=project_id, work_date=yesterday(), minutes=60
        ).id
    assert entry_id is not None
    if operation == "update":
        return entries.update_entry(session, actor, entry_id, minutes=75, description="edited").id
    entries.delete_entry(session, actor, entry_id)
    return entry_id


def _freeze(session: Any, admin_id: int, project_id: int) -> Hold:
    hold, _ = holds.freeze_project(
        session,
        session.get(User, admin_id),
        session.get(Project, project_id),
        reason="race test",
        notice="Paused for the race test.",
    )
    return hold


class Worker(threading.Thread):
    """Runs a function in its own app context; keeps its result or its exception."""

    def __init__(self, app: Any, work: Any) -> None:
        super().__init__(daemon=True)
        self.app, self.work = app, work
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = threading.Event()

    def run(self) -> None:
        try:
            with self.app.app_context():
                self.result = self.work()
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            self.done.set()


def _arrange(make: Any, operation: str) -> tuple[User, User, Project, int | None]:
    admin = make.admin()
    person = make.contractor()
    project = make.project()
    make.assign(project, person)
    entry_id = None
    if operation != "log":
        entry_id = make.entry(person, project, work_date=yesterday(), minutes=60).id
    return admin, person, project, entry_id


@pytest.mark.slow
@pytest.mark.parametrize("operation", ["log", "update", "delete"])
def test_an_entry_write_holding_its_lock_makes_the_freeze_wait_and_is_counted(
    app, db, make, operation
):
    admin, person, project, entry_id = _arrange(make, operation)
    locked, release = threading.Event(), threading.Event()

    def write() -> int | None:
        try:
            with unit_of_work() as session:
                touched = _entry_write(operation, session, person.id, project.id, entry_id)
                locked.set()
                release.wait(WAIT)  # hold the lock, uncommitted, until the test lets go
        finally:
            locked.set()
        return touched

    def freeze() -> int:
        with unit_of_work() as session:
            return _freeze(session, admin.id, project.id).id

    writer = Worker(app, write)
    writer.start()
    try:
        assert locked.wait(WAIT)
        assert writer.error is None, writer.error
        freezer = Worker(app, freeze)
        freezer.start()
        assert not freezer.done.wait(STILL_WAITING), "the freeze did not wait for the entry"
    finally:
        release.set()
    assert writer.done.wait(WAIT)
    assert freezer.done.wait(WAIT)
    assert writer.error is None, writer.error
    assert freezer.error is None, freezer.error

    hold = db.get(Hold, freezer.result)
    rows = db.scalars(select(TimeEntry).where(TimeEntry.project_id == project.id)).all()
    if operation == "log":
        assert [e.id for e in rows] == [writer.result]
        assert rows[0].created_at <= hold.started_at
    elif operation == "update":
        assert [(e.minutes, e.description) for e in rows] == [(75, "edited")]
    else:
        assert rows == []
    assert db.scalar(select(Project.status).where(Project.id == project.id)) == "frozen"


@pytest.mark.slow
@pytest.mark.parametrize("operation", ["log", "update", "delete"])
def test_a_freeze_holding_its_lock_makes_an_entry_write_wait_and_refuses_it(
    app, db, make, operation
):
    admin, person, project, entry_id = _arrange(make, operation)
    locked, release = threading.Event(), threading.Event()

    def freeze() -> int:
        try:
            with unit_of_work() as session:
                hold = _freeze(session, admin.id, project.id)
                locked.set()
                release.wait(WAIT)  # the freeze holds its lock, uncommitted
        finally:
            locked.set()
        return hold.id

    def write() -> int | None:
        with edge() as session:
            return _entry_write(operation, session, person.id, project.id, entry_id)

    freezer = Worker(app, freeze)
    freezer.start()
    try:
        assert locked.wait(WAIT)
        assert freezer.error is None, freezer.error
        writer = Worker(app, write)
        writer.start()
        assert not writer.done.wait(STILL_WAITING), "the entry write did not wait for the freeze"
    finally:
        release.set()
    assert freezer.done.wait(WAIT)
    assert writer.done.wait(WAIT)
    assert freezer.error is None, freezer.error

    assert isinstance(writer.error, ProjectFrozen), writer.error
    assert writer.error.extra["hold"]["id"] == freezer.result
    assert writer.error.extra["hold"]["notice"] == "Paused for the race test."
    rows = db.scalars(select(TimeEntry).where(TimeEntry.project_id == project.id)).all()
    if operation == "log":
        assert rows == []
    else:
        assert [(e.minutes, e.description) for e in rows] == [(60, "")]
    refused = db.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "entry.refused")
    )
    assert refused == 1


# --- a real multi-worker server: 20 clients and a freeze through the HTTP API ----------------

CLIENTS = 20
MAX_REQUESTS = 40  # per client
AFTER_FREEZE = 3  # requests each client still sends once the freeze response has arrived
RUN_SECONDS = 40  # hard stop for every client
REQUEST_TIMEOUT = 60


def _call(port: int, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    return live.call(port, method, path, token, body, timeout=REQUEST_TIMEOUT)


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[int]:
    """gunicorn -w 4 gthread x 4 threads (as gunicorn.conf.py) on a free port; always stopped.

    Threaded workers as in production: with one thread per worker, the freeze request could sit
    in a worker's queue behind entry posts, which is queueing, not the freeze itself.
    """
    with live.gunicorn(database_url, workers=4, threads=4) as port:
        yield port


class Outcome:
    """What one request did: when it was sent, its status, its error code, and its target."""

    def __init__(self, sent: float, status: int, body: Any, target: Any) -> None:
        self.sent, self.status, self.target = sent, status, target
        self.code = (body or {}).get("error", {}).get("code") if status >= 400 else None
        self.body = body


def _race(
    port: int,
    admin_token: str,
    project_id: int,
    plans: list[list[tuple]],
    tokens: list[str],
    freeze_after: int,
) -> tuple[list[Outcome], float, float, Any]:
    """Clients send their planned requests; the freeze goes once ``freeze_after`` got through.

    Returns every outcome, the freeze's send and arrival instants (monotonic), and its body.
    """
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    successes = threading.Semaphore(0)
    answered = threading.Event()
    go = threading.Barrier(len(plans) + 1)
    stop_at = time.monotonic() + RUN_SECONDS

    def client(plan: list[tuple], token: str) -> None:
        go.wait(WAIT)
        after = 0
        for method, path, body, target in plan:
            if time.monotonic() > stop_at or after >= AFTER_FREEZE:
                break
            if answered.is_set():
                after += 1
            sent = time.monotonic()
            status, reply = _call(port, method, path, token, body)
            with lock:
                outcomes.append(Outcome(sent, status, reply, target))
            if status < 300:
                successes.release()

    threads = [
        threading.Thread(target=client, args=(plan, token), daemon=True)
        for plan, token in zip(plans, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    go.wait(WAIT)
    for _ in range(freeze_after):
        successes.acquire(timeout=WAIT)
    sent = time.monotonic()
    status, body = _call(
        port,
        "POST",
        f"/projects/{project_id}/freeze",
        admin_token,
        {"reason": "stress", "notice": "Paused: stress test."},
    )
    arrived = time.monotonic()
    answered.set()
    assert status == 200, body
    for thread in threads:
        thread.join(RUN_SECONDS + REQUEST_TIMEOUT)
    return outcomes, sent, arrived, body


def _crowd(make: Any, count: int) -> tuple[Project, list[User], list[str], str]:
    project = make.project()
    people = [make.contractor() for _ in range(count)]
    for person in people:
        make.assign(project, person)
    return project, people, [make.token(p) for p in people], make.token(make.admin())


def _report(label: str, outcomes: list[Outcome], sent: float, arrived: float) -> None:
    """One line for ``pytest -s``: the freeze time and what the clients got."""
    ok = sum(1 for o in outcomes if o.status < 300)
    late = sum(1 for o in outcomes if o.sent > arrived)
    print(  # shown with pytest -s: the figures the report quotes
        f"\n[{label}] freeze {1000 * (arrived - sent):.0f} ms; {len(outcomes)} requests, "
        f"{ok} succeeded, {len(outcomes) - ok} refused, {late} sent after the freeze"
    )


def _check_after_freeze(outcomes: list[Outcome], arrived: float, ok: set[int]) -> None:
    late = [o for o in outcomes if o.sent > arrived]
    assert late, "no request was sent after the freeze response arrived"
    assert all(o.status == 409 and o.code == "project_frozen" for o in late), [
        (o.status, o.code) for o in late if o.code != "project_frozen"
    ]
    assert all(
        o.status in ok or (o.status == 409 and o.code == "project_frozen") for o in outcomes
    ), {(o.status, o.code) for o in outcomes}
    refused = [o for o in outcomes if o.status == 409]
    assert all(o.body["error"]["hold"]["notice"] == "Paused: stress test." for o in refused)


@pytest.mark.slow
def test_twenty_clients_posting_entries_while_a_freeze_lands_lose_nothing(server, db, make):
    project, _people, tokens, admin_token = _crowd(make, CLIENTS)
    plans = [
        [
            (
                "POST",
                "/entries",
                {
                    "project_id": project.id,
                    "work_date": (yesterday() - dt.timedelta(days=i % 7)).isoformat(),
                    "minutes": 1,
                    "description": f"c{c} r{i}",
                },
                None,
            )
            for i in range(MAX_REQUESTS)
        ]
        for c in range(CLIENTS)
    ]
    outcomes, sent, arrived, _body = _race(
        server, admin_token, project.id, plans, tokens, freeze_after=CLIENTS
    )

    _report("create", outcomes, sent, arrived)
    _check_after_freeze(outcomes, arrived, ok={201})
    created = {o.body["id"] for o in outcomes if o.status == 201}
    stored = set(db.scalars(select(TimeEntry.id).where(TimeEntry.project_id == project.id)))
    assert created
    assert stored == created
    assert len(stored) == sum(1 for o in outcomes if o.status == 201)


@pytest.mark.slow
def test_edits_and_deletes_racing_a_freeze_either_land_before_it_or_are_refused(server, db, make):
    per_client = 16
    project, people, tokens, admin_token = _crowd(make, CLIENTS // 2)
    owned: list[list[int]] = []
    for person in people:
        rows = [
            TimeEntry(
                user_id=person.id,
                project_id=project.id,
                minutes=60,
                work_date=yesterday() - dt.timedelta(days=i % 7),
                description="",
                hourly_rate=project.hourly_rate,
                currency=project.currency,
                created_by_id=person.id,
            )
            for i in range(per_client)
        ]
        db.add_all(rows)
        db.commit()
        owned.append([r.id for r in rows])
    plans = [
        [
            ("PATCH", f"/entries/{entry_id}", {"minutes": 90, "description": "edited"}, entry_id)
            if i % 2 == 0
            else ("DELETE", f"/entries/{entry_id}", None, entry_id)
            for i, entry_id in enumerate(ids)
        ]
        for ids in owned
    ]
    outcomes, sent, arrived, _body = _race(
        server, admin_token, project.id, plans, tokens, freeze_after=CLIENTS // 2
    )

    _report("edit/delete", outcomes, sent, arrived)
    _check_after_freeze(outcomes, arrived, ok={200, 204})
    db.expire_all()  # the rows were loaded before the server changed them
    stored = {
        e.id: e for e in db.scalars(select(TimeEntry).where(TimeEntry.project_id == project.id))
    }
    for outcome in outcomes:
        entry = stored.get(outcome.target)
        if outcome.status == 204:
            assert entry is None
        elif outcome.status == 200:
            assert (entry.minutes, entry.description) == (90, "edited")
        else:
            assert entry is not None
            assert (entry.minutes, entry.description) == (60, "")
    deleted = sum(1 for o in outcomes if o.status == 204)
    assert len(stored) == CLIENTS // 2 * per_client - deleted
