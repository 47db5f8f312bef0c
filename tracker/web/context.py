"""What every page needs: navigation per role, unread count, hold banners, display filters."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import Flask, current_app
from flask_login import current_user
from sqlalchemy import func, select

from tracker.db import get_session
from tracker.models import Assignment, Hold, Notification, Project

# Navigation per role; links whose page does not exist are left out.
NAV: dict[str, list[tuple[str, str]]] = {
    "contractor": [
        ("home.index", "Dashboard"),
        ("entries.new", "Log hours"),
        ("timesheet.week", "Timesheet"),
        ("entries.index", "Entries"),
        ("offers.index", "Offers"),
        ("account.index", "Account"),
    ],
    "admin": [
        ("home.index", "Overview"),
        ("admin_projects.index", "Projects"),
        ("admin_users.index", "Users"),
        ("approvals.index", "Approvals"),
        ("holds.index", "Holds"),
        ("payroll.index", "Payroll"),
        ("admin_audit.index", "Audit log"),
    ],
    "payroll": [
        ("payroll.index", "Payroll"),
        ("payroll.batches", "Batches"),
        ("account.index", "Account"),
    ],
}


def add_nav(role: str, endpoint: str, label: str, position: int | None = None) -> None:
    """Add a navigation link for a role (feature blueprints call this when registered)."""
    links = NAV[role]
    if any(e == endpoint for e, _ in links):
        return
    links.insert(len(links) if position is None else position, (endpoint, label))


def hold_banners(user: Any) -> list[dict[str, Any]]:
    """Holds in force on projects where the contractor has an active assignment (one query)."""
    rows = get_session().execute(
        select(Hold, Project.code, Project.name)
        .join(Project, Project.id == Hold.project_id)
        .join(Assignment, Assignment.project_id == Project.id)
        .where(
            Hold.ended_at.is_(None),
            Assignment.user_id == user.id,
            Assignment.end_date.is_(None),
        )
        .order_by(Hold.started_at)
    )
    return [{"hold": hold, "code": code, "name": name} for hold, code, name in rows]


def unread_count(user: Any) -> int:
    """Unread notifications of the user."""
    return (
        get_session().scalar(
            select(func.count()).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def _context() -> dict[str, Any]:
    base = {"url_endpoints": current_app.view_functions}
    if not current_user.is_authenticated:
        return {**base, "nav": [], "banners": [], "unread": 0}
    return {
        **base,
        "nav": [
            (e, label)
            for e, label in NAV.get(current_user.role, [])
            if e in current_app.view_functions
        ],
        "banners": hold_banners(current_user) if current_user.is_contractor else [],
        "unread": unread_count(current_user),
    }


def hours(minutes: int | None) -> str:
    """Minutes as hours with two decimals: 450 → "7.50"."""
    if minutes is None:
        return ""
    value = (Decimal(minutes) / 60).quantize(Decimal("0.01"))
    return f"{value:.2f}"


def hmm(minutes: int | None) -> str:
    """Minutes as h:mm: 450 → "7:30"."""
    if minutes is None:
        return ""
    sign = "-" if minutes < 0 else ""
    whole, rest = divmod(abs(minutes), 60)
    return f"{sign}{whole}:{rest:02d}"


def local(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC instant in the signed-in user's timezone, with the zone's abbreviation."""
    if value is None:
        return ""
    zone = "UTC"
    if current_user and current_user.is_authenticated:
        zone = current_user.timezone
    try:
        tz = zoneinfo.ZoneInfo(zone)
    except zoneinfo.ZoneInfoNotFoundError:
        tz = zoneinfo.ZoneInfo("UTC")
    shown = value.astimezone(tz)
    return f"{shown.strftime(fmt)} {shown.tzname()}"


def money(value: Decimal | str | None, currency: str = "") -> str:
    """An amount with two decimals and its currency: 1234.5 → "1,234.50 EUR"."""
    if value is None:
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)  # as payroll
    return f"{amount:,.2f} {currency}".strip()


def init_app(app: Flask) -> None:
    """Install the context processor and the filters."""
    app.context_processor(_context)
    app.add_template_filter(hours)
    app.add_template_filter(hmm)
    app.add_template_filter(local)
    app.add_template_filter(money)
