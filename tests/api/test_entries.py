"""The entries API: each rule's status and code, object scoping, approval and rejection."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.dates import today, yesterday
from tracker.models import AuditEvent, ExportBatch, Notification, TimeEntry


@pytest.fixture
def setup(make):
    contractor = make.contractor()
    admin = make.admin()
    project = make.project(code="CHORDUS", hourly_rate="45.00", currency="EUR")
    make.assign(project, contractor)
    return contractor, admin, project


def test_a_contractor_logs_time_and_gets_the_entry_back(api, setup, db):
    contractor, _admin, project = setup
    response = api(contractor).post(
        "/entries",
        json={
            "project_id": project.id,
            "work_date": yesterday().isoformat(),
            "hours": "7h30",
            "description": "Ledger",
            "user_id": 999,
            "hourly_rate": "1.00",
            "status": "approved",
        },
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["minutes"] == 450
    assert body["hours"] == "7.50"
    assert body["hourly_rate"] == "45.00"
    assert body["currency"] == "EUR"
    assert body["amount"] == "337.50"
    assert body["status"] == "submitted"
    assert body["exported"] is False
    assert body["user_id"] == contractor.id
    assert body["created_at"].endswith("Z")
    by_minutes = api(contractor).post(
        "/entries",
        json={"project_id": project.id, "work_date": yesterday().isoformat(), "minutes": 20},
    )
    assert by_minutes.status_code == 201
    assert by_minutes.json["amount"] == "15.00"
    number = api(contractor).post(
        "/entries",
        json={"project_id": project.id, "work_date": yesterday().isoformat(), "hours": 0.5},
    )
    assert number.json["minutes"] == 30


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"hours": "0"}, 422, "invalid"),
        ({"hours": "7.3333"}, 422, "invalid"),
        ({"minutes": 1441}, 422, "invalid"),
        ({"hours": "2", "description": "bad\x00"}, 422, "invalid"),
        ({"hours": "2", "description": "x" * 2001}, 422, "invalid"),
        ({"hours": "1", "work_date": "soon"}, 422, "invalid"),
        (
            {"hours": "1", "work_date": (today() + dt.timedelta(days=2)).isoformat()},
            422,
            "future_date",
        ),
        (
            {"hours": "1", "work_date": (today() - dt.timedelta(days=20)).isoformat()},
            422,
            "period_locked",
        ),
    ],
)
def test_each_rule_answers_with_its_code(api, setup, payload, status, code):
    contractor, _admin, project = setup
    body = {"project_id": project.id, "work_date": yesterday().isoformat(), **payload}
    response = api(contractor).post("/entries", json=body)
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code
    if code == "invalid":
        assert response.json["error"]["fields"]


def test_not_assigned_daily_limit_closed_and_frozen(api, make, setup, db):
    contractor, _admin, project = setup
    client = api(contractor)
    other = make.project(code="OTHER")
    day = yesterday().isoformat()
    assert (
        client.post("/entries", json={"project_id": other.id, "work_date": day, "hours": "1"}).json[
            "error"
        ]["code"]
        == "not_assigned"
    )
    assert (
        client.post(
            "/entries", json={"project_id": project.id, "work_date": day, "hours": "20"}
        ).status_code
        == 201
    )
    limit = client.post(
        "/entries", json={"project_id": project.id, "work_date": day, "hours": "4:01"}
    )
    assert (limit.status_code, limit.json["error"]["code"]) == (422, "daily_limit")
    closed = make.project(code="CLOSED")
    make.assign(closed, contractor)
    db.merge(closed).status = "closed"
    db.commit()
    refused = client.post(
        "/entries", json={"project_id": closed.id, "work_date": day, "hours": "1"}
    )
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "project_closed")
    hold = make.hold(project, notice="Paused by the client.")
    frozen = client.post(
        "/entries", json={"project_id": project.id, "work_date": "2099-01-01", "hours": "99"}
    )
    assert frozen.status_code == 409
    error = frozen.json["error"]
    assert error["code"] == "project_frozen"
    assert error["hold"]["notice"] == "Paused by the client."  # not repeated in the message
    assert error["hold"] == {
        "id": hold.id,
        "incident_id": hold.incident_id,
        "notice": "Paused by the client.",
        "started_at": hold.started_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    refusal = db.scalar(select(AuditEvent).where(AuditEvent.action == "entry.refused"))
    assert refusal.data["via"] == "api"


def test_others_entries_are_404_and_lists_are_scoped_and_paginated(api, make, setup):
    contractor, admin, project = setup
    other = make.contractor()
    make.assign(project, other)
    theirs = make.entry(other, project)
    for i in range(5):
        make.entry(contractor, project, work_date=today() - dt.timedelta(days=i))
    client = api(contractor)
    assert client.get(f"/entries/{theirs.id}").status_code == 404
    assert client.patch(f"/entries/{theirs.id}", json={"hours": "2"}).status_code == 404
    assert client.delete(f"/entries/{theirs.id}").status_code == 404
    seen, cursor = [], None
    for _ in range(5):
        page = client.get(
            "/entries", query_string={"limit": 2, **({"cursor": cursor} if cursor else {})}
        ).json
        seen += page["entries"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 5
    assert {e["user_id"] for e in seen} == {contractor.id}
    assert client.get("/entries", query_string={"limit": 501}).status_code == 422
    filtered = api(admin).get("/entries", query_string={"user_id": other.id}).json["entries"]
    assert [e["id"] for e in filtered] == [theirs.id]
    ranged = client.get(
        "/entries", query_string={"from": yesterday().isoformat(), "to": today().isoformat()}
    ).json["entries"]
    assert len(ranged) == 2


def test_patch_and_delete_follow_the_rules(api, make, setup, db):
    contractor, admin, project = setup
    entry = make.entry(contractor, project, work_date=yesterday(), minutes=60)
    client = api(contractor)
    changed = client.patch(f"/entries/{entry.id}", json={"hours": "1:45", "status": "approved"})
    assert changed.status_code == 200
    assert changed.json["minutes"] == 105
    assert changed.json["status"] == "submitted"
    future = client.patch(
        f"/entries/{entry.id}", json={"work_date": (today() + dt.timedelta(days=1)).isoformat()}
    )
    assert future.json["error"]["code"] == "future_date"
    assert api(admin).post(f"/entries/{entry.id}/approve").status_code == 200
    locked = client.patch(f"/entries/{entry.id}", json={"hours": "2"})
    assert (locked.status_code, locked.json["error"]["code"]) == (409, "entry_locked")
    assert client.delete(f"/entries/{entry.id}").json["error"]["code"] == "entry_locked"
    mine = make.entry(contractor, project, work_date=yesterday(), minutes=30)
    assert client.delete(f"/entries/{mine.id}").status_code == 204
    assert db.scalar(select(TimeEntry.id).where(TimeEntry.id == mine.id)) is None


def test_only_admins_approve_and_rejection_notifies_with_the_reason(api, make, setup, db):
    contractor, admin, project = setup
    entry = make.entry(contractor, project, work_date=yesterday(), minutes=60)
    assert api(contractor).post(f"/entries/{entry.id}/approve").status_code == 403
    assert (
        api(admin).post(f"/entries/{entry.id}/reject", json={}).json["error"]["code"] == "invalid"
    )
    rejected = api(admin).post(f"/entries/{entry.id}/reject", json={"reason": "Not billable"})
    assert rejected.status_code == 200
    assert rejected.json["status"] == "rejected"
    note = db.scalar(select(Notification).where(Notification.entry_id == entry.id))
    assert note.user_id == contractor.id
    assert "Not billable" in note.message
    approved = api(admin).post(f"/entries/{entry.id}/approve")
    assert approved.json["status"] == "approved"
    assert approved.json["approved_by"] == admin.id
    assert api(admin).post("/entries/999999/approve").status_code == 404


def test_admin_logs_and_corrects_on_a_contractors_behalf(api, make, setup, db):
    contractor, admin, project = setup
    batch = ExportBatch(
        period_start=yesterday(), period_end=yesterday(), sha256="0" * 64, content=b""
    )
    db.add(batch)
    db.commit()
    exported = make.entry(
        contractor,
        project,
        work_date=yesterday(),
        minutes=120,
        export_batch_id=batch.id,
        status="approved",
    )
    locked = api(admin).patch(f"/entries/{exported.id}", json={"hours": "1"})
    assert locked.json["error"]["code"] == "entry_locked"
    made = api(admin).post(
        "/entries",
        json={
            "project_id": project.id,
            "work_date": yesterday().isoformat(),
            "hours": "-1",
            "user_id": contractor.id,
            "corrects_entry_id": exported.id,
        },
    )
    assert made.status_code == 201, made.json
    assert made.json["minutes"] == -60
    assert made.json["is_correction"] is True
    assert made.json["amount"] == "-45.00"
    event = db.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "entry.create", AuditEvent.target_id == made.json["id"]
        )
    )
    assert event.actor_id == admin.id
    sneaky = api(contractor).post(
        "/entries",
        json={
            "project_id": project.id,
            "work_date": yesterday().isoformat(),
            "hours": "-1",
            "corrects_entry_id": exported.id,
        },
    )
    assert sneaky.json["error"]["code"] == "invalid"


def test_the_openapi_document_describes_the_entry_endpoints(client):
    spec = client.get("/api/v1/openapi.json").json
    assert "post" in spec["paths"]["/entries"]
    assert "get" in spec["paths"]["/entries"]
    assert {"get", "patch", "delete"} <= set(spec["paths"]["/entries/{entry_id}"])
    assert "Entry" in spec["components"]["schemas"]
