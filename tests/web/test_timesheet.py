"""The weekly timesheet: the grid, totals, week navigation, and saving the week in one POST."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from sqlalchemy import select

from tests.dates import monday, today
from tests.web.entry_helpers import count_queries
from tracker.clock import span_text
from tracker.models import AuditEvent, TimeEntry


def week_of(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def cell(project, day: dt.date) -> str:
    return f"c-{project.id}-{day.isoformat()}"


def last_monday() -> dt.date:
    """The Monday of last week, where the factories' contractors are (UTC)."""
    return monday() - dt.timedelta(days=7)


@pytest.fixture
def casey(make, auth):
    contractor = make.contractor(name="Casey")
    alpha = make.project(code="ALPHA")
    beta = make.project(code="BETA")
    make.assign(alpha, contractor)
    make.assign(beta, contractor)
    auth.login(contractor)
    return contractor, alpha, beta


def test_the_grid_shows_projects_days_and_totals_with_week_navigation(client, casey, make):
    contractor, alpha, beta = casey
    make.entry(contractor, alpha, work_date=last_monday(), minutes=450)
    make.entry(
        contractor,
        alpha,
        work_date=last_monday() + dt.timedelta(days=1),
        minutes=60,
    )
    make.entry(contractor, beta, work_date=last_monday(), minutes=90)
    page = text(client.get("/timesheet", query_string={"week": week_of(last_monday())}))
    # A contractor reads the week's dates, not the ISO label "2026-W49" alone.
    sunday = last_monday() + dt.timedelta(days=6)
    assert f'Timesheet <span class="muted">{span_text(last_monday(), sunday)}</span>' in page
    assert (
        f'name="{cell(alpha, last_monday())}" id="{cell(alpha, last_monday())}" value="7.50"'
        in page
    )
    totals = re.findall(r'<td class="num total"[^>]*>([\d.]+)</td>', page)
    assert totals[:2] == ["8.50", "1.50"]  # ALPHA and BETA rows
    assert totals[2:4] == ["9.00", "1.00"]  # Monday and Tuesday
    assert '<td class="num total week-total" data-label="Week">10.00</td>' in page
    assert f"week={week_of(last_monday() - dt.timedelta(days=7))}" in page
    assert f"week={week_of(monday())}" in page
    assert 'class="table-scroll"' in page
    assert 'name="viewport"' in page


def test_a_bad_week_goes_back_to_this_week(client, casey):
    response = client.get("/timesheet", query_string={"week": "2026-W99"})
    assert response.status_code == 302


def test_saving_the_week_creates_changes_and_deletes_in_one_submit(client, casey, make, db):
    contractor, alpha, beta = casey
    changed = make.entry(contractor, alpha, work_date=last_monday(), minutes=60)
    removed = make.entry(contractor, beta, work_date=last_monday(), minutes=60).id
    kept = changed.id
    response = client.post(
        f"/timesheet?week={week_of(last_monday())}",
        data={
            cell(alpha, last_monday()): "2:30",
            cell(beta, last_monday()): "",
            cell(alpha, last_monday() + dt.timedelta(days=2)): "7,5",
            cell(beta, last_monday() + dt.timedelta(days=3)): "",
        },
    )
    assert response.status_code == 302
    db.expire_all()
    rows = {(e.project_id, e.work_date): e.minutes for e in db.scalars(select(TimeEntry))}
    assert rows == {
        (alpha.id, last_monday()): 150,
        (alpha.id, last_monday() + dt.timedelta(days=2)): 450,
    }
    assert set(db.scalars(select(TimeEntry.id))) == {kept, kept + 2}
    assert removed not in set(db.scalars(select(TimeEntry.id)))
    assert "Week saved (3 changes)" in text(client.get(response.location))


def test_one_refused_cell_saves_nothing_and_shows_why_beside_it(client, casey, make, db):
    contractor, alpha, beta = casey
    make.hold(beta, notice="Paused for the audit.")
    make.entry(contractor, alpha, work_date=last_monday(), minutes=60)
    response = client.post(
        f"/timesheet?week={week_of(last_monday())}",
        data={
            cell(alpha, last_monday()): "3",
            cell(alpha, last_monday() + dt.timedelta(days=1)): "7 hours",
            cell(alpha, last_monday() + dt.timedelta(days=2)): "25",
        },
    )
    assert response.status_code == 422
    page = text(response)
    assert "Nothing was saved" in page
    bad = cell(alpha, last_monday() + dt.timedelta(days=1))
    assert re.search(rf'id="{bad}-error">Enter hours as 7.5', page)
    assert 'value="7 hours"' in page
    assert (
        f'name="{cell(alpha, last_monday())}" id="{cell(alpha, last_monday())}" value="3"' in page
    )
    too_long = cell(alpha, last_monday() + dt.timedelta(days=2))
    assert re.search(rf'id="{too_long}-error">One entry can be at most 24 hours', page)
    assert [e.minutes for e in db.scalars(select(TimeEntry))] == [60]
    assert f'name="{cell(beta, last_monday())}"' not in page  # held: no input


def test_a_cell_on_a_held_project_is_refused_with_the_notice(client, casey, make, db):
    contractor, alpha, _beta = casey
    make.entry(contractor, alpha, work_date=last_monday(), minutes=60)
    page = text(client.get(f"/timesheet?week={week_of(last_monday())}"))
    assert f'name="{cell(alpha, last_monday())}"' in page
    make.hold(alpha, notice="Client incident, stand by.")
    response = client.post(
        f"/timesheet?week={week_of(last_monday())}",
        data={cell(alpha, last_monday()): "2"},
    )
    # The page was loaded before the hold: the cell is no longer editable, so nothing changes.
    assert response.status_code == 302
    assert [e.minutes for e in db.scalars(select(TimeEntry))] == [60]
    assert "Client incident, stand by." in text(client.get(response.location))


def test_the_timesheet_runs_the_same_number_of_queries_for_1_or_30_entries(
    app, client, casey, make
):
    contractor, alpha, beta = casey
    make.entry(contractor, alpha, work_date=last_monday(), minutes=10)
    url = f"/timesheet?week={week_of(last_monday())}"
    client.get(url)
    with count_queries(app) as one:
        assert client.get(url).status_code == 200
    for i in range(29):
        make.entry(
            contractor,
            beta if i % 2 else alpha,
            work_date=last_monday() + dt.timedelta(days=i % 7),
            minutes=10,
        )
    with count_queries(app) as thirty:
        assert client.get(url).status_code == 200
    assert len(one) == len(thirty)


def test_refusals_from_the_grid_are_audited(client, casey, make, db):
    _contractor, alpha, _beta = casey
    old = today() - dt.timedelta(days=20)
    response = client.post(f"/timesheet?week={week_of(old)}", data={cell(alpha, old): "2"})
    assert response.status_code == 302  # outside the window: the cell is not an input
    assert db.scalar(select(TimeEntry)) is None
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "entry.create")) is None
