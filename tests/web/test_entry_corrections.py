"""Web: an admin's correction entry shows no edit or delete controls to its contractor, and the
entries list, edit page and timesheet all refuse to change it (review finding #1)."""

from __future__ import annotations

import datetime as dt
import html

import pytest

from tests.dates import days_ago, today, yesterday
from tracker.models import TimeEntry


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def week_of(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@pytest.fixture
def corrected(db, make, auth):
    """Signed in as a contractor whose 4 h (two days ago) an admin corrected by -2 h yesterday."""
    contractor = make.contractor()
    admin = make.admin()
    project = make.project(code="ALPHA")
    make.assign(project, contractor, start_date=today() - dt.timedelta(days=10))
    original = make.entry(contractor, project, work_date=days_ago(2), minutes=240)
    correction = make.correction(admin, original, "-2", work_date=yesterday(), today=today())
    auth.login(contractor)
    return project, original, correction


def _stored(db, entry_id: int) -> TimeEntry | None:
    db.expire_all()
    return db.get(TimeEntry, entry_id)


def test_the_entries_list_offers_no_edit_or_delete_for_a_correction(client, corrected):
    _project, original, correction = corrected
    page = text(client.get("/entries"))
    assert f"/entries/{original.id}/edit" in page  # the contractor's own entry stays editable
    assert f"/entries/{correction.id}/edit" not in page
    assert f"/entries/{correction.id}/delete" not in page
    assert "Read-only: an admin's correction" in page


def test_posting_an_edit_or_delete_of_a_correction_is_refused_in_plain_words(client, db, corrected):
    project, _original, correction = corrected
    edited = client.post(
        f"/entries/{correction.id}/edit",
        data={
            "project_id": project.id,
            "work_date": yesterday().isoformat(),
            "hours": "10",
            "description": "mine now",
        },
    )
    assert edited.status_code == 409
    assert "only an admin can change or remove it" in text(edited)
    assert 'value="10"' in text(edited)  # the form keeps what was typed
    deleted = client.post(f"/entries/{correction.id}/delete", follow_redirects=True)
    assert "only an admin can change or remove it" in text(deleted)
    stored = _stored(db, correction.id)
    assert stored is not None
    assert (stored.minutes, stored.description) == (-120, "")


def test_the_timesheet_cell_of_a_correction_is_not_an_input_and_cannot_be_emptied(
    client, db, corrected
):
    project, _original, correction = corrected
    name = f"c-{project.id}-{yesterday().isoformat()}"
    week = {"week": week_of(yesterday())}
    page = text(client.get("/timesheet", query_string=week))
    assert f'name="{name}"' not in page
    assert "correction" in page
    client.post("/timesheet", query_string=week, data={name: "0"})
    client.post("/timesheet", query_string=week, data={name: "8"})
    stored = _stored(db, correction.id)
    assert stored is not None
    assert stored.minutes == -120
