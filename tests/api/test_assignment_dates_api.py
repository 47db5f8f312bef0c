"""API: assignment dates on create and PATCH /assignments/{id}, with the usual error shapes."""

from __future__ import annotations

from tests.dates import days_ago, today


def test_the_api_sets_and_corrects_assignment_dates(api, make):
    admin = api(make.admin())
    project, person = make.project(code="CHORDUS"), make.contractor()
    made = admin.post(
        f"/projects/{project.id}/assignments",
        json={"user_id": person.id, "start_date": days_ago(9).isoformat()},
    )
    assert made.status_code == 201
    body = made.get_json()
    assert body["start_date"] == days_ago(9).isoformat()
    assert body["end_date"] is None
    changed = admin.patch(
        f"/assignments/{body['id']}",
        json={"start_date": days_ago(12).isoformat(), "end_date": today().isoformat()},
    )
    assert changed.status_code == 200
    assert changed.get_json()["start_date"] == days_ago(12).isoformat()
    assert changed.get_json()["end_date"] == today().isoformat()


def test_overlaps_answer_409_and_bad_dates_422(api, make):
    admin = api(make.admin())
    project, person = make.project(), make.contractor()
    first = admin.post(
        f"/projects/{project.id}/assignments",
        json={"user_id": person.id, "start_date": days_ago(9).isoformat()},
    )
    again = admin.post(
        f"/projects/{project.id}/assignments",
        json={
            "user_id": person.id,
            "start_date": days_ago(30).isoformat(),
            "end_date": days_ago(9).isoformat(),
        },
    )
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "already_assigned"
    bad = admin.patch(f"/assignments/{first.get_json()['id']}", json={"start_date": "soon"})
    assert bad.status_code == 422
    assert "start_date" in bad.get_json()["error"]["fields"]
    missing = admin.patch("/assignments/999999", json={"start_date": today().isoformat()})
    assert missing.status_code == 404
