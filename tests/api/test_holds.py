"""The hold endpoints: freeze, unfreeze, history, the refusal contractors get, notifications."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.dates import yesterday
from tracker.models import AuditEvent, Hold, Notification, Project

BODY = {
    "reason": "Client breach",
    "notice": "CHORDUS is paused during the client's audit.",
    "incident_ref": "INC-3",
    "allow_backfill": True,
}


def _setup(make, contractors=2):
    admin = make.admin()
    project = make.project(code="CHORDUS")
    people = [make.contractor() for _ in range(contractors)]
    for person in people:
        make.assign(project, person)
    return admin, project, people


def _holds(db):
    return db.scalar(select(func.count()).select_from(Hold))


def test_freeze_returns_the_project_the_hold_and_how_many_were_affected(api, make, db):
    admin, project, _ = _setup(make)
    response = api(admin).post(f"/projects/{project.id}/freeze", json=BODY)
    assert response.status_code == 200, response.json
    data = response.json
    assert data["affected_contractors"] == 2
    assert data["project"]["status"] == "frozen"
    assert data["project"]["active_hold"]["id"] == data["hold"]["id"]
    hold = data["hold"]
    assert hold["reason"] == "Client breach"
    assert hold["notice"] == BODY["notice"]
    assert hold["incident_ref"] == "INC-3"
    assert hold["allow_backfill"] is True
    assert hold["started_at"].endswith("Z")
    assert hold["ended_at"] is None
    assert hold["started_by"] == admin.id
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "project.freeze"))
    assert event.actor_id == admin.id


def test_bad_freezes_get_the_published_codes_and_change_nothing(api, make, db):
    admin, project, _ = _setup(make)
    client = api(admin)
    empty = client.post(f"/projects/{project.id}/freeze", json={**BODY, "notice": ""})
    assert empty.status_code == 422
    assert empty.json["error"]["code"] == "invalid"
    assert "notice" in empty.json["error"]["fields"]
    long = client.post(f"/projects/{project.id}/freeze", json={**BODY, "notice": "x" * 2001})
    assert long.status_code == 422
    assert "2,000" in long.json["error"]["fields"]["notice"][0]
    flag = client.post(f"/projects/{project.id}/freeze", json={**BODY, "allow_backfill": "yes"})
    assert flag.json["error"]["fields"] == {"allow_backfill": ["Must be true or false."]}
    assert _holds(db) == 0
    assert db.scalar(select(func.count()).select_from(Notification)) == 0

    assert client.post(f"/projects/{project.id}/freeze", json=BODY).status_code == 200
    again = client.post(f"/projects/{project.id}/freeze", json=BODY)
    assert again.status_code == 409
    assert again.json["error"]["code"] == "already_frozen"
    assert _holds(db) == 1
    refusal = db.scalar(select(AuditEvent).where(AuditEvent.action == "project.freeze_refused"))
    assert refusal.actor_id == admin.id
    assert refusal.target_id == project.id
    assert refusal.data["refused"] == "already_frozen"

    closed = make.project(code="SHUT")
    client.patch(f"/projects/{closed.id}", json={"status": "closed"})
    refused = client.post(f"/projects/{closed.id}/freeze", json=BODY)
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "project_closed"
    assert client.post("/projects/99999/freeze", json=BODY).status_code == 404
    not_json = client.client.post(
        f"/api/v1/projects/{project.id}/freeze",
        data="x",
        headers={**client.headers, "Content-Type": "text/plain"},
    )
    assert not_json.status_code == 415


def test_unfreeze_lifts_the_hold_and_an_open_project_answers_not_frozen(api, make, db):
    admin, project, _people = _setup(make)
    client = api(admin)
    client.post(f"/projects/{project.id}/freeze", json=BODY)
    response = client.post(f"/projects/{project.id}/unfreeze", json={"note": "Audit passed."})
    assert response.status_code == 200, response.json
    assert response.json["project"]["status"] == "open"
    assert response.json["project"]["active_hold"] is None
    assert response.json["hold"]["note"] == "Audit passed."
    assert response.json["hold"]["ended_by"] == admin.id
    again = client.post(f"/projects/{project.id}/unfreeze", json={})
    assert again.status_code == 409
    assert again.json["error"]["code"] == "not_frozen"


def test_hold_history_is_for_admins_and_contractors_never_see_the_reason(api, make, db):
    admin, project, people = _setup(make, contractors=1)
    client = api(admin)
    client.post(f"/projects/{project.id}/freeze", json=BODY)
    history = client.get(f"/projects/{project.id}/holds")
    assert history.status_code == 200
    assert [h["reason"] for h in history.json["holds"]] == ["Client breach"]
    contractor = api(people[0])
    assert contractor.get(f"/projects/{project.id}/holds").status_code == 403
    seen = contractor.get(f"/projects/{project.id}").json
    assert seen["status"] == "frozen"
    assert seen["active_hold"]["notice"] == BODY["notice"]
    assert "reason" not in seen["active_hold"]
    assert contractor.post(f"/projects/{project.id}/freeze", json=BODY).status_code == 403


def test_a_contractor_logging_time_on_a_held_project_gets_project_frozen_with_the_hold(
    api, make, db
):
    admin, project, people = _setup(make, contractors=1)
    hold_id = (
        api(admin)
        .post(f"/projects/{project.id}/freeze", json={**BODY, "allow_backfill": False})
        .json["hold"]["id"]
    )
    contractor = api(people[0])
    response = contractor.post(
        "/entries",
        json={"project_id": project.id, "work_date": yesterday().isoformat(), "hours": "2"},
    )
    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "project_frozen"
    assert error["hold"]["id"] == hold_id
    assert error["hold"]["notice"] == BODY["notice"]
    assert error["hold"]["started_at"].endswith("Z")
    assert BODY["notice"] not in error["message"]  # the banner and `hold` carry the notice
    assert "no hours can be logged or changed until it is lifted" in error["message"]
    assert error["message"].endswith(f"/incidents/{error['hold']['incident_id']}")
    api(admin).post(f"/projects/{project.id}/unfreeze", json={})
    again = contractor.post(
        "/entries",
        json={"project_id": project.id, "work_date": yesterday().isoformat(), "hours": "2"},
    )
    assert again.status_code == 201, again.json


def test_with_backfill_hours_from_before_the_hold_are_still_accepted(api, make, db):
    admin, project, people = _setup(make, contractors=1)
    api(admin).post(f"/projects/{project.id}/freeze", json=BODY)
    response = api(people[0]).post(
        "/entries",
        json={"project_id": project.id, "work_date": yesterday().isoformat(), "minutes": 90},
    )
    assert response.status_code == 201, response.json


def test_notifications_list_only_the_callers_own_newest_first(api, make, db):
    admin, project, people = _setup(make)
    client = api(admin)
    client.post(f"/projects/{project.id}/freeze", json=BODY)
    client.post(f"/projects/{project.id}/unfreeze", json={"note": "Done."})
    mine = api(people[0]).get("/notifications").json
    assert [n["kind"] for n in mine["notifications"]] == ["hold_lifted", "hold_started"]
    assert mine["unread"] == 2
    assert all(n["read"] is False for n in mine["notifications"])
    assert BODY["notice"] in mine["notifications"][1]["message"]
    assert api(admin).get("/notifications").json["notifications"] == []
    user_ids = {n.user_id for n in db.scalars(select(Notification))}
    assert user_ids == {p.id for p in people}


def test_the_openapi_document_describes_the_hold_endpoints(client):
    spec = client.get("/api/v1/openapi.json").json
    freeze = spec["paths"]["/projects/{project_id}/freeze"]["post"]
    assert set(freeze["responses"]) >= {"200", "404", "409", "422"}
    assert freeze["x-roles"] == ["admin"]
    assert "FreezeRequest" in spec["components"]["schemas"]
    assert "get" in spec["paths"]["/projects/{project_id}/holds"]
    assert "get" in spec["paths"]["/notifications"]


def test_the_held_project_is_on_hold_in_the_project_list(api, make, db):
    admin, project, people = _setup(make, contractors=1)
    api(admin).post(f"/projects/{project.id}/freeze", json=BODY)
    listed = api(people[0]).get("/projects").json["projects"]
    assert [(p["code"], p["status"]) for p in listed] == [("CHORDUS", "frozen")]
    assert db.get(Project, project.id) is not None


def test_hours_from_before_the_hold_stay_visible_approvable_and_payable(api, make, db):
    admin, project, people = _setup(make, contractors=1)
    entry = make.entry(people[0], project, minutes=150)
    client = api(admin)
    client.post(f"/projects/{project.id}/freeze", json=BODY)
    mine = api(people[0]).get("/entries").json["entries"]
    assert [e["id"] for e in mine] == [entry.id]
    approved = client.post(f"/entries/{entry.id}/approve")
    assert approved.status_code == 200, approved.json
    assert approved.json["status"] == "approved"
    day = entry.work_date.isoformat()
    batch = client.post("/payroll/batches", json={"start": day, "end": day})
    assert batch.status_code == 201, batch.json
    assert batch.json["entries"] == 1
    assert batch.json["total_amounts"] == {"EUR": "125.00"}  # 2.5 h at 50.00
