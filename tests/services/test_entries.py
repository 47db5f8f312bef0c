"""The entry rules at the service layer: assignment, dates, durations, the daily limit, the
backdating window, corrections, holds and closed projects."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.dates import today, yesterday
from tests.edge import edge
from tracker.errors import (
    DailyLimit,
    EntryLocked,
    Forbidden,
    FutureDate,
    Invalid,
    NotAssigned,
    PeriodLocked,
    ProjectClosed,
    ProjectFrozen,
)
from tracker.models import AuditEvent, ExportBatch, TimeEntry
from tracker.services import assignments, entries, projects


def test_logging_time_stores_minutes_rate_currency_and_an_audit_event(db, make, setup):
    contractor, _admin, project = setup
    other = make.project(code="OTHER", hourly_rate="30.00", currency="USD")
    make.assign(other, contractor, hourly_rate="55.00")
    entry = entries.log_time(
        db,
        contractor,
        project_id=project.id,
        work_date=yesterday(),
        hours="7:30",
        description="Reconciliation",
        today=today(),
    )
    override = entries.log_time(
        db, contractor, project_id=other.id, work_date=yesterday(), minutes=60, today=today()
    )
    db.commit()
    assert (entry.minutes, entry.hourly_rate, entry.currency) == (450, Decimal("40.00"), "EUR")
    assert (override.hourly_rate, override.currency) == (Decimal("55.00"), "USD")
    assert entries.amount(entry) == Decimal("300.00")
    event = db.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "entry.create", AuditEvent.target_id == entry.id
        )
    )
    assert event.actor_id == contractor.id
    assert event.data["after"]["minutes"] == 450


def test_a_later_rate_change_never_rewrites_the_entry(db, setup):
    contractor, _admin, project = setup
    entry = entries.log_time(
        db, contractor, project_id=project.id, work_date=yesterday(), hours="2", today=today()
    )
    projects.update_project(db, None, project, hourly_rate="99.00")
    db.commit()
    db.refresh(entry)
    assert entry.hourly_rate == Decimal("40.00")


def test_time_outside_the_assignment_or_on_a_foreign_project_is_not_assigned(db, make, setup):
    contractor, _admin, _project = setup
    stranger = make.project(code="STRANGER")
    with pytest.raises(NotAssigned):
        entries.log_time(
            db, contractor, project_id=stranger.id, work_date=yesterday(), hours="1", today=today()
        )
    ended = make.project(code="ENDED")
    assignment = make.assign(ended, contractor, start_date=today() - dt.timedelta(days=10))
    assignments.end_assignment(db, None, db.merge(assignment), today=today() - dt.timedelta(days=5))
    db.commit()
    inside = entries.log_time(
        db,
        contractor,
        project_id=ended.id,
        work_date=today() - dt.timedelta(days=5),
        hours="1",
        today=today(),
    )
    assert inside.id
    for day in (today() - dt.timedelta(days=4), today() - dt.timedelta(days=11)):
        with pytest.raises(NotAssigned):
            entries.log_time(
                db, contractor, project_id=ended.id, work_date=day, hours="1", today=today()
            )


def test_today_is_the_contractors_own_date_at_both_ends_of_the_world(db, make):
    project = make.project(code="WORLD")
    east = make.contractor(timezone="Pacific/Kiritimati")  # UTC+14
    west = make.contractor(timezone="Etc/GMT+12")  # UTC-12
    make.assign(project, east)
    make.assign(project, west)
    instant = dt.datetime(today().year, today().month, today().day, 10, 30, tzinfo=dt.UTC)
    east_today = today() + dt.timedelta(days=1)
    west_today = today() - dt.timedelta(days=1)
    assert (
        entries.log_time(
            db, east, project_id=project.id, work_date=east_today, hours="1", now=instant
        ).work_date
        == east_today
    )
    assert (
        entries.log_time(
            db, west, project_id=project.id, work_date=west_today, hours="1", now=instant
        ).work_date
        == west_today
    )
    with pytest.raises(FutureDate):
        entries.log_time(db, west, project_id=project.id, work_date=today(), hours="1", now=instant)
    with pytest.raises(FutureDate):
        entries.log_time(
            db,
            east,
            project_id=project.id,
            work_date=east_today + dt.timedelta(days=1),
            hours="1",
            now=instant,
        )


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": 1441}, "minutes"),
        ({"minutes": -5}, "minutes"),
        ({"hours": "0"}, "hours"),
        ({"hours": "24:01"}, "hours"),
        ({"hours": "7.3333"}, "hours"),
        ({}, "hours"),
        ({"hours": "2", "minutes": 120}, "hours"),
    ],
)
def test_minutes_out_of_range_or_not_whole_are_invalid(db, setup, kw, field):
    contractor, _admin, project = setup
    with pytest.raises(Invalid) as refused:
        entries.log_time(
            db, contractor, project_id=project.id, work_date=yesterday(), today=today(), **kw
        )
    assert field in refused.value.fields


def test_description_length_and_control_characters_are_refused(db, setup):
    contractor, _admin, project = setup
    for text in ("x" * 2001, "bell\x07"):
        with pytest.raises(Invalid) as refused:
            entries.log_time(
                db,
                contractor,
                project_id=project.id,
                work_date=yesterday(),
                hours="1",
                description=text,
                today=today(),
            )
        assert "description" in refused.value.fields
    ok = entries.log_time(
        db,
        contractor,
        project_id=project.id,
        work_date=yesterday(),
        hours="1",
        description="line one\nline two " + "x" * 1900,
        today=today(),
    )
    assert "\n" in ok.description


def test_a_day_holds_at_most_24_hours_across_all_projects(db, make, setup):
    contractor, _admin, project = setup
    other = make.project(code="OTHER")
    make.assign(other, contractor)
    entries.log_time(
        db, contractor, project_id=project.id, work_date=yesterday(), hours="16", today=today()
    )
    with pytest.raises(DailyLimit):
        entries.log_time(
            db, contractor, project_id=other.id, work_date=yesterday(), hours="8:01", today=today()
        )
    assert (
        entries.log_time(
            db, contractor, project_id=other.id, work_date=yesterday(), hours="8", today=today()
        ).minutes
        == 480
    )


def test_contractors_cannot_backdate_beyond_the_window_but_admins_can(db, setup):
    contractor, admin, project = setup
    old = today() - dt.timedelta(days=15)
    with pytest.raises(PeriodLocked):
        entries.log_time(
            db, contractor, project_id=project.id, work_date=old, hours="1", today=today()
        )
    assert entries.log_time(
        db,
        contractor,
        project_id=project.id,
        work_date=today() - dt.timedelta(days=14),
        hours="1",
        today=today(),
    )
    entry = entries.log_time(
        db, admin, user=contractor, project_id=project.id, work_date=old, hours="1", today=today()
    )
    assert entry.user_id == contractor.id
    assert entry.created_by_id == admin.id
    with pytest.raises(PeriodLocked):
        entries.update_entry(db, contractor, entry.id, hours="2", today=today())
    with pytest.raises(PeriodLocked):
        entries.log_time(
            db,
            contractor,
            project_id=project.id,
            work_date=old,
            hours="1",
            today=today(),
            backdating_days=7,
        )


def test_only_admins_log_for_someone_else(db, make, setup):
    contractor, _admin, project = setup
    other = make.contractor()
    with pytest.raises(Forbidden):
        entries.log_time(
            db,
            other,
            user=contractor,
            project_id=project.id,
            work_date=yesterday(),
            hours="1",
            today=today(),
        )


def test_approved_entries_are_read_only_for_contractors_not_admins(db, setup):
    contractor, admin, project = setup
    entry = entries.log_time(
        db, contractor, project_id=project.id, work_date=yesterday(), hours="1", today=today()
    )
    entries.approve(db, admin, [entry.id])
    db.commit()
    with pytest.raises(EntryLocked):
        entries.update_entry(db, contractor, entry.id, hours="2", today=today())
    with pytest.raises(EntryLocked):
        entries.delete_entry(db, contractor, entry.id, today=today())
    changed = entries.update_entry(db, admin, entry.id, hours="2", today=today())
    assert changed.minutes == 120
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "entry.update"))
    assert event.actor_id == admin.id
    assert event.data["before"]["minutes"] == 60
    assert event.data["after"]["minutes"] == 120


def test_exported_entries_are_read_only_for_everyone_and_corrected_by_a_new_entry(db, make, setup):
    contractor, admin, project = setup
    batch = ExportBatch(
        period_start=yesterday(), period_end=yesterday(), sha256="0" * 64, content=b""
    )
    db.add(batch)
    db.commit()
    entry = make.entry(
        contractor,
        project,
        work_date=yesterday(),
        minutes=120,
        status="approved",
        export_batch_id=batch.id,
        hourly_rate=Decimal("50.00"),
    )
    for actor in (contractor, admin):
        with pytest.raises(EntryLocked):
            entries.update_entry(db, actor, entry.id, hours="1", today=today())
        with pytest.raises(EntryLocked):
            entries.delete_entry(db, actor, entry.id, today=today())
    with pytest.raises(EntryLocked):
        entries.approve(db, admin, [entry.id])
    with pytest.raises(Forbidden):
        entries.log_time(
            db,
            contractor,
            project_id=project.id,
            work_date=yesterday(),
            hours="-1",
            corrects_entry_id=entry.id,
            today=today(),
        )
    correction = entries.log_time(
        db,
        admin,
        user=contractor,
        project_id=project.id,
        work_date=yesterday(),
        hours="-0:30",
        corrects_entry_id=entry.id,
        today=today(),
    )
    assert correction.is_correction
    assert correction.minutes == -30
    assert correction.corrects_entry_id == entry.id
    assert correction.hourly_rate == Decimal("50.00")


def test_a_hold_is_reported_first_and_the_refusal_is_audited(app, db, make, setup):
    contractor, _admin, project = setup
    hold = make.hold(project, notice="Client breach; paused.")
    future = today() + dt.timedelta(days=3)
    with pytest.raises(ProjectFrozen) as refused, edge(db):
        entries.log_time(
            db,
            contractor,
            project_id=project.id,
            work_date=future,
            hours="99",
            today=today(),
            via="test",
        )
    # The rule in one line; the notice is the banner's, not repeated here.
    assert "CHORDUS is on hold since" in refused.value.message
    assert "Client breach; paused." not in refused.value.message
    assert refused.value.extra["hold"]["id"] == hold.id
    assert refused.value.extra["hold"]["started_at"].endswith("Z")
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "entry.refused"))
    assert event.actor_id == contractor.id
    assert event.target_id == project.id
    assert db.scalar(select(func.count()).select_from(TimeEntry)) == 0


def test_backfill_lets_contractors_create_before_the_hold_only(db, make, setup):
    contractor, admin, project = setup
    before = make.entry(contractor, project, work_date=today() - dt.timedelta(days=3))
    make.hold(
        project,
        allow_backfill=True,
        started_at=dt.datetime.combine(yesterday(), dt.time(12), tzinfo=dt.UTC),
    )
    made = entries.log_time(
        db,
        contractor,
        project_id=project.id,
        work_date=today() - dt.timedelta(days=2),
        hours="3",
        today=today(),
    )
    assert made.minutes == 180
    for day in (yesterday(), today()):
        with pytest.raises(ProjectFrozen):
            entries.log_time(
                db, contractor, project_id=project.id, work_date=day, hours="1", today=today()
            )
    with pytest.raises(ProjectFrozen):
        entries.update_entry(db, contractor, before.id, hours="2", today=today())
    with pytest.raises(ProjectFrozen):
        entries.delete_entry(db, contractor, before.id, today=today())
    with pytest.raises(ProjectFrozen):
        entries.log_time(
            db,
            admin,
            user=contractor,
            project_id=project.id,
            work_date=today() - dt.timedelta(days=2),
            hours="1",
            today=today(),
        )


def test_a_move_between_projects_checks_both_and_reprices(db, make, setup):
    contractor, _admin, project = setup
    held = make.project(code="HELD")
    make.assign(held, contractor)
    target = make.project(code="TARGET", hourly_rate="70.00", currency="GBP")
    make.assign(target, contractor)
    entry = make.entry(contractor, project, work_date=yesterday(), minutes=60)
    on_held = make.entry(contractor, held, work_date=yesterday(), minutes=60)
    make.hold(held)
    with pytest.raises(ProjectFrozen):
        entries.update_entry(db, contractor, entry.id, project_id=held.id, today=today())
    with pytest.raises(ProjectFrozen):
        entries.update_entry(db, contractor, on_held.id, project_id=target.id, today=today())
    moved = entries.update_entry(db, contractor, entry.id, project_id=target.id, today=today())
    assert (moved.project_id, moved.hourly_rate, moved.currency) == (
        target.id,
        Decimal("70.00"),
        "GBP",
    )


def test_closed_projects_refuse_new_time(db, setup):
    contractor, _admin, project = setup
    projects.update_project(db, None, project, status="closed")
    db.commit()
    with pytest.raises(ProjectClosed):
        entries.log_time(
            db, contractor, project_id=project.id, work_date=yesterday(), hours="1", today=today()
        )
