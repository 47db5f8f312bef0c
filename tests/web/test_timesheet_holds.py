"""The timesheet says which cells a hold makes read-only, and why, in words a phone shows too."""

from __future__ import annotations

import datetime as dt
import html
import re

from tests.dates import days_ago, monday
from tracker.clock import day_text, local_today


def _week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _cell(page: str, name: str) -> str:
    """The <td> that holds the cell ``name`` (its input, or its read-only content)."""
    found = re.search(rf'<td [^>]*data-label="{name}"[^>]*>(.*?)</td>', page, re.S)
    assert found, name
    return found.group(0)


def test_cells_read_only_because_of_a_hold_say_why_and_point_to_the_rule(client, auth, make):
    casey = make.contractor(name="Casey")
    project = make.project(code="CHORDUS")
    make.assign(project, casey, start_date=days_ago(30))
    last_monday = monday() - dt.timedelta(days=7)
    wednesday = last_monday + dt.timedelta(days=2)
    hold = make.hold(
        project,
        notice="Paused for the audit.",
        allow_backfill=True,
        started_at=dt.datetime.combine(wednesday, dt.time(12), tzinfo=dt.UTC),
    )
    make.entry(casey, project, work_date=wednesday + dt.timedelta(days=1), minutes=60)
    auth.login(casey)
    page = html.unescape(client.get(f"/timesheet?week={_week(last_monday)}").get_data(True))

    # The rule, once, above the grid (visible on any screen), with the incident page.
    rule = (
        f"CHORDUS is on hold since {day_text(wednesday, local_today(casey))} 12:00 UTC: "
        f"only days before {day_text(wednesday, local_today(casey))} can still take new hours."
    )
    hint = re.search(r'<p class="hold-hint" id="hold-hint-(\d+)">(.*?)</p>', page, re.S)
    assert hint
    assert hint.group(1) == str(project.id)
    assert rule in hint.group(2)
    assert f'href="/incidents/{hold.incident_id}"' in hint.group(2)
    assert "Paused for the audit." not in hint.group(2)  # the banner shows the notice

    # Days before the hold still take hours: plain inputs, no hold note.
    before = _cell(page, f"Tue {(wednesday - dt.timedelta(days=1)).day}")
    assert "<input" in before
    assert "on hold" not in before
    assert "aria-describedby" not in before

    # From the hold's day on, each cell is read-only and says why: a visible note, a title,
    # and aria-describedby pointing at the rule.
    for offset in range(5):
        day = wednesday + dt.timedelta(days=offset)
        held = _cell(page, f"{day:%a} {day.day}")
        assert "<input" not in held
        assert 'class="cell-note held-note">on hold<' in held
        assert f'aria-describedby="hold-hint-{project.id}"' in held
        assert f'title="Read-only: {rule}"' in held


def test_a_grid_without_holds_has_no_hold_hint(client, auth, make):
    casey = make.contractor()
    project = make.project(code="OPEN")
    make.assign(project, casey, start_date=days_ago(3))
    auth.login(casey)
    page = client.get("/timesheet").get_data(as_text=True)
    assert "hold-hint" not in page
    assert "held-note" not in page
