"""The one clock: the current instant in UTC, each user's timezone, and their local date.

Work dates are the contractor's own dates, so "today" is always someone's today: every rule
and page asks here, and so do the tests. Dates in words follow the page's language (CLDR, through
Babel); outside a page (the API, the CLI, payroll files) they are English.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Protocol

from babel import Locale
from babel.dates import format_date, format_interval, format_skeleton
from flask_babel import get_locale


class HasTimezone(Protocol):
    """Anything with an IANA timezone name (a user)."""

    timezone: str


def utcnow() -> dt.datetime:
    """The current instant, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


def zone(user: HasTimezone | None) -> zoneinfo.ZoneInfo:
    """The user's timezone (UTC when none is known or the stored name is unknown: fail safe)."""
    name = getattr(user, "timezone", None) or "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_today(user: HasTimezone | None, now: dt.datetime | None = None) -> dt.date:
    """Today's date where the user is, at the instant ``now`` (default: this instant)."""
    return (now or utcnow()).astimezone(zone(user)).date()


def page_locale() -> Locale | None:
    """The language of the page being built; None for English and outside any page."""
    locale = get_locale()
    return None if locale is None or locale.language == "en" else locale


def day_text(day: dt.date, today: dt.date | None = None) -> str:
    """A date as people say it: "30 Nov", with the year when it is not ``today``'s year.

    In Spanish "30 nov" and in Arabic "30 نوفمبر", as CLDR writes a day and a month.
    """
    same_year = today is not None and day.year == today.year
    locale = page_locale()
    if locale is not None:
        return format_skeleton("MMMd" if same_year else "yMMMd", day, locale=locale)
    text = f"{day.day} {day:%b}"
    return text if same_year else f"{text} {day.year}"


def span_text(first: dt.date, last: dt.date) -> str:
    """Two dates as people say a span, joined by an en dash: "30 Nov to 6 Dec 2026" in words."""
    locale = page_locale()
    if locale is not None:
        return format_interval(first, last, "yMMMd", locale=locale)
    if first.year != last.year:
        return f"{day_text(first)} – {day_text(last)}"
    return f"{day_text(first, last)} – {day_text(last)}"


def weekday_text(day: dt.date, width: str = "abbreviated") -> str:
    """The day of the week: "Mon" (abbreviated) or "Monday" (wide), in the page's language."""
    locale = page_locale()
    if locale is None:
        return day.strftime("%A" if width == "wide" else "%a")
    return format_date(day, "EEEE" if width == "wide" else "EEE", locale=locale)
