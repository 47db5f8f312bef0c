"""Log hours, the entries list, edit and delete, and the dashboard's week panel."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from sqlalchemy import func, select

from tests.dates import today, yesterday
from tests.web.entry_helpers import count_queries
from tracker.models import AuditEvent, TimeEntry, utcnow


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def entry_count(db) -> int:
    return db.scalar(select(func.count()).select_from(TimeEntry))


@pytest.fixture
def casey(make, auth):
    contractor = make.contractor(name="Casey")
    project = make.project(code="CHORDUS", name="Core banking")
    make.assign(project, contractor)
    auth.login(contractor)
    return contractor, project


def test_the_form_lists_only_active_open_projects_and_defaults_to_local_today(client, make, auth):
    contractor = make.contractor(timezone="Pacific/Kiritimati")
    mine = make.project(code="MINE")
    held = make.project(code="HELD")
    closed = make.project(code="SHUT")
    ended = make.project(code="ENDED")
    stranger = make.project(code="STRANGER")
    for project in (mine, held, closed, ended):
        make.assign(project, contractor)
    make.hold(held)
    make.db.merge(closed).status = "closed"
    from tracker.models import Assignment

    make.db.query(Assignment).filter_by(project_id=ended.id).update({"end_date": yesterday()})
    make.db.commit()
    auth.login(contractor)
    page = text(client.get("/entries/new"))
    assert "MINE" in page
    assert "STRANGER" not in page
    assert "SHUT" not in page
    assert "ENDED" not in page
    assert re.search(r'<option disabled value="\d+">HELD — [^<]*\(on hold since', page)
    kiritimati_today = utcnow().astimezone(dt.timezone(dt.timedelta(hours=14))).date()
    assert f'value="{kiritimati_today.isoformat()}"' in page
    assert stranger.id


def test_logging_hours_saves_the_entry_and_shows_it_in_the_week(client, casey, db):
    contractor, project = casey
    response = client.post(
        "/entries/new",
        data={
            "project_id": project.id,
            "work_date": yesterday().isoformat(),
            "hours": "7h30",
            "description": "Ledger import",
        },
    )
    assert response.status_code == 302
    assert "/timesheet?week=" in response.location
    entry = db.scalar(select(TimeEntry))
    assert (entry.minutes, entry.user_id, entry.project_id) == (450, contractor.id, project.id)
    week = text(client.get(response.location))
    assert "7.50" in week
    assert "Logged 7.50 h on CHORDUS" in week


def test_hours_typed_in_arabic_indic_digits_are_logged_like_any_other(client, casey, db):
    _contractor, project = casey
    day = yesterday().isoformat()
    response = client.post(
        "/entries/new", data={"project_id": project.id, "work_date": day, "hours": "٧٫٥"}
    )
    assert response.status_code == 302
    assert db.scalar(select(TimeEntry.minutes)) == 450


@pytest.mark.parametrize(
    ("typed", "field_id", "message"),
    [
        ({"hours": "seven"}, "hours", "Enter hours as 7.5, 7,5, 7:30, 7h30, 2h, 2h38m or 450m"),
        ({"hours": "0"}, "hours", "more than zero"),
        ({"hours": "25"}, "hours", "at most 24 hours"),
        ({"work_date": (today() + dt.timedelta(days=2)).isoformat()}, "work_date", "in the future"),
        (
            {"work_date": (today() - dt.timedelta(days=30)).isoformat()},
            "work_date",
            "period is closed",
        ),
        ({"work_date": "yesterday"}, "work_date", "Enter a date like"),
        ({"description": "bad\x01text"}, "description", "control characters"),
    ],
)
def test_each_refusal_is_shown_beside_its_field_and_the_form_keeps_the_input(
    client, casey, db, typed, field_id, message
):
    _contractor, project = casey
    data = {
        "project_id": project.id,
        "work_date": yesterday().isoformat(),
        "hours": "2",
        "description": "Kept text",
        **typed,
    }
    response = client.post("/entries/new", data=data)
    assert response.status_code == 422
    page = text(response)
    error = re.search(rf'<p class="error" id="{field_id}-error">([^<]*)</p>', page)
    assert error is not None
    assert message in error.group(1)
    if "description" not in typed:
        assert "Kept text" in page
    assert f'value="{data["hours"]}"' in page or field_id == "description"
    assert entry_count(db) == 0


def test_a_hold_is_shown_on_the_project_field_with_the_rule_and_since_when(client, casey, make, db):
    _contractor, project = casey
    hold = make.hold(project, notice="The client is investigating a breach.")
    response = client.post(
        "/entries/new", data={"project_id": project.id, "work_date": "2099-01-01", "hours": "99"}
    )
    assert response.status_code == 409
    error = re.search(r'<p class="error" id="project_id-error">([^<]*)</p>', text(response))
    assert "CHORDUS is on hold since" in error.group(1)
    assert f'href="/incidents/{hold.incident_id}"' in text(response)  # the refusal links there
    assert "no hours can be logged or changed until it is lifted" in error.group(1)
    assert "The client is investigating a breach." not in error.group(1)  # the banner has it
    assert entry_count(db) == 0
    assert (
        db.scalar(select(AuditEvent).where(AuditEvent.action == "entry.refused")).data["via"]
        == "web"
    )


def test_the_daily_limit_and_not_assigned_are_refused_in_words(client, casey, make, db):
    contractor, project = casey
    make.entry(contractor, project, work_date=yesterday(), minutes=1200)
    limit = client.post(
        "/entries/new",
        data={"project_id": project.id, "work_date": yesterday().isoformat(), "hours": "5"},
    )
    assert "more than 24 hours" in text(limit)
    other = make.project(code="OTHER")
    refused = client.post(
        "/entries/new",
        data={"project_id": other.id, "work_date": yesterday().isoformat(), "hours": "1"},
    )
    assert refused.status_code == 422
    assert "not assigned" in text(refused)
    assert entry_count(db) == 1


def test_the_list_filters_pages_and_offers_edit_only_where_allowed(client, casey, make):
    contractor, project = casey
    other = make.project(code="OTHER")
    make.assign(other, contractor)
    approved = make.entry(
        contractor, project, work_date=yesterday(), status="approved", description="approved one"
    )
    make.entry(contractor, other, work_date=yesterday(), description="other project")
    for i in range(55):
        make.entry(
            contractor,
            project,
            work_date=today() - dt.timedelta(days=2 + i % 10),
            minutes=30,
            description=f"bulk {i}",
        )
    page = text(client.get("/entries"))
    assert page.count("<tr>") == 51  # header + 50 rows
    assert 'rel="next"' in page
    older = re.search(r'href="([^"]*after=[^"]*)" rel="next"', page).group(1)
    second = text(client.get(html.unescape(older)))
    assert second.count("<tr>") == 1 + 7
    only_other = text(client.get("/entries", query_string={"project_id": other.id}))
    assert "other project" in only_other
    assert "approved one" not in only_other
    approved_only = text(client.get("/entries", query_string={"status": "approved"}))
    assert "approved one" in approved_only
    assert "Read-only" in approved_only
    assert f"/entries/{approved.id}/edit" not in approved_only
    day = text(
        client.get(
            "/entries",
            query_string={"from": yesterday().isoformat(), "to": yesterday().isoformat()},
        )
    )
    assert "approved one" in day
    assert "bulk" not in day


def test_edit_and_delete_follow_the_rules_and_others_entries_are_404(client, casey, make, db):
    contractor, project = casey
    entry = make.entry(contractor, project, work_date=yesterday(), minutes=60)
    form = text(client.get(f"/entries/{entry.id}/edit"))
    assert 'value="1:00"' in form
    saved = client.post(
        f"/entries/{entry.id}/edit",
        data={
            "project_id": project.id,
            "work_date": yesterday().isoformat(),
            "hours": "1,5",
            "description": "more",
        },
    )
    assert saved.status_code == 302
    db.refresh(entry)
    assert entry.minutes == 90
    approved = make.entry(contractor, project, work_date=yesterday(), status="approved")
    refused = client.post(
        f"/entries/{approved.id}/edit",
        data={"project_id": project.id, "work_date": yesterday().isoformat(), "hours": "3"},
    )
    assert refused.status_code == 409
    assert "approved" in text(refused)
    gone = client.post(f"/entries/{entry.id}/delete", follow_redirects=True)
    assert "Entry deleted." in text(gone)
    assert db.scalar(select(TimeEntry.id).where(TimeEntry.id == entry.id)) is None
    stranger = make.contractor()
    make.assign(project, stranger)
    theirs = make.entry(stranger, project)
    assert client.get(f"/entries/{theirs.id}/edit").status_code == 404
    assert client.post(f"/entries/{theirs.id}/delete").status_code == 404


def test_the_dashboard_shows_this_weeks_hours_as_a_chart_and_per_project(client, casey, make):
    contractor, project = casey
    make.entry(contractor, project, work_date=today(), minutes=450)
    page = text(client.get("/"))
    assert '<svg class="chart week-chart"' in page
    assert "<title" in page
    assert "7.50" in page
    assert "Per project" in page
    assert "CHORDUS" in page
    assert "Hours per day as a table" in page


def test_the_dashboard_runs_the_same_number_of_queries_for_1_or_30_entries(
    app, client, casey, make
):
    contractor, project = casey
    monday = today() - dt.timedelta(days=today().weekday())
    make.entry(contractor, project, work_date=monday, minutes=10)
    client.get("/")
    with count_queries(app) as one:
        assert client.get("/").status_code == 200
    for i in range(29):
        make.entry(contractor, project, work_date=monday + dt.timedelta(days=i % 7), minutes=10)
    with count_queries(app) as thirty:
        assert client.get("/").status_code == 200
    assert len(one) == len(thirty)


def test_a_closed_project_is_refused_beside_the_project_field(client, casey, db):
    _contractor, project = casey
    from tracker.services import projects

    projects.update_project(db, None, db.merge(project), status="closed")
    db.commit()
    response = client.post(
        "/entries/new",
        data={"project_id": project.id, "work_date": yesterday().isoformat(), "hours": "1"},
    )
    assert response.status_code == 409
    error = re.search(r'<p class="error" id="project_id-error">([^<]*)</p>', text(response))
    assert "CHORDUS is closed" in error.group(1)
    assert entry_count(db) == 0


def test_after_saving_only_same_site_next_addresses_are_followed(client, casey, make):
    contractor, project = casey
    entry = make.entry(contractor, project, work_date=yesterday(), minutes=60)
    data = {"project_id": project.id, "work_date": yesterday().isoformat(), "hours": "2"}
    for evil in ("//evil.example/", "/\\evil.example/", "https://evil.example/"):
        response = client.post(f"/entries/{entry.id}/edit?next={evil}", data=data)
        assert response.status_code == 302
        assert "evil" not in response.location
    ok = client.post(f"/entries/{entry.id}/edit?next=/entries?status=submitted", data=data)
    assert ok.location.endswith("/entries?status=submitted")
