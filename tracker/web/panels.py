"""Panels one area shows on another's page, composed here and nowhere else.

The contractor's dashboard shows this week's hours and their reassignment offers; the admin
overview shows the holds in force; an admin project page shows its hold and, while it is held,
the bulk move. Each page asks for its panels by name; nothing registers itself on import.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tracker.clock import local_today, weekday_text
from tracker.db import get_session
from tracker.models import Project, User
from tracker.security import login_is_recent
from tracker.services import hold_reports, holds, incident_reads, reassignment, timesheet
from tracker.web import holds as hold_pages
from tracker.web import offers as offer_pages
from tracker.web import payroll as payroll_pages

# The dashboard's week chart: this week per day, as a small SVG bar chart.
CHART_WIDTH, CHART_HEIGHT, BAR_TOP = 350, 120, 14
OFFERS_ON_DASHBOARD = 3


def contractor_home(user: User) -> dict[str, Any]:
    """The dashboard's panels: this week's hours, and the offers while a project is held."""
    return {**_week_panel(user), **_offers_panel(user)}


def admin_home(user: User) -> dict[str, Any]:
    """The admin overview's summary of holds in force, and the incidents past their review."""
    db = get_session()
    return {
        "holds_panels": ["admin_incidents/_home_panel.html", "holds/_home_panel.html"],
        "holds_in_force": hold_reports.holds_in_force(db),
        "incidents_overdue": incident_reads.overdue(db, local_today(user)),
        "incidents_active": incident_reads.list_incidents(db, user, active=True),
    }


def payroll_home(user: User) -> dict[str, Any]:
    """The payroll landing's panel: last month's next step and the latest batches."""
    return payroll_pages.landing(user)


def project_page(project: Project) -> list[tuple[str, dict[str, Any]]]:
    """The admin project page's panels: its hold (freeze, unfreeze, history), the bulk move."""
    db = get_session()
    hold = holds.active_hold(db, project)
    hold_panel = {
        "hold": hold,
        "history": hold_reports.hold_history(db, project),
        "affected": holds.affected_contractors(db, project),
        "recent": login_is_recent(),
        "freeze_form": hold_pages.FreezeForm(formdata=None),
        "unfreeze_form": hold_pages.UnfreezeForm(formdata=None),
    }
    move_panel: dict[str, Any] = {"show": False}
    if hold is not None and project.status == "frozen":
        form = offer_pages.move_form(project)
        move_panel = {"show": True, "hold": hold, "form": form, "project": project}
    return [
        ("holds/_project_panel.html", hold_panel),
        ("offers/_admin_move_panel.html", move_panel),
    ]


def _week_panel(user: User) -> dict[str, Any]:
    """This week's hours per day and per project (3 queries)."""
    today = local_today(user)
    monday = today - dt.timedelta(days=today.weekday())
    week = timesheet.week(get_session(), user, monday, today=today)
    totals = week.day_totals
    scale = max([480, *totals])
    slot = CHART_WIDTH / 7
    bars = []
    for i, (day, minutes) in enumerate(zip(week.days, totals, strict=True)):
        height = round((CHART_HEIGHT - BAR_TOP) * max(minutes, 0) / scale)
        bars.append(
            {
                "day": day,
                "label": weekday_text(day),
                "minutes": minutes,
                "x": round(i * slot + slot * 0.2),
                "width": round(slot * 0.6),
                "y": CHART_HEIGHT - height,
                "height": height,
                "today": day == today,
                "text_x": round(i * slot + slot / 2),
            }
        )
    return {
        "entries_panels": ["entries/_week_panel.html"],
        "week_panel": {
            "week": week,
            # Without hours (or when corrections cancel out) the chart would be blank: say so.
            "has_hours": any(totals),
            "bars": bars,
            "chart_height": CHART_HEIGHT,
            "chart_width": CHART_WIDTH,
        },
    }


def _offers_panel(user: User) -> dict[str, Any]:
    """The top offers on a held contractor's dashboard."""
    db = get_session()
    held = reassignment.held_assignments(db, user)
    if not held:
        return {}
    found = reassignment.offers(db, user)
    return {
        "offers_panels": ["offers/_dashboard_panel.html"],
        "offers_top": found[:OFFERS_ON_DASHBOARD],
        "offers_total": len(found),
        "offers_held": held,
    }
