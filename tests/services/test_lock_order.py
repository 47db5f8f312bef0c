"""A new entry's two locks are taken project first, then the day (PostgreSQL).

Every entry writer takes the shared project lock before the contractor-day lock; a writer that
held a day while waiting for a project that a freeze is queued on could deadlock with the
writers ahead of the freeze. The one-statement form must keep that order.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.dates import today
from tracker.services import locks

PROJECT_ID = 987_654
USER_ID = 4_321
DAY = dt.date(2026, 11, 30)


@pytest.fixture
def postgres_only(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("advisory locks exist on PostgreSQL only; SQLite serialises writers itself")


def _advisory_locks(connection: Any) -> set[tuple[int, int, str, bool]]:
    rows = connection.execute(
        text(
            "SELECT classid::bigint, objid::bigint, mode, granted FROM pg_locks "
            "WHERE locktype = 'advisory'"
        )
    )
    return {tuple(row) for row in rows}


@pytest.mark.usefixtures("postgres_only")
def test_a_writer_waiting_for_its_project_holds_no_day_lock(app: Any) -> None:
    engine = app.extensions["tracker.engine"]
    day_key = USER_ID * 1_000_000 + DAY.toordinal()
    done = threading.Event()
    with engine.connect() as freezer, engine.connect() as observer:
        freezer.execute(text("SELECT pg_advisory_lock(:ns, :id)"), {"ns": 1, "id": PROJECT_ID})

        def write() -> None:
            with Session(engine) as session, session.begin():
                locks.share_project_then_day(session, PROJECT_ID, USER_ID, DAY)
            done.set()

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            waiting = {r for r in _advisory_locks(observer) if not r[3]}
            if waiting:
                break
            time.sleep(0.01)
        held = _advisory_locks(observer)
        freezer.execute(text("SELECT pg_advisory_unlock(:ns, :id)"), {"ns": 1, "id": PROJECT_ID})
        freezer.commit()
        writer.join(10)

    assert (1, PROJECT_ID, "ShareLock", False) in held  # queued behind the exclusive lock
    # The day key (one bigint: high and low 32 bits in classid and objid) is not held or asked.
    assert not any((r[0] << 32) | r[1] == day_key for r in held)
    assert done.is_set()


@pytest.mark.usefixtures("postgres_only")
def test_a_week_saved_across_two_projects_locks_both_before_any_day(app, client, make, auth):
    contractor = make.contractor()
    alpha, beta = make.project(code="ALPHA"), make.project(code="BETA")
    make.assign(alpha, contractor)
    make.assign(beta, contractor)
    auth.login(contractor)
    now = today()
    monday = now - dt.timedelta(days=now.weekday() + 7)  # last week: every day editable
    year, week, _ = monday.isocalendar()
    form = {f"c-{alpha.id}-{monday.isoformat()}": "2", f"c-{beta.id}-{monday.isoformat()}": "3"}
    day_key = contractor.id * 1_000_000 + monday.toordinal()
    engine = app.extensions["tracker.engine"]
    outcome: list[int] = []
    with engine.connect() as freezer, engine.connect() as observer:
        freezer.execute(text("SELECT pg_advisory_lock(:ns, :id)"), {"ns": 1, "id": beta.id})
        saver = threading.Thread(
            target=lambda: outcome.append(
                client.post(f"/timesheet?week={year}-W{week:02d}", data=form).status_code
            ),
            daemon=True,
        )
        saver.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(not r[3] for r in _advisory_locks(observer)):
            time.sleep(0.01)
        held = _advisory_locks(observer)
        freezer.execute(text("SELECT pg_advisory_unlock(:ns, :id)"), {"ns": 1, "id": beta.id})
        freezer.commit()
        saver.join(10)

    assert (1, beta.id, "ShareLock", False) in held  # waiting for BETA's lock …
    assert not any((r[0] << 32) | r[1] == day_key for r in held)  # … holding no day lock yet
    assert outcome == [302]  # then the week saved
