"""Small page details: empty states, dates that stay whole, folded audit data, 0.00 overrides."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest

from tests.dates import today
from tracker.clock import local_today
from tracker.models import AuditEvent, ExportBatch


def text(response) -> str:
    """The page's HTML with entities decoded; the request must have succeeded."""
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


def week_panel(page: str) -> str:
    """The dashboard's "This week" section."""
    found = re.search(r'<section class="card week-panel".*?</section>', page, re.S)
    assert found, "no week panel on the dashboard"
    return found.group(0)


@pytest.fixture
def casey(make, auth):
    contractor = make.contractor(name="Casey", timezone="UTC")
    project = make.project(code="CHORDUS", name="Core banking")
    make.assign(project, contractor)
    auth.login(contractor)
    return contractor, project


def test_a_week_without_hours_says_so_instead_of_a_blank_chart(client, casey, make):
    contractor, project = casey
    make.entry(contractor, project, work_date=local_today(contractor) - dt.timedelta(days=8))
    panel = week_panel(text(client.get("/")))
    assert "No hours logged this week yet." in panel
    assert "<svg" not in panel
    assert "Hours per day as a table" not in panel
    assert 'href="/entries/new"' in panel
    assert ">Log hours</a>" in panel
    assert ">Open the timesheet</a>" in panel


def test_a_week_with_hours_shows_the_chart_and_no_empty_sentence(client, casey, make):
    contractor, project = casey
    today = local_today(contractor)
    make.entry(contractor, project, work_date=today, minutes=90)
    panel = week_panel(text(client.get("/")))
    assert "No hours logged this week yet." not in panel
    assert '<svg class="chart week-chart"' in panel
    assert f'<time datetime="{today.isoformat()}">{today.isoformat()}</time>' in panel


def test_someone_who_never_logged_hours_is_told_so_and_led_to_log_them(client, casey):
    page = text(client.get("/entries"))
    assert "You have not logged any hours yet." in page
    assert re.search(r'class="empty">[^<]*<a href="/entries/new">', page)
    assert "No entries match these filters." not in page


def test_filters_that_match_nothing_keep_the_filter_message(client, casey, make):
    contractor, project = casey
    make.entry(contractor, project, status="approved")
    page = text(client.get("/entries?status=rejected"))
    assert "No entries match these filters." in page
    assert "You have not logged any hours yet." not in page
    # With no entries at all, a filter still gets the filter message: it may be the filter.
    page = text(client.get("/entries?from=2001-01-01&to=2001-01-07"))
    assert "No entries match these filters." in page


def test_entry_dates_are_marked_so_they_do_not_split(client, casey, make):
    contractor, project = casey
    day = local_today(contractor) - dt.timedelta(days=2)
    make.entry(contractor, project, work_date=day)
    page = text(client.get("/entries"))
    cell = f'<time datetime="{day.isoformat()}">{day.isoformat()}</time>'
    assert f'<td data-label="Date">{cell}</td>' in page


def test_approval_dates_are_marked_so_they_do_not_split(client, auth, make):
    contractor = make.contractor(name="Casey")
    project = make.project(code="CHORDUS")
    make.assign(project, contractor)
    day = today() - dt.timedelta(days=3)
    make.entry(contractor, project, work_date=day)
    auth.login(make.admin())
    page = text(client.get("/admin/approvals"))
    cell = f'<time datetime="{day.isoformat()}">{day.isoformat()}</time>'
    assert f'<td data-label="Date">{cell}</td>' in page


def test_batch_periods_and_creation_times_are_marked(client, auth, make, db):
    clerk = make.payroll(name="Pat Payroll", timezone="UTC")
    batch = ExportBatch(
        period_start=dt.date(2026, 3, 1),
        period_end=dt.date(2026, 3, 31),
        created_by_id=clerk.id,
        created_at=dt.datetime(2026, 4, 1, 9, 30, tzinfo=dt.UTC),
        sha256="0" * 64,
        content=b"",
    )
    db.add(batch)
    db.commit()
    auth.login(clerk)
    page = text(client.get("/payroll/batches"))
    assert '<time datetime="2026-03-01">2026-03-01</time> to ' in page
    assert '<time datetime="2026-03-31">2026-03-31</time>' in page
    assert (
        '<time class="stamp" datetime="2026-04-01T09:30:00+00:00">'
        '<span class="date">2026-04-01</span> 09:30 UTC</time>'
    ) in page


def test_the_audit_log_lists_event_data_in_words(client, auth, make, db):
    admin = make.admin(name="Audit Admin", timezone="UTC")
    db.add_all(
        [
            AuditEvent(
                actor_id=admin.id,
                action="project.freeze",
                target_type="project",
                target_id=7,
                data={"reason": "marker-freeze"},
                at=dt.datetime(2026, 11, 26, 8, 5, 9, tzinfo=dt.UTC),
            ),
            AuditEvent(actor_id=admin.id, action="user.login", data={}),
        ]
    )
    db.commit()
    auth.login(admin)
    page = text(client.get("/admin/audit/?action=project.freeze"))
    row = re.search(r"<tr>\s*<td[^>]*><time.*?</tr>", page, re.S)
    assert row, "no audit row"
    assert '<time class="stamp" datetime="2026-11-26T08:05:09+00:00">' in row.group(0)
    assert '<span class="date">2026-11-26</span> 08:05:09 UTC' in row.group(0)
    assert '<li><span class="field">reason</span>: marker-freeze</li>' in row.group(0)
    # An event without data gets no empty list.
    page = text(client.get("/admin/audit/?action=user.login"))
    assert "user.login" in page
    assert '<ul class="changes">' not in page.split("<tbody>", 1)[1]


def test_the_date_rule_is_in_the_stylesheet(client):
    css = client.get("/static/app.css").get_data(as_text=True)
    assert re.search(r"\.date, time \{ white-space: nowrap; \}", css)
    assert "time.stamp .date { white-space: nowrap; }" in css


def test_an_override_of_zero_shows_zero_not_the_project_rate(client, auth, make):
    project = make.project(code="FREEBIE", hourly_rate="80.00")
    volunteer = make.contractor(name="Val Volunteer")
    paid = make.contractor(name="Pam Paid")
    make.assign(project, volunteer, hourly_rate=Decimal("0.00"))
    make.assign(project, paid)
    auth.login(make.admin())
    page = text(client.get(f"/admin/projects/{project.id}"))
    rows = {
        name: re.search(rf"{name}</a></td>.*?</tr>", page, re.S).group(0)  # type: ignore[union-attr]
        for name in ("Val Volunteer", "Pam Paid")
    }
    assert '0.00 EUR <span class="muted">(override)</span>' in rows["Val Volunteer"]
    assert "80.00" not in rows["Val Volunteer"]
    assert "80.00 EUR" in rows["Pam Paid"]
    assert "(override)" not in rows["Pam Paid"]
