"""Projects and assignments API: admins manage them; contractors see only their own projects."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.dates import today
from tracker.models import Assignment, Project

NEW = {
    "code": "chordus",
    "name": "Core banking",
    "client": "Chordus Bank",
    "seats": 2,
    "skills": ["python"],
    "hourly_rate": "62.50",
    "currency": "EUR",
    "open_to_reassignment": True,
}


@pytest.fixture
def admin_api(api, make):
    return api(make.admin())


def _count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_admin_creates_a_project(admin_api):
    response = admin_api.post("/projects", json=NEW)
    assert response.status_code == 201
    body = response.get_json()
    assert body == {
        "id": body["id"],
        "code": "CHORDUS",
        "name": "Core banking",
        "client": "Chordus Bank",
        "status": "open",
        "seats": 2,
        "free_seats": 2,
        "skills": ["python"],
        "hourly_rate": "62.50",
        "currency": "EUR",
        "open_to_reassignment": True,
        "active_hold": None,
    }


def test_currency_defaults_to_eur_and_seats_to_unlimited(admin_api):
    body = admin_api.post(
        "/projects", json={"code": "MIN", "name": "Minimal", "hourly_rate": 40}
    ).get_json()
    assert (body["currency"], body["seats"], body["free_seats"]) == ("EUR", None, None)
    assert body["hourly_rate"] == "40.00"


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"seats": -1}, {"seats"}),
        ({"seats": "many"}, {"seats"}),
        ({"hourly_rate": "-0.01"}, {"hourly_rate"}),
        ({"hourly_rate": "12.345"}, {"hourly_rate"}),
        ({"hourly_rate": None}, {"hourly_rate"}),
        ({"code": "bad code!"}, {"code"}),
        ({"currency": "euro"}, {"currency"}),
        ({"open_to_reassignment": "yes"}, {"open_to_reassignment"}),
        ({"skills": [1, 2]}, {"skills"}),
        ({"name": "x" * 201}, {"name"}),
        ({"client": "tab\there"}, {"client"}),
    ],
)
def test_bad_project_input_is_a_422_naming_the_field(admin_api, db, changes, fields):
    response = admin_api.post("/projects", json={**NEW, **changes})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == fields
    assert _count(db, Project) == 0


def test_required_fields_are_named(admin_api):
    response = admin_api.post("/projects", json={})
    assert set(response.get_json()["error"]["fields"]) == {"code", "name", "hourly_rate"}


def test_a_duplicate_code_is_a_422_on_the_code_field(admin_api, make):
    make.project(code="CHORDUS")
    response = admin_api.post("/projects", json=NEW)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "code": ["A project with this code already exists."]
    }


def test_admin_changes_and_closes_a_project(admin_api, make, db):
    project = make.project(code="CHANGE")
    response = admin_api.patch(
        f"/projects/{project.id}",
        json={"name": "Changed", "seats": 5, "open_to_reassignment": False, "code": "change"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["seats"], body["open_to_reassignment"], body["code"]) == (
        "Changed",
        5,
        False,
        "CHANGE",
    )
    closed = admin_api.patch(f"/projects/{project.id}", json={"status": "closed"})
    assert closed.get_json()["status"] == "closed"
    again = admin_api.patch(f"/projects/{project.id}", json={"name": "After close"})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "project_closed"


@pytest.mark.parametrize(("field", "value"), [("code", "RENAMED"), ("currency", "USD")])
def test_code_and_currency_cannot_change_through_the_api(admin_api, make, db, field, value):
    project = make.project(code="FIXED")
    response = admin_api.patch(f"/projects/{project.id}", json={"name": "New name", field: value})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert set(error["fields"]) == {field}
    assert "cannot change once the project exists" in error["fields"][field][0]
    db.refresh(project)
    assert (project.code, project.currency, project.name) == ("FIXED", "EUR", project.name)
    assert project.name != "New name"  # nothing of the refused change was applied


def test_freezing_is_not_possible_through_patch(admin_api, make):
    project = make.project()
    response = admin_api.patch(f"/projects/{project.id}", json={"status": "frozen"})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"status"}


def test_admin_lists_every_project_with_free_seats_and_hold(admin_api, make):
    held = make.project(code="HELD", seats=3)
    make.assign(held, make.contractor())
    make.hold(held, notice="Paused for the investigation.")
    make.project(code="PLAIN")
    projects = {p["code"]: p for p in admin_api.get("/projects").get_json()["projects"]}
    assert set(projects) == {"HELD", "PLAIN"}
    assert projects["HELD"]["free_seats"] == 2
    assert projects["HELD"]["status"] == "frozen"
    assert projects["HELD"]["active_hold"]["notice"] == "Paused for the investigation."
    assert "reason" in projects["HELD"]["active_hold"]


def test_a_contractor_sees_only_their_projects_and_never_the_hold_reason(api, make):
    mine, other = make.project(code="MINE"), make.project(code="OTHER")
    contractor = make.contractor()
    make.assign(mine, contractor)
    make.hold(mine, reason="Internal: vendor credential leak")
    theirs = api(contractor)
    listed = theirs.get("/projects").get_json()["projects"]
    assert [p["code"] for p in listed] == ["MINE"]
    assert "reason" not in listed[0]["active_hold"]
    assert "vendor credential leak" not in theirs.get(f"/projects/{mine.id}").get_data(as_text=True)
    hidden = theirs.get(f"/projects/{other.id}")
    assert hidden.status_code == 404
    assert hidden.get_json() == theirs.get("/projects/999999").get_json()


def test_a_contractor_may_not_create_or_change_projects(api, make, db):
    project = make.project(code="SAFE")
    contractor = make.contractor()
    make.assign(project, contractor)
    theirs = api(contractor)
    assert theirs.post("/projects", json=NEW).status_code == 403
    assert theirs.patch(f"/projects/{project.id}", json={"name": "Hacked"}).status_code == 403
    db.refresh(project)
    assert project.name != "Hacked"


def test_admin_assigns_a_contractor_with_defaults(admin_api, make):
    project = make.project()
    contractor = make.contractor()
    response = admin_api.post(
        f"/projects/{project.id}/assignments", json={"user_id": contractor.id}
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body == {
        "id": body["id"],
        "user_id": contractor.id,
        "project_id": project.id,
        "start_date": today().isoformat(),
        "end_date": None,
        "hourly_rate": None,
        "origin": "direct",
        "from_project_id": None,
        "from_hold_id": None,
    }


def test_assignment_conflicts_are_409(admin_api, make, db):
    project = make.project(seats=1)
    first, second = make.contractor(), make.contractor()
    assert (
        admin_api.post(
            f"/projects/{project.id}/assignments", json={"user_id": first.id}
        ).status_code
        == 201
    )
    again = admin_api.post(f"/projects/{project.id}/assignments", json={"user_id": first.id})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "already_assigned"
    full = admin_api.post(f"/projects/{project.id}/assignments", json={"user_id": second.id})
    assert full.status_code == 409
    assert full.get_json()["error"]["code"] == "project_full"
    assert _count(db, Assignment) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"user_id": "7"}, "user_id"),
        ({}, "user_id"),
        ({"user_id": "SELF", "hourly_rate": "-1"}, "hourly_rate"),
        ({"user_id": "SELF", "start_date": "tomorrow"}, "start_date"),
    ],
)
def test_bad_assignment_input_is_422(admin_api, make, db, body, field):
    project = make.project()
    contractor = make.contractor()
    if body.get("user_id") == "SELF":
        body = {**body, "user_id": contractor.id}
    response = admin_api.post(f"/projects/{project.id}/assignments", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert _count(db, Assignment) == 0


def test_only_contractors_can_be_assigned(admin_api, make):
    project = make.project()
    response = admin_api.post(
        f"/projects/{project.id}/assignments", json={"user_id": make.payroll().id}
    )
    assert response.status_code == 422
    assert "user_id" in response.get_json()["error"]["fields"]


def test_assigning_to_a_closed_project_is_409(admin_api, make):
    project = make.project()
    admin_api.patch(f"/projects/{project.id}", json={"status": "closed"})
    response = admin_api.post(
        f"/projects/{project.id}/assignments", json={"user_id": make.contractor().id}
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "project_closed"


def test_unknown_project_or_user_is_404(admin_api, make):
    project = make.project()
    assert (
        admin_api.post(
            "/projects/999999/assignments", json={"user_id": make.contractor().id}
        ).status_code
        == 404
    )
    assert (
        admin_api.post(f"/projects/{project.id}/assignments", json={"user_id": 999999}).status_code
        == 404
    )


def test_admin_lists_and_ends_assignments(admin_api, make, db):
    project = make.project()
    contractor = make.contractor()
    assignment = make.assign(project, contractor)
    listed = admin_api.get(f"/projects/{project.id}/assignments").get_json()["assignments"]
    assert [a["id"] for a in listed] == [assignment.id]
    ended = admin_api.delete(f"/assignments/{assignment.id}")
    assert ended.status_code == 200
    assert ended.get_json()["end_date"] == today().isoformat()
    again = admin_api.delete(f"/assignments/{assignment.id}")
    assert again.status_code == 422
    assert admin_api.delete("/assignments/999999").status_code == 404
