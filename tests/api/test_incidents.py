"""The incident endpoints: start, read (admin and contractor views), change, updates,
acknowledge, acknowledgements, lift, the report; bad input answered with the error shape."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from tests.dates import today
from tracker.models import Incident, Notification, Project

BODY = {
    "title": "Acme suspends all work",
    "reason": "Contract dispute with Acme",
    "notice": "The client is reevaluating the scope. Hours so far are safe.",
    "incident_ref": "INC-9",
}


def _acme(make):
    admin = make.admin()
    one = make.project(code="ACME1", client="Acme")
    two = make.project(code="ACME2", client="acme")
    other = make.project(code="OTHER", client="Globex")
    both = make.contractor()
    only = make.contractor()
    outsider = make.contractor()
    make.assign(one, both)
    make.assign(two, both)
    make.assign(two, only)
    make.assign(other, outsider)
    return admin, (one, two, other), (both, only, outsider)


def test_start_a_client_wide_incident_and_read_it_as_admin_and_as_contractor(api, make, db):
    admin, (one, two, _other), (_both, only, outsider) = _acme(make)
    response = api(admin).post("/incidents", json={**BODY, "client": "ACME"})
    assert response.status_code == 201, response.json
    data = response.json
    assert data["affected_contractors"] == 2
    assert sorted(h["project_id"] for h in data["holds"]) == [one.id, two.id]
    assert data["skipped"] == []
    incident = data["incident"]
    assert incident["scope"] == "client"
    assert incident["client"] == "ACME"
    assert incident["review_by"] == (today() + dt.timedelta(days=14)).isoformat()
    assert sorted(incident["project_ids"]) == [one.id, two.id]
    assert db.scalar(select(func.count()).select_from(Notification)) == 2  # told once each

    seen = api(only).get(f"/incidents/{incident['id']}").json
    for hidden in ("title", "reason", "client", "started_by", "lifted_by", "affected_contractors"):
        assert hidden not in seen
    assert seen["project_ids"] == [two.id]  # not ACME1, which they are not on
    assert seen["acknowledged_at"] is None
    assert seen["updates"] == []
    assert [i["id"] for i in api(only).get("/incidents").json["incidents"]] == [incident["id"]]
    assert api(outsider).get(f"/incidents/{incident['id']}").status_code == 404
    assert api(outsider).post(f"/incidents/{incident['id']}/acknowledge").status_code == 404
    assert api(outsider).get("/incidents").json["incidents"] == []


def test_updates_acknowledgements_and_a_partial_then_whole_lift(api, make, db):
    admin, (one, two, _other), (both, only, _outsider) = _acme(make)
    incident_id = (
        api(admin).post("/incidents", json={**BODY, "client": "Acme"}).json["incident"]["id"]
    )
    first = api(both).post(f"/incidents/{incident_id}/acknowledge")
    assert first.status_code == 200
    again = api(both).post(f"/incidents/{incident_id}/acknowledge")
    assert again.json == first.json
    acks = api(admin).get(f"/incidents/{incident_id}/acknowledgements").json
    assert [a["user_id"] for a in acks["acknowledged"]] == [both.id]
    assert acks["pending"] == [only.id]

    posted = api(admin).post(f"/incidents/{incident_id}/updates", json={"message": "Review Friday"})
    assert posted.status_code == 201
    assert posted.json["message"] == "Review Friday"
    seen = api(only).get(f"/incidents/{incident_id}").json
    assert [u["message"] for u in seen["updates"]] == ["Review Friday"]
    assert api(admin).get(f"/incidents/{incident_id}").json["acknowledged"] == 0

    bad = api(admin).post(f"/incidents/{incident_id}/lift", json={"project_ids": [_other.id]})
    assert bad.status_code == 409
    assert bad.json["error"]["code"] == "not_frozen"
    part = api(admin).post(f"/incidents/{incident_id}/lift", json={"project_ids": [one.id]})
    assert part.status_code == 200, part.json
    assert part.json["lifted"] == [one.id]
    assert part.json["incident"]["lifted_at"] is None
    whole = api(admin).post(f"/incidents/{incident_id}/lift", json={"note": "Resumed"})
    assert whole.json["lifted"] == [two.id]
    assert whole.json["incident"]["lifted_at"]
    assert (
        db.scalar(select(func.count()).select_from(Project).where(Project.status == "frozen")) == 0
    )
    late = api(admin).post(f"/incidents/{incident_id}/updates", json={"message": "late"})
    assert late.status_code == 409
    again = api(admin).post(f"/incidents/{incident_id}/lift", json={})
    assert again.status_code == 409
    assert again.json["error"]["code"] == "not_frozen"


def test_bad_input_is_a_clear_4xx_and_nothing_changes(api, make, db):
    admin, (one, _two, _other), _people = _acme(make)
    past = (today() - dt.timedelta(days=1)).isoformat()
    cases = [
        ({**BODY, "client": "Acme", "project_ids": [one.id]}, "client"),
        (BODY, "client"),
        ({**BODY, "client": "Initech"}, "client"),
        ({**BODY, "client": "Acme", "notice": ""}, "notice"),
        ({**BODY, "client": "Acme", "review_by": past}, "review_by"),
        ({**BODY, "client": "Acme", "review_by": "soon"}, "review_by"),
        ({**BODY, "project_ids": ["x"]}, "project_ids"),
        ({**BODY, "client": "Acme", "allow_backfill": "yes"}, "allow_backfill"),
    ]
    for body, field in cases:
        response = api(admin).post("/incidents", json=body)
        assert response.status_code == 422, (body, response.json)
        assert field in response.json["error"]["fields"], (body, response.json)
    assert (
        "Initech"
        in api(admin)
        .post("/incidents", json={**BODY, "client": "Initech"})
        .json["error"]["message"]
    )
    assert db.scalar(select(func.count()).select_from(Incident)) == 0
    incident_id = (
        api(admin).post("/incidents", json={**BODY, "client": "Acme"}).json["incident"]["id"]
    )
    assert (
        api(admin).patch(f"/incidents/{incident_id}", json={"review_by": past}).status_code == 422
    )
    assert api(admin).patch(f"/incidents/{incident_id}", json={"notice": "x"}).status_code == 422
    assert (
        api(admin).post(f"/incidents/{incident_id}/updates", json={"message": " "}).status_code
        == 422
    )
    assert api(admin).get("/incidents?active=maybe").status_code == 422
    assert api(admin).get("/incidents/999999").status_code == 404


def test_change_the_review_date_and_see_the_report(api, make, db):
    admin, (one, _two, _other), (both, _only, _outsider) = _acme(make)
    make.entry(both, one, work_date=today() - dt.timedelta(days=2), minutes=90)
    incident_id = (
        api(admin).post("/incidents", json={**BODY, "client": "Acme"}).json["incident"]["id"]
    )
    later = (today() + dt.timedelta(days=30)).isoformat()
    changed = api(admin).patch(f"/incidents/{incident_id}", json={"review_by": later})
    assert changed.status_code == 200
    assert changed.json["review_by"] == later
    report = api(admin).get(f"/incidents/{incident_id}/report").json
    assert report["totals"]["affected"] == 2
    row = next(r for r in report["contractors"] if r["user_id"] == both.id)
    assert row["hours_before"] == "1.50"
    assert row["projects_held"] == ["ACME1", "ACME2"]
    csv = api(admin).get(f"/incidents/{incident_id}/report.csv")
    assert csv.mimetype == "text/csv"
    assert len(csv.get_data(as_text=True).splitlines()) == 3
    assert api(both).get(f"/incidents/{incident_id}/report").status_code == 403


def test_a_project_freeze_answers_with_its_one_project_incident(api, make):
    admin = make.admin()
    project = make.project(code="SOLO")
    response = api(admin).post(
        f"/projects/{project.id}/freeze", json={"reason": "r", "notice": "n"}
    )
    assert response.status_code == 200
    incident = response.json["incident"]
    assert incident["scope"] == "projects"
    assert incident["project_ids"] == [project.id]
    assert response.json["hold"]["incident_id"] == incident["id"]
    api(admin).post(f"/projects/{project.id}/unfreeze", json={})
    assert api(admin).get(f"/incidents/{incident['id']}").json["lifted_at"]
