"""The pages offer a change exactly where the entries service would accept it.

The entries list shows Edit only for entries ``update_entry`` would change, and the timesheet
shows an input only in cells where ``update_entry`` (an entry) or ``log_time`` (an empty cell)
would accept the contractor's change: held, closed, approved, exported, corrected, out of the
assignment, out of the backdating window and future dates included.
"""

from __future__ import annotations

import datetime as dt
import html

import pytest
from sqlalchemy import select

from tests.dates import days_ago, monday, today
from tracker.errors import DomainError
from tracker.models import Assignment, ExportBatch, Project, TimeEntry, User
from tracker.services import entries


def _accepts(db, action) -> bool:
    """Whether the service accepts the change; nothing it did is kept."""
    try:
        action()
    except DomainError:
        return False
    finally:
        db.rollback()
    return True


@pytest.fixture
def world(make, db, auth):
    """A contractor with entries in every state the rules tell apart, signed in."""
    casey = make.contractor(name="Casey")
    admin = make.admin()
    open_ = make.project(code="OPEN")
    held = make.project(code="HELD")
    shut = make.project(code="SHUT")
    late = make.project(code="LATE")
    for project in (open_, held, shut):
        make.assign(project, casey, start_date=days_ago(40))
    make.assign(late, casey, start_date=days_ago(5))
    batch = ExportBatch(period_start=days_ago(30), period_end=today(), sha256="", content=b"")
    db.add(batch)
    db.commit()
    made = {
        "plain": make.entry(casey, open_, work_date=days_ago(2)),
        "rejected": make.entry(casey, open_, work_date=days_ago(3), status="rejected"),
        "approved": make.entry(casey, open_, work_date=days_ago(4), status="approved"),
        "exported": make.entry(casey, open_, work_date=days_ago(5), export_batch_id=batch.id),
        "too old": make.entry(casey, open_, work_date=days_ago(20)),
        "future": make.entry(casey, open_, work_date=today() + dt.timedelta(days=1)),
        "held": make.entry(casey, held, work_date=days_ago(2)),
        "closed": make.entry(casey, shut, work_date=days_ago(2)),
        "before assignment": make.entry(casey, late, work_date=days_ago(8)),
    }
    made["correction"] = make.correction(admin, made["plain"], "-0:30", days_ago(2), today())
    make.hold(held)
    shut_row = db.get(Project, shut.id)
    shut_row.status = "closed"
    db.commit()
    auth.login(casey)
    return db.get(User, casey.id), made


def test_the_entries_list_offers_edit_exactly_where_update_entry_accepts(client, db, world):
    casey, made = world
    page = client.get("/entries?from=" + days_ago(30).isoformat()).get_data(as_text=True)
    offered = {name: f"/entries/{e.id}/edit" in page for name, e in made.items()}
    accepted = {
        name: _accepts(db, lambda e=e: entries.update_entry(db, casey, e.id, description="x"))
        for name, e in made.items()
    }
    assert offered == accepted
    assert accepted == {
        "plain": True,
        "rejected": True,
        "approved": False,
        "exported": False,
        "too old": False,
        "future": False,
        "held": False,
        "closed": False,
        "before assignment": False,
        "correction": False,
    }


def test_the_timesheet_offers_an_input_exactly_where_the_service_accepts(client, db, world):
    casey, _made = world
    week = monday() - dt.timedelta(days=7)
    label = f"{week.isocalendar()[0]}-W{week.isocalendar()[1]:02d}"
    pages = [client.get("/timesheet", query_string={"week": w}) for w in (label, None)]
    text = "".join(html.unescape(p.get_data(as_text=True)) for p in pages)
    projects = db.scalars(
        select(Project)
        .join(Assignment, Assignment.project_id == Project.id)
        .where(Assignment.user_id == casey.id)
    ).all()
    checked = 0
    for day in (week + dt.timedelta(days=n) for n in range(14)):
        for project in projects:
            on_day = db.scalars(
                select(TimeEntry).where(
                    TimeEntry.user_id == casey.id,
                    TimeEntry.project_id == project.id,
                    TimeEntry.work_date == day,
                )
            ).all()
            if len(on_day) > 1:
                continue  # several entries on one day are changed on the entries page
            if on_day:
                entry_id = on_day[0].id

                def change(entry_id=entry_id):
                    entries.update_entry(db, casey, entry_id, description="x")

            else:

                def change(project=project, day=day):
                    entries.log_time(db, casey, project_id=project.id, work_date=day, minutes=30)

            offered = f'name="c-{project.id}-{day.isoformat()}"' in text
            assert offered == _accepts(db, change), (project.code, day, on_day)
            checked += 1
    assert checked > 40  # every project on every day of both weeks was compared
