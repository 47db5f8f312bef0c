"""Reassignment API: GET /reassignment/offers, POST /reassignment, POST /projects/{id}/reassign."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.dates import yesterday
from tracker.clock import local_today
from tracker.models import Assignment, AuditEvent, Notification


def _was_on(make, project, user) -> None:
    """The user had an assignment on the project that ended yesterday."""
    assignment = make.assign(project, user)
    make.db.get(Assignment, assignment.id).end_date = yesterday()
    make.db.commit()


@pytest.fixture
def held(make):
    contractor = make.contractor(skills=["python"])
    chordus = make.project(code="CHORDUS", hourly_rate="49.50")
    make.assign(chordus, contractor)
    hold = make.hold(chordus)
    return contractor, chordus, hold


def test_offers_list_the_project_seats_skills_and_both_rates(api, make, held):
    contractor, chordus, _hold = held
    target = make.project(
        code="NEWJOB", client="Acme", hourly_rate="45.00", seats=4, skills=["python", "go"]
    )
    make.project(code="OTHER", seats=None)
    response = api(contractor).get("/reassignment/offers")
    assert response.status_code == 200
    offers = response.get_json()["offers"]
    assert [o["project"]["code"] for o in offers] == ["NEWJOB", "OTHER"]
    first = offers[0]
    assert first["from_project_id"] == chordus.id
    assert first["project"]["id"] == target.id
    assert first["project"]["client"] == "Acme"
    assert first["free_seats"] == 4
    assert first["project"]["free_seats"] == 4
    assert first["matching_skills"] == ["python"]
    assert first["hourly_rate"] == "45.00"
    assert first["held_hourly_rate"] == "49.50"
    assert offers[1]["free_seats"] is None


def test_offers_are_empty_for_a_contractor_whose_projects_run(api, make):
    contractor = make.contractor()
    make.assign(make.project(code="RUNNING"), contractor)
    make.project(code="SPARE")
    assert api(contractor).get("/reassignment/offers").get_json() == {"offers": []}


def test_only_contractors_get_offers_or_accept(api, make, held):
    admin = make.admin()
    assert api(admin).get("/reassignment/offers").status_code == 403
    assert api(admin).post("/reassignment", json={}).status_code == 403


def test_accepting_an_offer_returns_the_new_assignment(api, make, db, held):
    contractor, chordus, hold = held
    target = make.project(code="NEWJOB")
    response = api(contractor).post(
        "/reassignment", json={"from_project_id": chordus.id, "to_project_id": target.id}
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["project_id"] == target.id
    assert body["user_id"] == contractor.id
    assert body["origin"] == "reassignment"
    assert body["from_project_id"] == chordus.id
    assert body["from_hold_id"] == hold.id
    note = db.scalar(select(Notification).where(Notification.user_id == contractor.id))
    assert note is not None
    assert note.kind == "reassignment_confirmed"
    listed = api(contractor).get("/notifications")
    if listed.status_code == 200:  # the notifications API belongs to the holds area
        kinds = [n["kind"] for n in listed.get_json()["notifications"]]
        assert "reassignment_confirmed" in kinds


@pytest.mark.parametrize(
    ("arrange", "code"),
    [
        ("full", "project_full"),
        ("private", "not_open_to_reassignment"),  # a project they were on: its real reason
        ("already", "already_assigned"),
        ("lifted", "not_on_hold"),
        ("closed", "project_closed"),  # a project they were on
    ],
)
def test_accept_refusals_have_their_codes(api, make, db, held, arrange, code):
    contractor, chordus, _hold = held
    target = make.project(
        code="TARGET",
        seats=1 if arrange == "full" else None,
        open_to_reassignment=arrange != "private",
    )
    client = api(contractor)
    if arrange == "full":
        make.assign(target, make.contractor())
    if arrange == "already":
        make.assign(target, contractor)
    if arrange == "lifted":
        unfrozen = make.project(code="UNHELD")
        make.assign(unfrozen, contractor)
        chordus = unfrozen
    if arrange in ("private", "closed"):
        _was_on(make, target, contractor)
    if arrange == "closed":
        api(make.admin()).patch(f"/projects/{target.id}", json={"status": "closed"})
    response = client.post(
        "/reassignment", json={"from_project_id": chordus.id, "to_project_id": target.id}
    )
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == code
    assert error["message"]


def test_accept_with_a_frozen_target_reports_the_hold(api, make, held):
    contractor, chordus, _hold = held
    target = make.project(code="ALSOHELD")
    make.assign(target, contractor)  # on both held projects: its banner shows them this notice
    other = make.hold(target, notice="Vendor incident")
    response = api(contractor).post(
        "/reassignment", json={"from_project_id": chordus.id, "to_project_id": target.id}
    )
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "project_frozen"
    assert error["hold"]["id"] == other.id
    assert error["hold"]["notice"] == "Vendor incident"


def test_accept_needs_integer_ids(api, make, held):
    contractor, _chordus, _hold = held
    response = api(contractor).post("/reassignment", json={"from_project_id": "x"})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid"


def test_admin_moves_chosen_contractors_and_gets_who_moved_and_why_not(api, make, db):
    admin = make.admin()
    chordus = make.project(code="CHORDUS")
    people = [make.contractor() for _ in range(3)]
    for person in people:
        make.assign(chordus, person)
    make.hold(chordus)
    target = make.project(code="TARGET", seats=2)
    make.assign(target, people[0])
    response = api(admin).post(
        f"/projects/{chordus.id}/reassign", json={"to_project_id": target.id}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "moved": [people[1].id],
        "skipped": [
            {"user_id": people[0].id, "code": "already_assigned"},
            {"user_id": people[2].id, "code": "project_full"},
        ],
    }


def test_admin_move_of_a_project_not_on_hold_is_refused(api, make):
    admin = make.admin()
    running = make.project(code="RUNNING")
    target = make.project(code="TARGET")
    response = api(admin).post(
        f"/projects/{running.id}/reassign", json={"to_project_id": target.id}
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "not_on_hold"
    missing = api(admin).post(f"/projects/{running.id}/reassign", json={"to_project_id": 99999})
    assert missing.status_code == 404


def test_contractor_cannot_bulk_move(api, make, held):
    contractor, chordus, _hold = held
    response = api(contractor).post(
        f"/projects/{chordus.id}/reassign", json={"to_project_id": make.project(code="T1").id}
    )
    assert response.status_code == 403


def test_reassigned_contractor_logs_time_on_the_new_project_but_not_the_held_one(
    api, make, db, held
):
    contractor, chordus, _hold = held
    target = make.project(code="NEWJOB")
    client = api(contractor)
    joined = client.post(
        "/reassignment", json={"from_project_id": chordus.id, "to_project_id": target.id}
    )
    assert joined.status_code == 201
    today = local_today(contractor).isoformat()
    logged = client.post(
        "/entries", json={"project_id": target.id, "work_date": today, "hours": "2.5"}
    )
    assert logged.status_code == 201, logged.get_json()
    assert logged.get_json()["minutes"] == 150
    refused = client.post(
        "/entries", json={"project_id": chordus.id, "work_date": today, "hours": "1"}
    )
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "project_frozen"
    assert (
        db.scalar(
            select(Assignment.id).where(
                Assignment.user_id == contractor.id,
                Assignment.project_id == chordus.id,
                Assignment.end_date.is_(None),
            )
        )
        is not None
    )


def test_openapi_describes_the_reassignment_routes(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "post" in spec["paths"]["/reassignment"]
    assert "get" in spec["paths"]["/reassignment/offers"]
    assert "post" in spec["paths"]["/projects/{project_id}/reassign"]
    assert "Offer" in spec["components"]["schemas"]


def test_projects_that_are_neither_offered_nor_theirs_answer_404_and_tell_nothing(
    api, make, db, held
):
    contractor, chordus, _hold = held
    stranger = make.contractor()
    secret = make.project(code="SECRET")
    make.assign(secret, stranger)
    make.hold(secret, notice="Secret project paused")
    hidden = make.project(code="HIDDEN", open_to_reassignment=False)
    shut = make.project(code="SHUT")
    api(make.admin()).patch(f"/projects/{shut.id}", json={"status": "closed"})
    client = api(contractor)
    for target in (secret, hidden, shut):
        response = client.post(
            "/reassignment", json={"from_project_id": chordus.id, "to_project_id": target.id}
        )
        assert response.status_code == 404
        raw = response.get_data(as_text=True)
        assert response.get_json()["error"]["code"] == "not_found"
        assert target.code not in raw
        assert "hold" not in response.get_json()["error"]
        assert "paused" not in raw
    missing = client.post(
        "/reassignment", json={"from_project_id": chordus.id, "to_project_id": 999_999}
    )
    assert missing.get_json() == response.get_json()  # the same answer as a missing project
    refused = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "reassignment.refused")
    ).all()
    assert [e.data["refused"] for e in refused] == ["not_found"] * 4


def test_a_held_project_they_have_left_answers_its_state_but_never_its_notice(api, make, db, held):
    contractor, chordus, _hold = held
    left = make.project(code="LEFT")
    _was_on(make, left, contractor)
    make.hold(left, notice="Only for the people on LEFT")
    response = api(contractor).post(
        "/reassignment", json={"from_project_id": chordus.id, "to_project_id": left.id}
    )
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "project_frozen"
    assert "hold" not in error
    assert "Only for the people" not in response.get_data(as_text=True)
