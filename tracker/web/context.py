"""What every page needs: navigation per role, unread count, hold banners, display filters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tracker.clock import zone
from tracker.db import get_session
from tracker.services import durations, hold_banners, notifications, reassignment, validation

# Navigation per role (every endpoint named here exists: the app registers them all).
NAV: dict[str, list[tuple[str, Any]]] = {
    "contractor": [
        ("home.index", _l("Dashboard")),
        ("entries.new", _l("Log hours")),
        ("timesheet.week", _l("Timesheet")),
        ("entries.index", _l("Entries")),
        ("offers.index", _l("Offers")),
        ("account.index", _l("Account")),
    ],
    "admin": [
        ("home.index", _l("Overview")),
        ("admin_projects.index", _l("Projects")),
        ("admin_users.index", _l("Users")),
        ("approvals.index", _l("Approvals")),
        ("holds.index", _l("Holds")),
        ("admin_incidents.index", _l("Incidents")),
        ("payroll.index", _l("Payroll")),
        ("admin_outbox.index", _l("Delivery")),
        ("admin_audit.index", _l("Audit log")),
    ],
    "payroll": [
        ("payroll.index", _l("Payroll")),
        ("payroll.batches", _l("Batches")),
        ("account.index", _l("Account")),
    ],
}


# The roles as people read them (the stored codes stay English).
ROLE_NAMES: dict[str, Any] = {
    "contractor": _l("contractor"),
    "admin": _l("admin"),
    "payroll": _l("payroll"),
}


def _context() -> dict[str, Any]:
    base = {"url_endpoints": current_app.view_functions, "role_names": ROLE_NAMES}
    if not current_user.is_authenticated:
        return {**base, "nav": [], "banners": [], "unread": 0}
    db = get_session()
    return {
        **base,
        "nav": NAV.get(current_user.role, []),
        # Holds in force on the contractor's projects, shown on every page while they last.
        "banners": (
            keyed(db, banners(reassignment.held_assignments(db, current_user)))
            if current_user.is_contractor
            else []
        ),
        "unread": notifications.unread_count(db, current_user),
    }


def banners(held: list[Any]) -> list[dict[str, Any]]:
    """One banner per incident, naming each of the contractor's projects it holds.

    Someone on five held projects of one client's incident reads one banner, not five.
    """
    grouped: dict[int, dict[str, Any]] = {}
    for item in held:
        banner = grouped.setdefault(
            item.hold.incident_id,
            {"incident_id": item.hold.incident_id, "hold": item.hold, "projects": [], "holds": []},
        )
        banner["projects"].append(item.project)
        banner["holds"].append(item.hold.id)
    return list(grouped.values())


def keyed(db: Any, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each banner with its key (what the reader saw) and whether they folded it away.

    A banner folds only for the key it had when folded: a new update or a new hold opens it.
    """
    if not found:
        return found
    latest = hold_banners.latest_updates(db, [b["incident_id"] for b in found])
    folded = hold_banners.folded(request.cookies.get(hold_banners.COOKIE))
    for banner in found:
        banner["key"] = hold_banners.banner_key(
            current_user.id,
            banner["incident_id"],
            latest.get(banner["incident_id"]),
            banner["holds"],
        )
        banner["folded"] = banner["key"] in folded
    return found


def hours(minutes: int | None) -> str:
    """Minutes as hours with two decimals: 450 → "7.50"."""
    return "" if minutes is None else durations.hours_text(minutes)


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
    viewer = current_user if current_user and current_user.is_authenticated else None
    shown = value.astimezone(zone(viewer))
    return f"{shown.strftime(fmt)} {shown.tzname()}"


def money(value: Decimal | str | None, currency: str = "") -> str:
    """An amount with two decimals and its currency: 1234.5 → "1,234.50 EUR"."""
    return validation.money_text(value, currency)


def init_app(app: Flask) -> None:
    """Install the context processor and the filters."""
    app.context_processor(_context)
    app.add_template_filter(hours)
    app.add_template_filter(hmm)
    app.add_template_filter(local)
    app.add_template_filter(money)
