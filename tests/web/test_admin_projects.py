"""Admin project pages: create, edit and close projects; assign and end assignments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.dates import today
from tracker.models import Assignment, AuditEvent, Project

NEW = {
    "code": "chordus",
    "name": "Core banking",
    "client": "Chordus Bank",
    "seats": "2",
    "skills": "python, SQL",
    "hourly_rate": "62.50",
    "currency": "eur",
    "open_to_reassignment": "y",
}


@pytest.fixture
def admin(auth, make):
    user = make.admin()
    auth.login(user)
    return user


def _projects(db: Any) -> int:
    return db.scalar(select(func.count()).select_from(Project))


def _field_error(page: str, field: str) -> str:
    assert f'id="{field}-error"' in page, f"no error beside {field}"
    return page.split(f'id="{field}-error">')[1].split("</p>")[0]


def test_admin_creates_a_project(client, admin, db):
    response = client.post("/admin/projects/new", data=NEW, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Project CHORDUS was created." in page
    project = db.scalar(select(Project).where(Project.code == "CHORDUS"))
    assert project.name == "Core banking"
    assert project.client == "Chordus Bank"
    assert project.seats == 2
    assert project.skills == ["python", "sql"]
    assert project.hourly_rate == Decimal("62.50")
    assert project.currency == "EUR"
    assert project.open_to_reassignment is True
    assert project.status == "open"
    assert (
        db.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "project.create", AuditEvent.target_id == project.id
            )
        )
        is not None
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"seats": "-1"}, "seats", "Cannot be negative."),
        ({"seats": "two"}, "seats", "whole number of seats"),
        ({"hourly_rate": "-10"}, "hourly_rate", "Cannot be negative."),
        ({"hourly_rate": "10.001"}, "hourly_rate", "at most two decimals"),
        ({"hourly_rate": "ten"}, "hourly_rate", "Enter an amount"),
        ({"code": "9LIVES"}, "code", "starting with a letter"),
        ({"currency": "EU"}, "currency", "three-letter ISO currency code"),
    ],
)
def test_bad_project_input_gets_a_field_message_and_saves_nothing(
    client, admin, db, changes, field, message
):
    response = client.post("/admin/projects/new", data={**NEW, **changes})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in _field_error(page, field)
    assert 'value="Core banking"' in page  # what was typed is kept
    assert _projects(db) == 0


def test_a_duplicate_code_is_refused_beside_the_field(client, admin, db, make):
    make.project(code="CHORDUS")
    page = client.post("/admin/projects/new", data=NEW).get_data(as_text=True)
    assert "A project with this code already exists." in _field_error(page, "code")
    assert _projects(db) == 1


def test_admin_edits_a_project(client, admin, db, make):
    project = make.project(code="EDITME", seats=3)
    form = client.get(f"/admin/projects/{project.id}/edit").get_data(as_text=True)
    assert "<dd>EDITME</dd>" in form  # shown, not editable
    assert 'name="code"' not in form
    assert 'name="currency"' not in form
    response = client.post(
        f"/admin/projects/{project.id}/edit",
        data={
            **NEW,
            "code": "EDITME",
            "name": "Renamed",
            "seats": "",
            "hourly_rate": "70",
            "open_to_reassignment": "",
        },
    )
    assert response.status_code == 302
    db.refresh(project)
    assert project.name == "Renamed"
    assert project.seats is None
    assert project.hourly_rate == Decimal("70.00")
    assert project.open_to_reassignment is False
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "project.update"))
    assert event.data["before"]["name"] != event.data["after"]["name"] == "Renamed"


def test_editing_keeps_the_code_and_currency(client, admin, db, make):
    project = make.project(code="MINE")
    response = client.post(
        f"/admin/projects/{project.id}/edit",
        data={**NEW, "code": "RENAMED", "currency": "USD", "name": "Still mine"},
    )
    assert response.status_code == 302
    db.refresh(project)
    assert (project.code, project.currency, project.name) == ("MINE", "EUR", "Still mine")


def test_closing_a_project_keeps_it_and_refuses_changes(client, admin, db, make):
    project = make.project(code="DONE")
    page = client.post(f"/admin/projects/{project.id}/close", follow_redirects=True).get_data(
        as_text=True
    )
    assert "Project DONE is closed." in page
    db.refresh(project)
    assert project.status == "closed"
    page = client.post(
        f"/admin/projects/{project.id}/edit", data={**NEW, "code": "DONE"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "closed and cannot be changed" in page
    db.refresh(project)
    assert project.name != NEW["name"]


def test_admin_assigns_contractors_within_the_seats(client, admin, db, make):
    project = make.project(code="SMALL", seats=1)
    first, second = make.contractor(name="First One"), make.contractor(name="Second One")
    page = client.post(
        f"/admin/projects/{project.id}/assign",
        data={
            "user_id": str(first.id),
            "hourly_rate": "55.00",
            "start_date": "2026-11-02",
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "First One is now on SMALL." in page
    assignment = db.scalar(select(Assignment).where(Assignment.user_id == first.id))
    assert assignment.hourly_rate == Decimal("55.00")
    assert assignment.start_date == dt.date(2026, 11, 2)
    full = client.post(
        f"/admin/projects/{project.id}/assign",
        data={"user_id": str(second.id)},
        follow_redirects=True,
    )
    assert "Project SMALL has no free seat." in full.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Assignment)) == 1


def test_a_bad_rate_override_is_refused(client, admin, db, make):
    project = make.project()
    contractor = make.contractor()
    page = client.post(
        f"/admin/projects/{project.id}/assign",
        data={"user_id": str(contractor.id), "hourly_rate": "-3"},
        follow_redirects=True,
    )
    assert "Cannot be negative." in page.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Assignment)) == 0


def test_ending_an_assignment_keeps_it_as_history_and_frees_the_seat(client, admin, db, make):
    project = make.project(code="ROTATE", seats=1)
    leaving, joining = make.contractor(), make.contractor(name="Joining Person")
    assignment = make.assign(project, leaving)
    page = client.post(
        f"/admin/projects/assignments/{assignment.id}/end", follow_redirects=True
    ).get_data(as_text=True)
    assert "The assignment has ended; its entries are kept." in page
    db.refresh(assignment)
    assert assignment.end_date == today()
    page = client.post(
        f"/admin/projects/{project.id}/assign",
        data={"user_id": str(joining.id)},
        follow_redirects=True,
    )
    assert "Joining Person is now on ROTATE." in page.get_data(as_text=True)


def test_the_project_page_lists_assignments_and_the_index_lists_projects(client, admin, make):
    project = make.project(code="SHOWN", name="Visible project", seats=4)
    contractor = make.contractor(name="Dana Developer")
    make.assign(project, contractor)
    page = client.get(f"/admin/projects/{project.id}").get_data(as_text=True)
    assert "Dana Developer" in page
    assert "3 free of 4" in page
    index = client.get("/admin/projects/").get_data(as_text=True)
    assert "SHOWN" in index
    assert "Visible project" in index


def test_an_unknown_project_is_a_404_page(client, admin):
    response = client.get("/admin/projects/999999")
    assert response.status_code == 404
    assert "No such project." in response.get_data(as_text=True)


def test_a_contractor_sees_only_the_projects_they_are_on(client, auth, make):
    mine, other = make.project(code="MINE", name="My project"), make.project(code="OTHER")
    contractor = make.contractor()
    make.assign(mine, contractor)
    auth.login(contractor)
    page = client.get("/").get_data(as_text=True)
    assert "MINE" in page
    assert "My project" in page
    assert "OTHER" not in page
    assert other.code not in page


def test_closing_asks_first_and_says_what_will_happen(client, admin, db, make):
    project = make.project(code="WINDUP")
    make.assign(project, make.contractor(name="Ana Lima"))
    detail = client.get(f"/admin/projects/{project.id}").get_data(as_text=True)
    assert f'href="/admin/projects/{project.id}/close"' in detail
    confirm = client.get(f"/admin/projects/{project.id}/close").get_data(as_text=True)
    assert "Close WINDUP — " in confirm
    assert "This cannot be undone." in confirm
    assert "1 contractor is on it now (Ana Lima)" in confirm
    db.refresh(project)
    assert project.status == "open"
    client.post(f"/admin/projects/{project.id}/close")
    db.refresh(project)
    assert project.status == "closed"
    closed = client.get(f"/admin/projects/{project.id}").get_data(as_text=True)
    assert "Assign a contractor" not in closed
    assert "Close project for good" not in closed
    again = client.get(f"/admin/projects/{project.id}/close", follow_redirects=True)
    assert "Project WINDUP is closed already." in again.get_data(as_text=True)


def test_ending_an_assignment_asks_first_and_says_what_will_happen(client, admin, db, make):
    project, person = make.project(code="ROTA", seats=2), make.contractor(name="Ana Lima")
    assignment = make.assign(project, person)
    make.entry(person, project, minutes=90)
    confirm = client.get(f"/admin/projects/assignments/{assignment.id}/end")
    page = confirm.get_data(as_text=True)
    assert "End the assignment of Ana Lima on ROTA?" in page
    assert "The 1.50 h logged on ROTA since" in page
    assert "A seat on ROTA becomes free." in page
    db.refresh(assignment)
    assert assignment.end_date is None
    client.post(f"/admin/projects/assignments/{assignment.id}/end")
    db.refresh(assignment)
    assert assignment.end_date == today()


def test_closing_asks_for_the_password_again_after_fifteen_minutes(client, admin, make):
    project = make.project(code="LATER")
    with client.session_transaction() as session:
        session["auth_at"] -= 16 * 60
    response = client.get(f"/admin/projects/{project.id}/close")
    assert response.status_code == 302
    assert "/reauth" in response.headers["Location"]
