"""Assignment dates: set when assigning, corrected later, never overlapping for one person."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.dates import days_ago, today
from tracker.errors import AlreadyAssigned, Invalid, NotAssigned, ProjectFull
from tracker.models import Assignment, AuditEvent, Project, User
from tracker.services import assignments, entries, seats


def _assign(db, project, person, **dates):
    return assignments.assign(
        db, None, db.get(Project, project.id), db.get(User, person.id), **dates
    )


def test_a_new_contractor_can_log_the_days_they_already_worked(db, make):
    project, person = make.project(code="CHORDUS"), make.contractor()
    _assign(db, project, person, start_date=days_ago(5))
    db.commit()
    entry = entries.log_time(
        db, db.get(User, person.id), project_id=project.id, work_date=days_ago(5), hours="7:30"
    )
    assert entry.minutes == 450


def test_an_assignment_that_has_ended_can_be_recorded_and_takes_no_seat(db, make):
    project, person = make.project(seats=1), make.contractor()
    past = _assign(db, project, person, start_date=days_ago(30), end_date=days_ago(20))
    db.commit()
    assert past.end_date == days_ago(20)
    assert seats.free_seats(db, db.get(Project, project.id)) == 1


def test_an_end_date_after_today_or_before_the_start_is_refused(db, make):
    project, person = make.project(), make.contractor()
    with pytest.raises(Invalid) as later:
        _assign(db, project, person, end_date=today() + dt.timedelta(days=1))
    assert "after today" in later.value.fields["end_date"][0]
    db.rollback()
    with pytest.raises(Invalid) as backwards:
        _assign(db, project, person, start_date=days_ago(2), end_date=days_ago(3))
    assert backwards.value.fields == {"end_date": ["The end date is before the start date."]}


def test_overlapping_assignments_of_one_person_on_a_project_are_refused(db, make):
    project, person = make.project(code="CHORDUS"), make.contractor(name="Ana Lima")
    _assign(db, project, person, start_date=days_ago(30), end_date=days_ago(10))
    db.commit()
    with pytest.raises(AlreadyAssigned, match="Ana Lima was on CHORDUS from"):
        _assign(db, project, person, start_date=days_ago(12))
    db.rollback()
    with pytest.raises(AlreadyAssigned):
        _assign(db, project, person, start_date=days_ago(40), end_date=days_ago(30))
    db.rollback()
    # The day after the earlier one ended is free; so is a stint before it.
    _assign(db, project, person, start_date=days_ago(40), end_date=days_ago(31))
    _assign(db, project, person, start_date=days_ago(9))
    db.commit()
    with pytest.raises(AlreadyAssigned, match="Ana Lima is already on CHORDUS from"):
        _assign(db, project, person, start_date=days_ago(2))
    db.rollback()
    rows = db.scalars(select(Assignment).where(Assignment.user_id == person.id)).all()
    assert len(rows) == 3


def test_an_admin_corrects_the_dates_and_the_change_is_audited(db, make):
    admin, project, person = make.admin(), make.project(), make.contractor()
    assignment = make.assign(project, person, start_date=today())
    assignments.change_dates(
        db, admin, db.get(Assignment, assignment.id), start_date=days_ago(7), end_date=None
    )
    db.commit()
    assert db.get(Assignment, assignment.id).start_date == days_ago(7)
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "assignment.update")).one()
    assert event.actor_id == admin.id
    assert event.data == {
        "before": {"start_date": today().isoformat()},
        "after": {"start_date": days_ago(7).isoformat()},
    }


def test_corrected_dates_keep_every_logged_hour_inside_an_assignment(db, make):
    project, person = make.project(code="CHORDUS"), make.contractor(name="Ana Lima")
    assignment = make.assign(project, person, start_date=days_ago(10))
    make.entry(person, project, work_date=days_ago(8))
    with pytest.raises(Invalid) as refused:
        assignments.change_dates(
            db, None, db.get(Assignment, assignment.id), start_date=days_ago(5)
        )
    assert "Ana Lima has hours on CHORDUS on" in refused.value.fields["start_date"][0]
    db.rollback()
    with pytest.raises(Invalid) as ended:
        assignments.change_dates(
            db,
            None,
            db.get(Assignment, assignment.id),
            start_date=days_ago(10),
            end_date=days_ago(9),
        )
    assert "end_date" in ended.value.fields


def test_an_ended_assignment_made_active_again_needs_a_free_seat(db, make):
    project = make.project(seats=1)
    first, second = make.contractor(), make.contractor()
    ended = make.assign(project, first, start_date=days_ago(20))
    assignments.end_assignment(db, None, db.get(Assignment, ended.id), today=days_ago(10))
    db.commit()
    make.assign(project, second, start_date=days_ago(5))
    with pytest.raises(ProjectFull):
        assignments.change_dates(
            db, None, db.get(Assignment, ended.id), start_date=days_ago(20), end_date=None
        )


def test_refusals_speak_to_the_contractor_and_name_them_to_an_admin(db, make):
    project = make.project(code="CHORDUS")
    person, admin = make.contractor(name="Ana Lima"), make.admin()
    make.assign(project, person, start_date=days_ago(3))
    day = days_ago(5)
    with pytest.raises(NotAssigned) as yours:
        entries.log_time(
            db, db.get(User, person.id), project_id=project.id, work_date=day, hours="2"
        )
    said = f"{day.day} {day:%b}"
    assert yours.value.message.startswith(f"You are not on CHORDUS on {said}")
    assert "your assignment starts on" in yours.value.message
    db.rollback()
    with pytest.raises(NotAssigned) as theirs:
        entries.log_time(
            db,
            db.get(User, admin.id),
            user=db.get(User, person.id),
            project_id=project.id,
            work_date=day,
            hours="2",
        )
    assert theirs.value.message.startswith(f"Ana Lima is not on CHORDUS on {said}")


def test_a_bad_duration_is_reported_before_the_assignment_dates(db, make):
    project, person = make.project(), make.contractor()
    make.assign(project, person, start_date=days_ago(3))
    with pytest.raises(Invalid) as refused:
        entries.log_time(
            db,
            db.get(User, person.id),
            project_id=project.id,
            work_date=days_ago(5),
            hours="seven",
        )
    assert "hours" in refused.value.fields
