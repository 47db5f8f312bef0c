"""Admin pages: dates set when assigning, corrected afterwards, overlaps refused in words."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.dates import days_ago, today
from tracker.models import Assignment


@pytest.fixture
def admin(auth, make):
    user = make.admin()
    auth.login(user)
    return user


def test_an_admin_assigns_from_an_earlier_start_and_until_an_end(client, admin, db, make):
    project, person = make.project(code="CHORDUS"), make.contractor(name="Ana Lima")
    form = client.get(f"/admin/projects/{project.id}").get_data(as_text=True)
    assert 'name="start_date"' in form
    assert 'name="end_date"' in form
    page = client.post(
        f"/admin/projects/{project.id}/assign",
        data={
            "user_id": str(person.id),
            "start_date": days_ago(20).isoformat(),
            "end_date": days_ago(10).isoformat(),
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Ana Lima is now on CHORDUS." in page
    row = db.scalar(select(Assignment).where(Assignment.user_id == person.id))
    assert (row.start_date, row.end_date) == (days_ago(20), days_ago(10))


def test_an_admin_corrects_an_assignments_dates(client, admin, db, make):
    project, person = make.project(code="CHORDUS"), make.contractor(name="Ana Lima")
    assignment = make.assign(project, person, start_date=today())
    detail = client.get(f"/admin/projects/{project.id}").get_data(as_text=True)
    assert f"/admin/projects/assignments/{assignment.id}/dates" in detail
    form = client.get(f"/admin/projects/assignments/{assignment.id}/dates")
    assert form.status_code == 200
    assert "Dates of Ana Lima on CHORDUS" in form.get_data(as_text=True)
    page = client.post(
        f"/admin/projects/assignments/{assignment.id}/dates",
        data={"start_date": days_ago(7).isoformat(), "end_date": ""},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "The dates of Ana Lima on CHORDUS are saved." in page
    db.refresh(assignment)
    assert assignment.start_date == days_ago(7)
    assert assignment.end_date is None


def test_dates_that_would_strand_logged_hours_are_refused_beside_the_field(client, admin, db, make):
    project, person = make.project(code="CHORDUS"), make.contractor(name="Ana Lima")
    assignment = make.assign(project, person, start_date=days_ago(10))
    make.entry(person, project, work_date=days_ago(8))
    response = client.post(
        f"/admin/projects/assignments/{assignment.id}/dates",
        data={"start_date": days_ago(5).isoformat(), "end_date": ""},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = page.split('id="start_date-error">')[1].split("</p>")[0]
    assert "Ana Lima has hours on CHORDUS on" in error
    db.refresh(assignment)
    assert assignment.start_date == days_ago(10)


def test_an_overlapping_assignment_is_refused_in_words(client, admin, db, make):
    project, person = make.project(code="CHORDUS"), make.contractor(name="Ana Lima")
    make.assign(project, person, start_date=days_ago(20), end_date=days_ago(5))
    page = client.post(
        f"/admin/projects/{project.id}/assign",
        data={"user_id": str(person.id), "start_date": days_ago(6).isoformat()},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Ana Lima was on CHORDUS from" in page
    assert len(db.scalars(select(Assignment)).all()) == 1
