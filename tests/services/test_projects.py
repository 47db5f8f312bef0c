"""Project services: validation, closing, seats and assignments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.dates import today
from tracker.errors import AlreadyAssigned, Duplicate, Invalid, ProjectClosed, ProjectFull
from tracker.models import Assignment, AuditEvent, Hold, Project, User, utcnow
from tracker.services import assignments, holds, projects, seats


def test_a_project_is_created_open_with_clean_values(db):
    project = projects.create_project(
        db,
        None,
        code=" chordus ",
        name="Core",
        client="",
        seats="3",
        skills="Python, SQL",
        hourly_rate="62.5",
    )
    assert (
        project.code,
        project.status,
        project.seats,
        project.skills,
        project.hourly_rate,
        project.currency,
    ) == ("CHORDUS", "open", 3, ["python", "sql"], Decimal("62.50"), "EUR")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"seats": -1}, "seats"),
        ({"seats": True}, "seats"),
        ({"hourly_rate": "-1"}, "hourly_rate"),
        ({"hourly_rate": "1.005"}, "hourly_rate"),
        ({"hourly_rate": "NaN"}, "hourly_rate"),
        ({"hourly_rate": "Infinity"}, "hourly_rate"),
        ({"hourly_rate": True}, "hourly_rate"),
        ({"hourly_rate": "1e3"}, None),  # a plain exponent is a valid amount
        ({"code": "A"}, "code"),
        ({"code": "X" * 21}, "code"),
        ({"currency": "EURO"}, "currency"),
        ({"name": "line\nbreak"}, "name"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_values_are_refused_by_field(db, values, field):
    base = {"code": "OKAY", "name": "Fine", "hourly_rate": "10"}
    if field is None:
        projects.create_project(db, None, **{**base, **values})
        return
    with pytest.raises(Invalid) as caught:
        projects.create_project(db, None, **{**base, **values})
    assert field in caught.value.fields


def test_codes_are_unique(db, make):
    make.project(code="UNIQUE")
    with pytest.raises(Duplicate):
        projects.create_project(db, None, code="unique", name="Again", hourly_rate="1")


def test_closing_ends_a_hold_in_force_and_blocks_further_changes(db, make):
    project = make.project()
    make.hold(project)
    project = db.get(Project, project.id)
    projects.update_project(db, None, project, status="closed")
    db.commit()
    hold = db.scalar(select(Hold).where(Hold.project_id == project.id))
    assert project.status == "closed"
    assert hold.ended_at is not None
    with pytest.raises(ProjectClosed):
        projects.update_project(db, None, project, name="Reopen?")


def test_status_can_only_be_set_to_closed(db, make):
    project = db.get(Project, make.project().id)
    with pytest.raises(Invalid):
        projects.update_project(db, None, project, status="frozen")
    with pytest.raises(Invalid):
        projects.update_project(db, None, project, status="open_please")


def test_updates_are_audited_with_before_and_after(db, make):
    project = db.get(Project, make.project(name="Before").id)
    projects.update_project(db, None, project, name="After", seats=4)
    db.commit()
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "project.update"))
    assert event.data == {
        "before": {"name": "Before", "seats": None},
        "after": {"name": "After", "seats": 4},
    }


def test_seats_are_never_oversubscribed(db, make):
    project = make.project(seats=2)
    people = [make.contractor() for _ in range(3)]
    for person in people[:2]:
        make.assign(project, person)
    with pytest.raises(ProjectFull):
        assignments.assign(db, None, db.get(Project, project.id), db.get(User, people[2].id))
    assert seats.free_seats(db, db.get(Project, project.id)) == 0


def test_zero_seats_means_nobody_and_no_seats_means_unlimited(db, make):
    closed_door = make.project(seats=0)
    with pytest.raises(ProjectFull):
        assignments.assign(
            db, None, db.get(Project, closed_door.id), db.get(User, make.contractor().id)
        )
    db.rollback()
    open_door = make.project(seats=None)
    for _ in range(3):
        make.assign(open_door, make.contractor())
    assert seats.free_seats(db, db.get(Project, open_door.id)) is None


def test_a_person_is_on_a_project_once_at_a_time(db, make):
    project, person = make.project(), make.contractor()
    first = make.assign(project, person)
    with pytest.raises(AlreadyAssigned):
        assignments.assign(db, None, db.get(Project, project.id), db.get(User, person.id))
    db.rollback()
    assignments.end_assignment(db, None, db.get(Assignment, first.id))
    db.commit()
    # Ended today, it still covers today: a new assignment from today would overlap it.
    with pytest.raises(AlreadyAssigned, match="choose dates outside that"):
        assignments.assign(db, None, db.get(Project, project.id), db.get(User, person.id))
    db.rollback()
    again = assignments.assign(
        db,
        None,
        db.get(Project, project.id),
        db.get(User, person.id),
        start_date=today() + dt.timedelta(days=1),
    )
    db.commit()
    assert again.id != first.id


def test_ending_keeps_the_assignment_and_cannot_happen_twice(db, make):
    assignment = make.assign(
        make.project(), make.contractor(), start_date=today() - dt.timedelta(days=3)
    )
    row = db.get(Assignment, assignment.id)
    assignments.end_assignment(db, None, row)
    db.commit()
    assert row.end_date == today()
    with pytest.raises(Invalid):
        assignments.end_assignment(db, None, row)


def test_an_assignment_starting_in_the_future_ends_no_earlier_than_it_starts(db, make):
    start = today() + dt.timedelta(days=5)
    assignment = make.assign(make.project(), make.contractor(), start_date=start)
    row = db.get(Assignment, assignment.id)
    assignments.end_assignment(db, None, row)
    db.commit()
    assert row.end_date == start


def test_only_active_contractors_are_assigned(db, make):
    project = db.get(Project, make.project().id)
    with pytest.raises(Invalid):
        assignments.assign(db, None, project, db.get(User, make.admin().id))
    disabled = db.get(User, make.contractor().id)
    disabled.active = False
    db.commit()
    with pytest.raises(Invalid):
        assignments.assign(db, None, project, disabled)


def test_contractors_see_only_projects_they_are_or_were_on(db, make):
    mine, other = make.project(code="MINEP"), make.project(code="OTHERP")
    person = make.contractor()
    make.assign(mine, person)
    viewer = db.get(User, person.id)
    assert [p.code for p in projects.list_projects(db, viewer)] == ["MINEP"]
    admin = db.get(User, make.admin().id)
    assert {p.code for p in projects.list_projects(db, admin)} == {"MINEP", "OTHERP"}
    assert holds.active_holds(db, [mine.id, other.id]) == {}


def test_active_holds_maps_each_project_to_its_hold(db, make):
    project = make.project()
    hold = make.hold(project)
    found = holds.active_holds(db, [project.id])
    assert found[project.id].id == hold.id
    assert found[project.id].started_at <= utcnow()
