"""Each class of bad input gets its 4xx with the documented error shape, and changes nothing.

The property-based sweep (test_bad_input_sweep.py) throws generated values at every route; these
are the classes the review found, one readable example each, with the exact answer expected.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.dates import days_ago
from tests.hostile import CURSORS, assert_error_shape
from tracker.models import TimeEntry

BEYOND = [2**31, 2**63, 10**30]
ODD = ["\u00b2", "\u0661", "\uff15", "1_0", "1e3", "0x10", "7.0"]


def _ascii_to_arabic_indic(number: int) -> str:
    return "".join(chr(0x660 + int(d)) for d in str(number))


@pytest.fixture
def admin_api(api, make):
    return api(make.admin())


@pytest.fixture
def setup(make):
    contractor = make.contractor()
    project = make.project()
    make.assign(project, contractor)
    entry = make.entry(contractor, project)
    return contractor, project, entry


def _entries(db) -> int:
    return db.scalar(select(func.count()).select_from(TimeEntry))


def _invalid(response, field):
    assert_error_shape(response, field)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"], response.get_json()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/entries/{}"),
        ("PATCH", "/entries/{}"),
        ("GET", "/projects/{}"),
        ("GET", "/projects/{}/holds"),
        ("GET", "/projects/{}/assignments"),
        ("POST", "/projects/{}/assignments"),
        ("DELETE", "/assignments/{}"),
        ("GET", "/payroll/batches/{}.csv"),
    ],
)
def test_an_id_in_a_path_that_no_row_has_is_not_found(admin_api, method, path):
    for number in [*BEYOND, 2**31 - 1, 0, "007"]:
        response = admin_api._call(method, path.format(number), json={"user_id": 1})
        assert response.status_code == 404, number
        assert response.get_json()["error"]["code"] == "not_found"


def test_an_id_written_in_other_digits_is_not_another_way_to_name_the_row(admin_api, setup):
    _contractor, _project, entry = setup
    assert admin_api.get(f"/entries/{entry.id}").status_code == 200
    response = admin_api.get(f"/entries/{_ascii_to_arabic_indic(entry.id)}")
    assert response.status_code == 404
    assert admin_api.get(f"/entries/-{entry.id}").status_code == 404


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/entries?user_id={}", "user_id"),
        ("/entries?project_id={}", "project_id"),
        ("/entries?limit={}", "limit"),
        ("/audit?actor_id={}", "actor_id"),
        ("/audit?target_id={}", "target_id"),
        ("/audit?before={}", "before"),
        ("/audit?limit={}", "limit"),
    ],
)
def test_a_filter_that_is_no_id_or_count_is_invalid(admin_api, path, field):
    for value in [*map(str, BEYOND), "0", "-1", *ODD]:
        _invalid(admin_api.get(path.format(value)), field)


@pytest.mark.parametrize("limit", ["501", "100000000000"])
def test_a_huge_page_size_is_refused(admin_api, limit):
    _invalid(admin_api.get(f"/entries?limit={limit}"), "limit")
    _invalid(admin_api.get(f"/audit?limit={limit}"), "limit")


def test_a_cursor_the_app_did_not_hand_out_is_invalid(admin_api):
    for cursor in CURSORS:
        if cursor != "2026-01-01_1" and not cursor.startswith(("9999", "0001")):
            _invalid(admin_api.get("/entries", query_string={"cursor": cursor}), "cursor")


@pytest.mark.parametrize("value", [*BEYOND, 0, -1, 1.5, 2.0, True, None, "1", [1], {"id": 1}])
def test_an_id_in_a_body_that_is_no_integer_id_is_invalid(admin_api, setup, db, value):
    contractor, project, _entry = setup
    before = _entries(db)

    entry = {"project_id": project.id, "work_date": "2026-01-05", "minutes": 60}
    _invalid(admin_api.post("/entries", json={**entry, "project_id": value}), "project_id")
    if value is not None:
        body = {**entry, "user_id": contractor.id, "corrects_entry_id": value}
        _invalid(admin_api.post("/entries", json=body), "corrects_entry_id")
        _invalid(admin_api.post("/entries", json={**entry, "user_id": value}), "user_id")
    assignment = {"user_id": value}
    _invalid(admin_api.post(f"/projects/{project.id}/assignments", json=assignment), "user_id")
    move = {"to_project_id": value}
    _invalid(admin_api.post(f"/projects/{project.id}/reassign", json=move), "to_project_id")
    assert _entries(db) == before


def test_ids_beyond_range_in_a_contractor_body_are_invalid(api, setup, db):
    contractor, project, entry = setup
    mine = api(contractor)
    for value in [*BEYOND, -1, 0]:
        join = {"from_project_id": value, "to_project_id": project.id}
        _invalid(mine.post("/reassignment", json=join), "from_project_id")
        _invalid(mine.patch(f"/entries/{entry.id}", json={"project_id": value}), "project_id")
    db.refresh(entry)
    assert entry.project_id == project.id


def test_numbers_beyond_range_in_other_body_fields_are_invalid(admin_api, setup):
    contractor, project, _entry = setup
    day = days_ago(2).isoformat()
    body = {"project_id": project.id, "work_date": day, "user_id": contractor.id}
    for value in [*BEYOND, -1, 1.5, "\u00b2", [1]]:
        _invalid(admin_api.post("/entries", json={**body, "minutes": value}), "minutes")
        created = {"code": "BIGSEATS", "name": "Big", "hourly_rate": "10.00", "seats": value}
        _invalid(admin_api.post("/projects", json=created), "seats")
        ids = {"to_project_id": project.id, "user_ids": [value]}
        _invalid(admin_api.post(f"/projects/{project.id}/reassign", json=ids), "user_ids")


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_json_nested_too_deep_is_a_bad_request(admin_api, setup, db, depth):
    before = _entries(db)
    for text in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        response = admin_api.client.post(
            "/api/v1/entries",
            data=text,
            content_type="application/json",
            headers=admin_api.headers,
        )
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "bad_request"
    assert _entries(db) == before


def test_a_date_outside_the_calendar_or_not_yyyy_mm_dd_is_invalid(admin_api, setup):
    contractor, project, _entry = setup
    for value in ["0000-01-01", "10000-01-01", "2026-02-30", "20260105", "2026-W01-1"]:
        body = {"project_id": project.id, "work_date": value, "minutes": 60}
        _invalid(admin_api.post("/entries", json={**body, "user_id": contractor.id}), "work_date")
        _invalid(admin_api.get("/entries", query_string={"from": value}), "from")
        _invalid(admin_api.get("/audit", query_string={"to": value}), "to")
        period = {"start": value, "end": value}
        _invalid(admin_api.post("/payroll/batches", json=period), "start")
        assignment = {"user_id": contractor.id, "start_date": value}
        path = f"/projects/{project.id}/assignments"
        _invalid(admin_api.post(path, json=assignment), "start_date")


def test_periods_reaching_the_ends_of_the_calendar_are_answered(admin_api, setup):
    ends = {"from": "0001-01-01", "to": "9999-12-31"}
    listed = admin_api.get("/entries", query_string=ends)
    assert listed.status_code == 200
    assert len(listed.get_json()["entries"]) == 1
    audit = admin_api.get("/audit", query_string=ends)
    assert audit.status_code == 200
    assert audit.get_json()["events"]  # 9999-12-31 bounds nothing: every event is before it
    csv = admin_api.get("/payroll.csv?start=0001-01-01&end=9999-12-31&status=all")
    assert csv.status_code == 200
    period = {"start": "0001-01-01", "end": "9999-12-31", "status": "all"}
    batch = admin_api.post("/payroll/batches", json=period)
    assert batch.status_code == 201
    assert batch.get_json()["entries"] == 1


def test_work_dates_at_the_calendar_ends_are_refused_by_the_rules_not_a_crash(api, setup):
    contractor, project, _entry = setup
    mine = api(contractor)
    body = {"project_id": project.id, "minutes": 60}
    late = mine.post("/entries", json={**body, "work_date": "9999-12-31"})
    assert late.status_code == 422
    assert late.get_json()["error"]["code"] == "future_date"
    early = mine.post("/entries", json={**body, "work_date": "0001-01-01"})
    assert early.status_code == 422
    assert early.get_json()["error"]["code"] in ("not_assigned", "period_locked")


def test_a_text_filter_postgresql_cannot_compare_is_invalid(admin_api):
    for value in ["\x00", "a\x00b", "x" * 101]:
        _invalid(admin_api.get("/audit", query_string={"action": value}), "action")
        _invalid(admin_api.get("/audit", query_string={"target_type": value}), "target_type")
