"""Exact payroll arithmetic shared by every payroll file: amounts, hours, durations, timestamps.

Rounding: ``ROUND_HALF_UP`` in Python rounds ties away from zero, exactly what PostgreSQL's
``round(numeric, 2)`` does, so a negative correction of -0.005 is -0.01 in every writer.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, localcontext

CENT = Decimal("0.01")


def _no_negative_zero(value: Decimal) -> Decimal:
    return abs(value) if value.is_zero() else value


def amount(minutes: int, rate: Decimal) -> Decimal:
    """minutes / 60 x rate, rounded half-up (ties away from zero) to cents."""
    with localcontext() as ctx:
        ctx.prec = 50  # far more digits than Numeric(12, 2) x 1440 minutes needs: exact
        value = (Decimal(minutes) * Decimal(rate) / 60).quantize(CENT, rounding=ROUND_HALF_UP)
    return _no_negative_zero(value)


def hours(minutes: int) -> Decimal:
    """minutes / 60 rounded half-up to two places."""
    with localcontext() as ctx:
        ctx.prec = 50
        value = (Decimal(minutes) / 60).quantize(CENT, rounding=ROUND_HALF_UP)
    return _no_negative_zero(value)


def minutes_of(hours_text: str) -> int:
    """The whole minutes behind an ``hours`` cell: its inverse, exact for every whole minute.

    ``hours`` is within 0.005 of minutes / 60, so hours x 60 is within 0.3 of the minutes.
    """
    return int((Decimal(hours_text) * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def number(value: Decimal, decimal_mark: str = ".") -> str:
    """A plain decimal with two places (never "-0.00", never grouped), '.' unless told."""
    text = f"{_no_negative_zero(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)):.2f}"
    return text if decimal_mark == "." else text.replace(".", decimal_mark)


def duration(minutes: int) -> str:
    """Whole minutes as h:mm (``-1:30`` for a correction), as time sheets write durations."""
    sign = "-" if minutes < 0 else ""
    whole, rest = divmod(abs(minutes), 60)
    return f"{sign}{whole}:{rest:02d}"


def iso_z(value: dt.datetime | None) -> str:
    """ISO 8601 UTC with Z, to the second."""
    if value is None:
        return ""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso_z(text: str) -> dt.datetime | None:
    """The UTC timestamp ``iso_z`` wrote, or None for an empty cell."""
    if not text:
        return None
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
