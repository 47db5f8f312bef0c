"""An approval or rejection lands on the entry as the caller saw it: given the entry's
``updated_at`` as shown, a change since is refused with 409 ``entry_changed``."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.dates import yesterday
from tracker.models import AuditEvent, TimeEntry


@pytest.fixture
def setup(make):
    contractor = make.contractor()
    admin = make.admin()
    project = make.project(code="SEEN")
    make.assign(project, contractor)
    return contractor, admin, project


def _log(api, contractor, project, hours="2"):
    body = {"project_id": project.id, "work_date": yesterday().isoformat(), "hours": hours}
    created = api(contractor).post("/entries", json=body)
    assert created.status_code == 201, created.json
    return created.json


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_an_entry_changed_after_it_was_read_is_refused_with_entry_changed(api, db, setup, action):
    contractor, admin, project = setup
    shown = _log(api, contractor, project)
    seen = api(admin).get(f"/entries/{shown['id']}").json["updated_at"]
    # The contractor changes it after the admin read it.
    changed = api(contractor).patch(f"/entries/{shown['id']}", json={"hours": "9"})
    assert changed.status_code == 200
    body = {"updated_at": seen, "reason": "Not billable"}
    refused = api(admin).post(f"/entries/{shown['id']}/{action}", json=body)
    assert refused.status_code == 409
    error = refused.json["error"]
    assert error["code"] == "entry_changed"
    assert error["entries"][0]["id"] == shown["id"]
    assert "9.00 h" in error["entries"][0]["reason"]
    db.expire_all()
    assert db.get(TimeEntry, shown["id"]).status == "submitted"
    decided = select(AuditEvent).where(AuditEvent.action == f"entry.{action}")
    assert db.scalars(decided).all() == []
    # With what is there now, the decision lands.
    now = api(admin).get(f"/entries/{shown['id']}").json["updated_at"]
    assert now is not None
    done = api(admin).post(
        f"/entries/{shown['id']}/{action}", json={"updated_at": now, "reason": "Not billable"}
    )
    assert done.status_code == 200
    assert done.json["status"] == ("approved" if action == "approve" else "rejected")


def test_without_updated_at_an_approval_decides_the_entry_as_it_is(api, setup):
    contractor, admin, project = setup
    shown = _log(api, contractor, project)
    api(contractor).patch(f"/entries/{shown['id']}", json={"hours": "3"})
    assert api(admin).post(f"/entries/{shown['id']}/approve").json["status"] == "approved"


def test_an_unchanged_entry_is_approved_with_the_updated_at_it_showed(api, setup):
    contractor, admin, project = setup
    shown = _log(api, contractor, project)
    assert shown["updated_at"] is None
    done = api(admin).post(f"/entries/{shown['id']}/approve", json={"updated_at": None})
    assert done.status_code == 200
    assert done.json["status"] == "approved"


@pytest.mark.parametrize("bad", ["yesterday", 42, ["2026-01-01"], "9999-99-99T00:00:00Z"])
def test_an_updated_at_that_is_no_timestamp_is_invalid(api, setup, bad):
    contractor, admin, project = setup
    shown = _log(api, contractor, project)
    refused = api(admin).post(f"/entries/{shown['id']}/approve", json={"updated_at": bad})
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "invalid"


def test_the_openapi_document_offers_updated_at_on_approve_and_reject(client):
    spec = client.get("/api/v1/openapi.json").json
    approve = spec["paths"]["/entries/{entry_id}/approve"]["post"]
    assert approve["requestBody"]["required"] is False
    assert "409" in approve["responses"]
    schemas = spec["components"]["schemas"]
    assert "updated_at" in schemas["EntryApprove"]["properties"]
    assert "updated_at" in schemas["EntryReject"]["properties"]
