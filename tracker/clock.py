"""The one clock: the current instant in UTC, each user's timezone, and their local date.

Work dates are the contractor's own dates, so "today" is always someone's today: every rule
and page asks here, and so do the tests.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Protocol


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


def day_text(day: dt.date, today: dt.date | None = None) -> str:
    """A date as people say it: "30 Nov", with the year when it is not ``today``'s year."""
    text = f"{day.day} {day:%b}"
    return text if today is not None and day.year == today.year else f"{text} {day.year}"


def span_text(first: dt.date, last: dt.date) -> str:
    """Two dates as people say a span, joined by an en dash: "30 Nov to 6 Dec 2026" in words."""
    if first.year != last.year:
        return f"{day_text(first)} – {day_text(last)}"
    return f"{day_text(first, last)} – {day_text(last)}"
