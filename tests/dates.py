"""Dates as the app sees them, read from its own clock (``tracker.clock``) when a test runs.

Never ``dt.date.today()``: that is the machine's local date, which is not the app's in a far
timezone, and a date taken once at import goes stale across midnight.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tracker.clock import local_today


def today(user: Any = None) -> dt.date:
    """Today where the user is (UTC, the factories' default timezone, without one)."""
    return local_today(user)


def days_ago(days: int, user: Any = None) -> dt.date:
    """The date ``days`` before today where the user is."""
    return today(user) - dt.timedelta(days=days)


def yesterday(user: Any = None) -> dt.date:
    """The day before today where the user is."""
    return days_ago(1, user)


def monday(user: Any = None) -> dt.date:
    """The Monday of this ISO week where the user is."""
    day = today(user)
    return day - dt.timedelta(days=day.weekday())
