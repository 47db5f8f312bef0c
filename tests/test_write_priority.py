"""Freeze and unfreeze take SQLite's write lock ahead of a crowd of waiting writers.

SQLite's busy handler sleeps longer and longer between tries (1, 2, 5, … 50, 100 ms), so an
ordinary waiter that began at t0 next looks at the lock at about t0 + 228 ms and t0 + 328 ms.
Releasing the lock halfway between those, a priority writer (which tries every millisecond)
must be the one that gets it, ahead of writers that have waited longer.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from tracker.db import READ_ONLY, begin_read, caller_authorized, unit_of_work

RELEASE_AT = 0.278  # seconds after the ordinary writers began to wait: 50 ms from their tries
PRIORITY_STARTS = 0.025  # so that with the back-off it too would look at +253 and +353 ms only


@pytest.fixture
def sqlite_only(is_postgres: bool) -> None:
    if is_postgres:
        pytest.skip("PostgreSQL's advisory-lock queue is first come, first served already")


@pytest.mark.usefixtures("sqlite_only")
def test_a_priority_writer_takes_the_lock_before_writers_that_waited_longer(app: Any) -> None:
    engine = app.extensions["tracker.engine"]
    priority_engine = engine.execution_options(sqlite_write_priority=True)
    order: list[str] = []
    waiting = threading.Barrier(5)

    def write(name: str, bind: Any, delay: float) -> None:
        waiting.wait()
        time.sleep(delay)
        with bind.begin() as connection:  # BEGIN IMMEDIATE: waits for the write lock
            order.append(name)
            connection.execute(text("SELECT 1"))
            time.sleep(0.05)  # hold the lock a while, so the next one must wait too

    holder = engine.connect()
    holder.begin()  # takes the write lock
    threads = [
        threading.Thread(target=write, args=(f"ordinary {i}", engine, 0)) for i in range(3)
    ] + [threading.Thread(target=write, args=("priority", priority_engine, PRIORITY_STARTS))]
    for thread in threads:
        thread.start()
    waiting.wait()
    time.sleep(RELEASE_AT)
    holder.commit()
    holder.close()
    for thread in threads:
        thread.join(10)

    assert order[0] == "priority", order
    assert sorted(order[1:]) == ["ordinary 0", "ordinary 1", "ordinary 2"]


@pytest.mark.usefixtures("sqlite_only")
def test_a_priority_writer_gives_up_after_its_wait_like_any_writer(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker import db

    monkeypatch.setattr(db, "PRIORITY_WAIT_SECONDS", 0.3)
    engine = app.extensions["tracker.engine"]
    priority_engine = engine.execution_options(sqlite_write_priority=True)
    holder = engine.connect()
    holder.begin()
    started = time.monotonic()
    try:
        with (
            pytest.raises(OperationalError, match="database is locked"),
            priority_engine.connect() as connection,
        ):
            connection.begin()
    finally:
        holder.rollback()
        holder.close()
    # Not the 0.3 s and then the ordinary 30 s busy wait on top of it.
    assert time.monotonic() - started < 10


@pytest.mark.usefixtures("sqlite_only")
def test_the_cli_freeze_takes_the_lock_ahead_of_waiting_writers(
    app: Any, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker import db

    calls: list[bool] = []
    original = db._begin_ahead_of_waiters

    def spy(connection: Any) -> None:
        calls.append(True)
        original(connection)

    monkeypatch.setattr(db, "_begin_ahead_of_waiters", spy)
    make.project(code="CLIPRIO")
    result = app.test_cli_runner().invoke(
        args=["project", "freeze", "CLIPRIO", "--reason", "r", "--notice", "n"]
    )
    assert result.exit_code == 0, result.output
    assert calls, "the freeze did not begin its transaction ahead of waiting writers"


def test_freeze_and_unfreeze_views_ask_for_priority_and_entry_views_do_not(app: Any) -> None:
    prioritised = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if getattr(view, "write_priority", False)
    }
    assert prioritised == {
        "api.freeze",
        "api.unfreeze",
        "holds.freeze",
        "holds.unfreeze",
        # an incident's start and lift freeze and unfreeze many projects at once
        "api.start_incident",
        "api.lift",
        "admin_incidents.new",
        "admin_incidents.lift",
    }


def _writes_with_priority(app: Any, path: str, *, authorized: bool) -> bool:
    """Whether a POST to ``path`` writes with priority, its caller accepted or not."""
    with app.test_request_context(path, method="POST"):
        if authorized:
            caller_authorized()
        with unit_of_work() as session:
            options = session.connection().get_execution_options()
            return bool(options.get("sqlite_write_priority"))


def test_only_an_accepted_caller_of_a_priority_view_writes_with_priority(app: Any) -> None:
    assert _writes_with_priority(app, "/api/v1/projects/1/freeze", authorized=True)
    assert _writes_with_priority(app, "/admin/holds/projects/1/freeze", authorized=True)
    # Anonymous, or refused by the role check (its refusal is audited in a unit of work too).
    assert not _writes_with_priority(app, "/api/v1/projects/1/freeze", authorized=False)
    assert not _writes_with_priority(app, "/api/v1/entries", authorized=True)


def test_checking_who_calls_a_priority_view_takes_no_write_lock(app: Any) -> None:
    with app.test_request_context("/api/v1/projects/1/freeze", method="POST"):
        session = begin_read()
        options = session.connection().get_execution_options()
        assert options.get(READ_ONLY)
        assert not options.get("sqlite_write_priority")
