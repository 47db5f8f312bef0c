"""Searching the audit log: a date range pages through every event in it exactly once, newest
first by time, even where events were written out of time order (a long transaction commits its
event after a later one)."""

from __future__ import annotations

import datetime as dt

from tests.dates import days_ago
from tracker.models import AuditEvent
from tracker.services import audit


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def test_a_date_range_pages_by_time_through_every_event_once(db):
    inside, before, after = days_ago(20), days_ago(21), days_ago(19)
    # Ids in this order, times deliberately not: hour 5 is written after hour 9, and two share 7.
    hours = [1, 3, 9, 5, 7, 7, 2, 8, 4, 6]
    rows = [
        AuditEvent(action="probe", data={"n": n}, at=_at(inside, h)) for n, h in enumerate(hours)
    ]
    rows += [AuditEvent(action="probe", data={"n": "before"}, at=_at(before, 23))]
    rows += [AuditEvent(action="probe", data={"n": "after"}, at=_at(after, 0))]
    db.add_all(rows)
    db.commit()

    seen: list[AuditEvent] = []
    cursor = None
    for _ in range(10):
        page = audit.search(db, start=inside, end=inside, before_id=cursor, limit=3)
        seen += page
        if len(page) < 3:
            break
        cursor = page[-1].id
    assert sorted(e.data["n"] for e in seen) == list(range(len(hours)))  # each once, none outside
    keys = [(e.at, e.id) for e in seen]
    assert keys == sorted(keys, reverse=True)  # newest first, ties by id
    assert [e.at.hour for e in seen[:3]] == [9, 8, 7]


def test_a_cursor_that_is_no_event_gives_an_empty_page_not_an_error(db):
    db.add(AuditEvent(action="probe", at=_at(days_ago(3), 12)))
    db.commit()
    assert audit.search(db, start=days_ago(3), before_id=10**9) == []


def test_without_dates_the_order_stays_by_id(db):
    day = days_ago(2)
    db.add_all(
        [AuditEvent(action="probe", data={"n": n}, at=_at(day, h)) for n, h in enumerate([5, 1])]
    )
    db.commit()
    assert [e.data["n"] for e in audit.search(db, action="probe")] == [1, 0]
