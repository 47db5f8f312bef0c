"""An admin's correction entry is the admin's to change; writes lock the entry's real project.

Review findings #1 (a contractor could edit or delete the correction of their own hours) and #12
(update and delete chose the project to lock from a read made before any lock).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from tests.dates import today, yesterday
from tracker.db import get_engine
from tracker.errors import EntryLocked, ProjectFrozen
from tracker.models import Project, TimeEntry, User
from tracker.services import entries


@pytest.fixture
def corrected(db, make):
    """A contractor's 4 h entry and an admin's -2 h correction of it."""
    contractor = make.contractor()
    admin = make.admin()
    project = make.project(code="ALPHA", hourly_rate="40.00")
    make.assign(project, contractor, start_date=today() - dt.timedelta(days=10))
    original = make.entry(contractor, project, work_date=yesterday(), minutes=240)
    correction = make.correction(admin, original, "-2", work_date=yesterday(), today=today())
    return contractor, admin, project, correction


def test_the_contractor_cannot_change_or_delete_an_admins_correction(db, corrected):
    contractor, _admin, _project, correction = corrected
    for changes in ({"hours": "10"}, {"hours": "-1"}, {"hours": "lots"}, {"description": "x"}):
        with pytest.raises(EntryLocked, match="only an admin can change or remove it"):
            entries.update_entry(db, contractor, correction.id, today=today(), **changes)
        db.rollback()
    with pytest.raises(EntryLocked, match="only an admin"):
        entries.delete_entry(db, contractor, correction.id, today=today())
    db.rollback()
    stored = db.get(TimeEntry, correction.id, populate_existing=True)
    assert (stored.minutes, stored.description, stored.is_correction) == (-120, "", True)


def test_an_admin_still_changes_and_removes_a_correction(db, corrected):
    _contractor, admin, _project, correction = corrected
    changed = entries.update_entry(db, admin, correction.id, hours="-1:30", today=today())
    assert changed.minutes == -90
    entries.delete_entry(db, admin, correction.id, today=today())
    db.commit()
    assert db.get(TimeEntry, correction.id) is None


def test_the_amount_is_rounded_half_up_as_payroll_pays_it(db, make):
    contractor = make.contractor()
    project = make.project(hourly_rate="0.30")
    one_minute = make.entry(contractor, project, minutes=1)  # 0.005 → 0.01, not 0.00
    assert entries.amount(one_minute) == Decimal("0.01")
    refund = make.entry(contractor, project, minutes=-1, is_correction=True)
    assert entries.amount(refund) == Decimal("-0.01")


def _stale_session(app):
    """A second app session (expire_on_commit=False, as the app's) that has read the entry."""
    return sessionmaker(bind=get_engine(), expire_on_commit=False)()


@pytest.mark.parametrize("operation", ["update", "delete"])
def test_a_write_from_a_stale_read_locks_and_checks_the_project_the_entry_is_on_now(
    app, db, make, operation
):
    contractor = make.contractor()
    old = make.project(code="OLD")
    new = make.project(code="NEW")
    for project in (old, new):
        make.assign(project, contractor, start_date=today() - dt.timedelta(days=10))
    entry = make.entry(contractor, old, work_date=yesterday(), minutes=60)
    stale = _stale_session(app)
    try:
        actor = stale.get(User, contractor.id)
        seen = stale.get(TimeEntry, entry.id)  # kept: the identity map holds it only while used
        assert seen.project_id == old.id  # the read made before any lock
        stale.commit()
        # Meanwhile another request moves the entry to NEW, and NEW is put on hold.
        db.get(TimeEntry, entry.id).project_id = new.id
        db.commit()
        make.hold(db.get(Project, new.id), notice="NEW is paused.")
        write = {
            "update": lambda: entries.update_entry(
                stale, actor, entry.id, description="late", today=today()
            ),
            "delete": lambda: entries.delete_entry(stale, actor, entry.id, today=today()),
        }[operation]
        with pytest.raises(ProjectFrozen) as refused:
            write()
        assert refused.value.extra["hold"]["notice"] == "NEW is paused."
        stale.rollback()
    finally:
        stale.close()
    db.expire_all()
    stored = db.scalar(select(TimeEntry).where(TimeEntry.id == entry.id))
    assert stored is not None
    assert (stored.project_id, stored.description) == (new.id, "")


def test_an_edit_from_a_stale_read_keeps_the_entry_on_the_project_it_is_on_now(app, db, make):
    contractor = make.contractor()
    old = make.project(code="OLD")
    new = make.project(code="NEW", hourly_rate="70.00")
    for project in (old, new):
        make.assign(project, contractor, start_date=today() - dt.timedelta(days=10))
    entry = make.entry(contractor, old, work_date=yesterday(), minutes=60)
    stale = _stale_session(app)
    try:
        actor = stale.get(User, contractor.id)
        seen = stale.get(TimeEntry, entry.id)  # kept: the identity map holds it only while used
        assert seen.project_id == old.id
        stale.commit()
        moved = db.get(TimeEntry, entry.id)
        moved.project_id, moved.hourly_rate = new.id, Decimal("70.00")
        db.commit()
        changed = entries.update_entry(stale, actor, entry.id, description="later", today=today())
        stale.commit()
        assert (changed.project_id, changed.hourly_rate) == (new.id, Decimal("70.00"))
    finally:
        stale.close()
    db.expire_all()
    stored = db.get(TimeEntry, entry.id)
    assert (stored.project_id, stored.description) == (new.id, "later")
