"""Entries API: an admin's correction is read-only for its contractor (finding #1); payroll
cannot write entries (finding #9)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.dates import today, yesterday
from tracker.models import AuditEvent, TimeEntry


@pytest.fixture
def corrected(api, make):
    contractor = make.contractor()
    admin = make.admin()
    project = make.project(code="ALPHA", hourly_rate="40.00")
    make.assign(project, contractor, start_date=today() - dt.timedelta(days=10))
    original = make.entry(contractor, project, work_date=yesterday(), minutes=240)
    made = api(admin).post(
        "/entries",
        json={
            "user_id": contractor.id,
            "project_id": project.id,
            "work_date": yesterday().isoformat(),
            "hours": "-2",
            "corrects_entry_id": original.id,
        },
    )
    assert made.status_code == 201, made.get_json()
    return contractor, admin, project, made.get_json()


def test_the_contractor_gets_409_entry_locked_for_an_admins_correction(api, db, corrected):
    contractor, _admin, _project, correction = corrected
    client = api(contractor)
    for response in (
        client.patch(f"/entries/{correction['id']}", json={"hours": "10"}),
        client.delete(f"/entries/{correction['id']}"),
    ):
        assert response.status_code == 409
        error = response.get_json()["error"]
        assert error["code"] == "entry_locked"
        assert "only an admin can change or remove it" in error["message"]
    stored = db.get(TimeEntry, correction["id"])
    assert (stored.minutes, stored.is_correction) == (-120, True)
    assert client.get(f"/entries/{correction['id']}").get_json()["amount"] == "-80.00"


def test_the_admin_still_edits_the_correction(api, corrected):
    _contractor, admin, _project, correction = corrected
    response = api(admin).patch(f"/entries/{correction['id']}", json={"hours": "-1"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["minutes"] == -60


def test_payroll_may_not_write_entries_and_the_refusal_is_audited(api, db, make, corrected):
    _contractor, _admin, project, correction = corrected
    client = api(make.payroll())
    body = {"project_id": project.id, "work_date": yesterday().isoformat(), "minutes": 60}
    before = db.scalar(select(func.count()).select_from(TimeEntry))
    for response in (
        client.post("/entries", json=body),
        client.patch(f"/entries/{correction['id']}", json={"minutes": 30}),
        client.delete(f"/entries/{correction['id']}"),
    ):
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "forbidden"
    assert db.scalar(select(func.count()).select_from(TimeEntry)) == before
    denied = db.scalars(select(AuditEvent).where(AuditEvent.action == "api.denied")).all()
    assert sorted(e.data["method"] for e in denied) == ["DELETE", "PATCH", "POST"]
    for path in (f"/entries/{correction['id']}/approve", f"/entries/{correction['id']}/reject"):
        assert client.post(path, json={"reason": "no"}).status_code == 403
