"""Approving, rejecting and listing entries, and the concurrent daily-limit race."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from tests.dates import today, yesterday
from tracker.db import get_session, unit_of_work
from tracker.errors import DailyLimit, Forbidden, Invalid, NotFound
from tracker.models import Notification, TimeEntry, User
from tracker.services import entries


def test_rejection_needs_a_reason_and_notifies_the_owner(db, make, setup):
    contractor, admin, project = setup
    entry = make.entry(contractor, project, work_date=yesterday(), minutes=90)
    with pytest.raises(Invalid):
        entries.reject(db, admin, [entry.id], "  ")
    with pytest.raises(Forbidden):
        entries.reject(db, contractor, [entry.id], "no")
    entries.reject(db, admin, [entry.id], "Wrong project")
    db.commit()
    db.refresh(entry)
    assert entry.status == "rejected"
    assert entry.rejection_reason == "Wrong project"
    note = db.scalar(select(Notification).where(Notification.user_id == contractor.id))
    assert note.kind == "entry_rejected"
    assert note.entry_id == entry.id
    assert "Wrong project" in note.message
    assert "CHORDUS" in note.message
    fixed = entries.update_entry(db, contractor, entry.id, hours="1", today=today())
    assert fixed.status == "submitted"
    entries.delete_entry(db, contractor, entry.id, today=today())
    db.commit()
    assert db.scalar(select(Notification.entry_id).where(Notification.id == note.id)) is None


def test_others_entries_are_not_found_and_lists_page_by_keyset(db, make, setup):
    contractor, admin, project = setup
    other = make.contractor()
    mine = [
        make.entry(contractor, project, work_date=today() - dt.timedelta(days=i % 3))
        for i in range(7)
    ]
    theirs = make.entry(other, project)
    with pytest.raises(NotFound):
        entries.get_entry(db, contractor, theirs.id)
    seen, cursor = [], None
    for _ in range(10):
        page, cursor = entries.list_entries(db, contractor, after=cursor, limit=3)
        seen.extend(page)
        if cursor is None:
            break
    assert sorted(e.id for e in seen) == sorted(e.id for e in mine)
    keys = [(e.work_date, e.id) for e in seen]
    assert keys == sorted(keys, reverse=True)
    everyone, _ = entries.list_entries(db, admin, limit=500)
    assert len(everyone) == 8


@pytest.mark.slow
def test_two_entries_for_the_same_day_at_the_same_instant_cannot_pass_24_hours(app, make):
    contractor = make.contractor()
    first, second = make.project(code="RACEA"), make.project(code="RACEB")
    make.assign(first, contractor)
    make.assign(second, contractor)
    barrier = threading.Barrier(2, timeout=10)
    outcomes: list[str] = []

    def write(project_id: int) -> None:
        with app.app_context():
            session = get_session()
            actor = session.get(User, contractor.id)
            session.commit()
            barrier.wait()
            try:
                with unit_of_work(session):
                    entries.log_time(
                        session,
                        actor,
                        project_id=project_id,
                        work_date=yesterday(),
                        hours="13",
                        today=today(),
                    )
                outcomes.append("ok")
            except DailyLimit:
                outcomes.append("daily_limit")

    threads = [threading.Thread(target=write, args=(p.id,)) for p in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["daily_limit", "ok"]
    with app.app_context():
        total = get_session().scalar(select(func.sum(TimeEntry.minutes)))
    assert total == 780


def test_entries_logged_before_a_hold_stay_approvable(db, make, setup):
    contractor, admin, project = setup
    entry = make.entry(contractor, project, work_date=yesterday())
    make.hold(project)
    assert entries.approve(db, admin, [entry.id])[0].status == "approved"
