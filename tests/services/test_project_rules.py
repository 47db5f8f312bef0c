"""Project rules found in review: fixed code and currency, closing a held project, the
contractor's local date for assignments, and the contractor's default rate."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.dates import today
from tracker.db import unit_of_work
from tracker.errors import Invalid
from tracker.models import Assignment, AuditEvent, Hold, Notification, Project, User
from tracker.services import assignments, entries, projects, reassignment

# At any instant one of these two is not on the UTC date: Pago Pago is UTC-11 (yesterday
# before 11:00 UTC), Kiritimati UTC+14 (tomorrow from 10:00 UTC).
FAR_ZONES = ("Pacific/Pago_Pago", "Pacific/Kiritimati")


def _local_dates(zone: str) -> set[dt.date]:
    return {dt.datetime.now(zoneinfo.ZoneInfo(zone)).date()}


# --- #8: code and currency are fixed once the project exists ---------------------------------


@pytest.mark.parametrize(("field", "value"), [("code", "RENAMED"), ("currency", "USD")])
def test_code_and_currency_cannot_change(db, make, field, value):
    project = db.get(Project, make.project(code="KEEPME").id)
    with pytest.raises(Invalid) as caught:
        projects.update_project(db, None, project, name="Other", **{field: value})
    assert set(caught.value.fields) == {field}
    db.rollback()
    db.refresh(project)
    assert (project.code, project.currency) == ("KEEPME", "EUR")


def test_the_same_code_and_currency_may_be_sent_again(db, make):
    project = db.get(Project, make.project(code="KEEPME").id)
    projects.update_project(db, None, project, code="keepme", currency="eur", name="Renamed")
    db.commit()
    assert (project.code, project.currency, project.name) == ("KEEPME", "EUR", "Renamed")


# --- #5: closing a held project ends the hold out loud --------------------------------------


def test_closing_a_held_project_notifies_and_audits_the_end_of_the_hold(app, db, make):
    admin = make.admin()
    project = make.project(code="SHUT")
    on_it, gone = make.contractor(), make.contractor()
    make.assign(project, on_it)
    ended = make.assign(project, gone)
    assignments.end_assignment(db, None, db.get(Assignment, ended.id))
    db.commit()
    hold = make.hold(project)
    with app.app_context(), unit_of_work() as session:
        projects.update_project(
            session,
            session.get(User, admin.id),
            session.get(Project, project.id),
            status="closed",
        )
    hold = db.get(Hold, hold.id)
    db.refresh(hold)
    assert hold.ended_at is not None
    assert hold.ended_by_id == admin.id
    notes = db.scalars(select(Notification).where(Notification.kind == "hold_lifted")).all()
    assert [n.user_id for n in notes] == [on_it.id]
    assert notes[0].hold_id == hold.id
    assert "SHUT" in notes[0].message
    assert "closed" in notes[0].message
    assert "UTC" not in notes[0].message  # readers see the time in their own timezone
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "project.unfreeze"))
    assert event.actor_id == admin.id
    assert event.target_id == project.id
    assert event.data["reason"] == "project closed"
    assert event.data["hold"]["id"] == hold.id
    assert event.data["notified"] == 1
    assert event.data["after"] == {"status": "closed"}


def test_the_closing_note_is_added_with_a_space(db, make):
    project = make.project()
    hold = make.hold(project, note="Client asked.")
    projects.update_project(db, None, db.get(Project, project.id), status="closed")
    db.commit()
    db.refresh(hold)
    assert hold.note == "Client asked. Ended because the project was closed."


def test_closing_an_open_project_notifies_nobody(db, make):
    project = make.project()
    make.assign(project, make.contractor())
    projects.update_project(db, None, db.get(Project, project.id), status="closed")
    db.commit()
    assert db.scalar(select(Notification.id)) is None
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "project.unfreeze")) is None


# --- #6: the contractor's own date ----------------------------------------------------------


@pytest.mark.parametrize("zone", FAR_ZONES)
def test_a_direct_assignment_starts_on_the_contractors_date(db, make, zone):
    user = db.get(User, make.contractor(timezone=zone).id)
    before = _local_dates(zone)
    assignment = assignments.assign(db, None, db.get(Project, make.project().id), user)
    assert assignment.start_date in before | _local_dates(zone)


@pytest.mark.parametrize("zone", FAR_ZONES)
def test_ending_an_assignment_uses_the_contractors_date(db, make, zone):
    user = make.contractor(timezone=zone)
    row = make.assign(make.project(), user, start_date=today() - dt.timedelta(days=5))
    before = _local_dates(zone)
    assignments.end_assignment(db, None, db.get(Assignment, row.id))
    assert db.get(Assignment, row.id).end_date in before | _local_dates(zone)


# --- #16: the contractor's default rate ------------------------------------------------------


def test_the_default_rate_becomes_the_assignment_rate(db, make):
    project = db.get(Project, make.project(hourly_rate="50.00").id)
    user = db.get(User, make.contractor(hourly_rate="42.00").id)
    assignment = assignments.assign(db, None, project, user)
    assert assignment.hourly_rate == Decimal("42.00")
    entry = entries.log_time(
        db, user, project_id=project.id, work_date=assignment.start_date, minutes=90
    )
    assert entry.hourly_rate == Decimal("42.00")
    assert entries.amount(entry) == Decimal("63.00")


def test_an_explicit_rate_wins_and_no_default_means_the_project_rate(db, make):
    project = db.get(Project, make.project(hourly_rate="50.00").id)
    with_default = db.get(User, make.contractor(hourly_rate="42.00").id)
    without = db.get(User, make.contractor().id)
    assert assignments.assign(db, None, project, with_default, hourly_rate="60").hourly_rate == (
        Decimal("60.00")
    )
    assert assignments.assign(db, None, project, without).hourly_rate is None


def test_offers_and_the_join_show_the_rate_the_contractor_will_get(app, db, make):
    held = make.project(code="HELD", hourly_rate="30.00")
    target = make.project(code="TARGET", hourly_rate="50.00")
    user = make.contractor(hourly_rate="42.00")
    plain = make.contractor()
    make.assign(held, user, hourly_rate="35.00")
    make.assign(held, plain)
    make.hold(held)
    [offer] = reassignment.offers(db, db.get(User, user.id))
    assert offer.rate == Decimal("42.00")
    assert offer.difference == Decimal("7.00")
    assert reassignment.offers(db, db.get(User, plain.id))[0].rate == Decimal("50.00")
    with app.app_context(), unit_of_work() as session:
        joined = reassignment.accept(
            session, session.get(User, user.id), from_project_id=held.id, to_project_id=target.id
        )
        assert joined.hourly_rate == offer.rate
    note = db.scalar(select(Notification).where(Notification.kind == "reassignment_confirmed"))
    assert "42.00 EUR/h" in note.message
