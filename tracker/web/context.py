"""What every page needs: navigation per role, unread count, hold banners, display filters."""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.dates import format_skeleton
from babel.numbers import format_currency, format_decimal
from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tracker.clock import page_locale, weekday_text, zone
from tracker.db import get_session
from tracker.i18n import RTL_LANGUAGES, page_language
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


def arrows() -> dict[str, str]:
    """Arrows that point along the line: towards its start ("← Projects", a way back) and
    towards its end ("before → after"). Right to left, they point the other way.
    """
    if page_language() in RTL_LANGUAGES:
        return {"start_arrow": "→", "end_arrow": "←"}
    return {"start_arrow": "←", "end_arrow": "→"}


def _context() -> dict[str, Any]:
    base = {"url_endpoints": current_app.view_functions, "role_names": ROLE_NAMES, **arrows()}
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


# What the page shows follows its language (CLDR, through Babel, with Babel's default digits:
# Latin digits in Arabic too; times on a 24-hour clock); English is written as it always
# was. What a form field holds (hours_field) and what a datetime= attribute says stay ASCII:
# they are read back.
_STAMP_PARTS = re.compile(r"%Y-%m-%d|%H:%M:%S|%H:%M")


def hours(minutes: int | None) -> str:
    """Minutes as hours with two decimals: 450 → "7.50" ("7,50" in Spanish)."""
    if minutes is None:
        return ""
    text = durations.hours_text(minutes)
    locale = page_locale()
    return text if locale is None else format_decimal(Decimal(text), "0.00", locale=locale)


def hours_field(minutes: int | None) -> str:
    """Minutes as the hours a form field holds and reads back, in every language: "7.50"."""
    return "" if minutes is None else durations.hours_text(minutes)


def hmm(minutes: int | None) -> str:
    """Minutes as h:mm: 450 → "7:30"."""
    if minutes is None:
        return ""
    sign = "-" if minutes < 0 else ""
    whole, rest = divmod(abs(minutes), 60)
    return f"{sign}{whole}:{rest:02d}"


def local(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC instant in the signed-in user's timezone, with the zone's abbreviation.

    In English as ``fmt`` says; in another language its date ("%Y-%m-%d") and time of day
    ("%H:%M", "%H:%M:%S") are written the way that language writes them: "2 dic 2026 14:05 CET".
    """
    if value is None:
        return ""
    viewer = current_user if current_user and current_user.is_authenticated else None
    shown = value.astimezone(zone(viewer))
    locale = page_locale()
    if locale is None:
        return f"{shown.strftime(fmt)} {shown.tzname()}"
    pieces = _STAMP_PARTS.split(fmt)
    text = shown.strftime(pieces[0])
    for part, rest in zip(_STAMP_PARTS.findall(fmt), pieces[1:], strict=True):
        if part == "%Y-%m-%d":
            text += format_skeleton("yMMMd", shown.date(), locale=locale)
        else:
            # A 24-hour clock in every language, like the times in the rules' messages.
            skeleton = "Hms" if part.endswith("%S") else "Hm"
            text += format_skeleton(skeleton, shown.time(), locale=locale)
        text += shown.strftime(rest)
    return f"{text} {shown.tzname()}"


def day(value: dt.date | None) -> str:
    """A date in a table: "2026-12-02" in English, "2 dic 2026" in Spanish."""
    if value is None:
        return ""
    locale = page_locale()
    return value.isoformat() if locale is None else format_skeleton("yMMMd", value, locale=locale)


def weekday(value: dt.date, width: str = "abbreviated") -> str:
    """The day of the week in the page's language: "Mon", or "Monday" when ``width="wide"``."""
    return weekday_text(value, width)


def number(value: int | Decimal | None, decimals: int = 0) -> str:
    """A count or a quantity with thousands grouped: 12345 → "12,345" ("12.345" in Spanish)."""
    if value is None:
        return ""
    locale = page_locale()
    if locale is None:
        return f"{value:,.{decimals}f}" if decimals else f"{round(value):,}"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, pattern, locale=locale)


def money(value: Decimal | str | None, currency: str = "") -> str:
    """An amount with two decimals and its currency: 1234.5 → "1,234.50 EUR".

    In another language, as CLDR writes an amount with its currency code there: Spanish
    "1.234,50 EUR" (a no-break space before the code). Always two decimals, rounded half-up.
    """
    locale = page_locale()
    if value is None or locale is None:
        return validation.money_text(value, currency)
    amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if not currency:
        return format_decimal(amount, "#,##0.00", locale=locale)
    pattern = locale.currency_formats["standard"].pattern.replace("¤", "¤¤")
    return format_currency(amount, currency, pattern, locale=locale, currency_digits=False)


def init_app(app: Flask) -> None:
    """Install the context processor and the filters."""
    app.context_processor(_context)
    app.add_template_filter(hours)
    app.add_template_filter(hours_field)
    app.add_template_filter(hmm)
    app.add_template_filter(local)
    app.add_template_filter(day)
    app.add_template_filter(weekday)
    app.add_template_filter(number)
    app.add_template_filter(money)
