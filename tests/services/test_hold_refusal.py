"""The refusal on a held project: the rule in one line, in the reader's timezone, with a link."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from tests.dates import days_ago, today, yesterday
from tests.edge import edge
from tracker.clock import day_text
from tracker.errors import ProjectFrozen
from tracker.services import entries
from tracker.services.entry_rules import Standing, create_refusal, hold_message

NOTICE = "Client breach; paused."
AUCKLAND = zoneinfo.ZoneInfo("Pacific/Auckland")


def _refusal(db, actor, owner, project, day) -> str:
    with pytest.raises(ProjectFrozen) as refused, edge(db):
        entries.log_time(
            db, actor, user=owner, project_id=project.id, work_date=day, hours="2", via="test"
        )
    return refused.value.message


def _started() -> dt.datetime:
    return dt.datetime.combine(yesterday(), dt.time(12), tzinfo=dt.UTC)


def test_the_refusal_says_since_when_in_the_readers_zone_and_that_nothing_can_be_logged(
    app, db, make
):
    casey = make.contractor(timezone="Pacific/Auckland")
    project = make.project(code="CHORDUS")
    make.assign(project, casey, start_date=days_ago(10))
    hold = make.hold(project, notice=NOTICE, started_at=_started())
    message = _refusal(db, casey, casey, project, days_ago(3))
    since = hold.started_at.astimezone(AUCKLAND)
    here = today(casey)
    assert message == (
        f"CHORDUS is on hold since {day_text(since.date(), here)} {since:%H:%M} NZDT: "
        "no hours can be logged or changed until it is lifted. "
        f"Notice, updates and offers: http://tracker.test/incidents/{hold.incident_id}"
    )
    assert NOTICE not in message  # the banner shows the notice; the refusal does not repeat it
    assert "\n" not in message


def test_with_backfill_the_refusal_names_the_last_day_that_still_takes_hours(app, db, make):
    casey = make.contractor()
    project = make.project(code="CHORDUS")
    make.assign(project, casey, start_date=days_ago(10))
    make.hold(project, allow_backfill=True, started_at=_started())
    message = _refusal(db, casey, casey, project, today())
    assert f": only days before {day_text(yesterday(), today())} can still take new hours." in (
        message
    )
    # The day before the hold is still open to new hours.
    entries.log_time(db, casey, project_id=project.id, work_date=days_ago(2), hours="1")


def test_an_admin_reads_the_hold_in_their_own_zone_and_is_sent_to_the_incident(app, db, make):
    admin = make.admin(timezone="Pacific/Auckland")
    casey = make.contractor()
    project = make.project(code="CHORDUS")
    make.assign(project, casey, start_date=days_ago(10))
    hold = make.hold(project, allow_backfill=True, started_at=_started())
    message = _refusal(db, admin, casey, project, days_ago(3))
    since = hold.started_at.astimezone(AUCKLAND)
    assert f"since {day_text(since.date(), today(admin))} {since:%H:%M} NZDT" in message
    # Backfill is the contractor's own: an admin logs nothing while the hold lasts.
    assert "no hours can be logged or changed until it is lifted. The incident: " in message


def test_the_timesheet_and_the_write_give_the_same_refusal(app, db, make):
    casey = make.contractor()
    project = make.project(code="CHORDUS")
    assignment = make.assign(project, casey, start_date=days_ago(10))
    hold = make.hold(project, started_at=_started())
    standing = Standing(project, hold, [assignment])
    page = create_refusal(casey, casey, standing, days_ago(3), today=today())
    assert isinstance(page, ProjectFrozen)
    assert page.message == _refusal(db, casey, casey, project, days_ago(3))
    assert page.message == hold_message(project, hold, casey)
