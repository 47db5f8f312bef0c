"""Ids, whole numbers, dates, ISO weeks and page cursors from outside, parsed one way everywhere.

Paths (the app's ``int`` route converter), query strings, form fields and JSON bodies all come
through here, so a value the database cannot store or the calendar cannot reach is refused as a
field error (``Invalid``, 422 in the API) or, for an id in a path, as "not found", and never
travels on to fail inside the database as a 500.

Digits are ASCII only. ``str.isdigit()`` is true for superscript and circled digits (U+00B2,
U+2464) that ``int()`` refuses, and ``int()`` itself reads other scripts' decimal digits
(Arabic-Indic U+0661 is 1, fullwidth U+FF15 is 5), underscores ("1_0") and surrounding spaces;
none of that is a number anyone means to send here, so each is refused with the message any
other non-number gets.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, TypeVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from tracker.errors import Invalid

T = TypeVar("T")

# Every id column is a PostgreSQL ``integer`` (SQLite's are 64-bit; the narrower one rules).
ID_MAX = 2**31 - 1
ID_MESSAGE = _l("Give an id: a whole number from 1 to %(max)s.", max=f"{ID_MAX:,}")
DATE_MESSAGE = _l("Enter a date like 2026-12-01.")
WEEK_MESSAGE = _l("Give an ISO week like 2026-W49.")

_WHOLE = re.compile(r"[+-]?[0-9]{1,18}")  # 18 digits: beyond any range asked for, still cheap
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_WEEK = re.compile(r"([0-9]{4})-?W([0-9]{2})")
# The Monday of the last ISO week the calendar holds whole: 9999-12-31 is a Friday, so 9999-W52
# would end in the year 10000 and 9999-W51 is the last.
_LAST_MONDAY = dt.date.max - dt.timedelta(days=dt.date.max.weekday())
LAST_WEEK = _LAST_MONDAY if dt.date.max.weekday() == 6 else _LAST_MONDAY - dt.timedelta(days=7)
FIRST_WEEK = dt.date.min  # 0001-01-01 is a Monday: the first ISO week of year 1


def whole_number(
    value: Any,
    field: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    message: Any = None,
    text: bool = True,
) -> int:
    """An integer (from JSON or Python) or, unless ``text`` is False, text of ASCII digits with
    an optional sign, within the range.

    Floats (even 5.0), booleans, lists and objects are refused. Raises Invalid naming ``field``.
    """
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif text and isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        number = int(value.strip())
    if number is None:
        raise Invalid.field(
            field, message if message is not None else _("Give a whole number, like 42.")
        )
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        if message is None:
            message = _range_message(minimum, maximum)
        raise Invalid.field(field, message)
    return number


def _range_message(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return _(
            "Give a whole number from %(min)s to %(max)s.", min=f"{minimum:,}", max=f"{maximum:,}"
        )
    if minimum is not None:
        return _("Give a whole number from %(min)s.", min=f"{minimum:,}")
    if maximum is not None:
        return _("Give a whole number up to %(max)s.", max=f"{maximum:,}")
    return _("Give a whole number.")


def optional_whole_number(value: Any, field: str, **limits: Any) -> int | None:
    """``whole_number`` of a query string or form, or None when the value is absent or empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return whole_number(value, field, **limits)


def identifier(value: Any, field: str, message: str | None = None) -> int:
    """An id given as an integer (JSON, or a value a page already converted), from 1 to
    ``ID_MAX``: an id some row could have. Raises Invalid."""
    return whole_number(
        value,
        field,
        minimum=1,
        maximum=ID_MAX,
        message=message if message is not None else ID_MESSAGE,
        text=False,
    )


def id_param(value: Any, field: str, message: str | None = None) -> int | None:
    """An id from a query string or form (ASCII digits), or None when absent. Raises Invalid."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return whole_number(
        value,
        field,
        minimum=1,
        maximum=ID_MAX,
        message=message if message is not None else ID_MESSAGE,
    )


def id_or_none(value: Any) -> int | None:
    """The value as an id some row could have, else None (a form's select, a lenient filter)."""
    # Read without building a refusal: the signed-in user is loaded through here, before the
    # language of any message could be known.
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        return None
    return number if 1 <= number <= ID_MAX else None


def find(session: Session, model: type[T], value: Any, **options: Any) -> T | None:
    """The row of ``model`` with that id, or None; also None for a value no id can be."""
    ident = id_or_none(value)
    return None if ident is None else session.get(model, ident, **options)


def date(value: Any, field: str, message: str | None = None) -> dt.date:
    """A date object (not a datetime), or text ``YYYY-MM-DD``. Raises Invalid."""
    if isinstance(value, dt.datetime):
        raise Invalid.field(field, _("Give a date like 2026-12-01, without a time."))
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:  # 2026-02-30, month 13, year 0
            pass
    raise Invalid.field(field, message or str(DATE_MESSAGE))


def optional_date(value: Any, field: str, message: str | None = None) -> dt.date | None:
    """``date``, or None when the value is absent (None or empty text)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return date(value, field, message)


def shift(day: dt.date, days: int) -> dt.date | None:
    """``day`` moved by ``days``, or None when that falls outside the calendar (years 1 to 9999)."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return None


def iso_week(value: Any, field: str = "week") -> dt.date:
    """The Monday of an ISO week like ``2026-W49`` (or ``2026W49``). Raises Invalid.

    Refused: week 53 of a year that has 52, week 0, and 9999-W52, whose last days would be in
    the year 10000.
    """
    match = _WEEK.fullmatch(value.strip().upper()) if isinstance(value, str) else None
    try:
        if match is None:
            raise ValueError(value)
        monday = dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        raise Invalid.field(field, str(WEEK_MESSAGE)) from None
    if monday > LAST_WEEK:
        raise Invalid.field(
            field, _("Give an ISO week up to %(week)s.", week=week_label(LAST_WEEK))
        )
    return monday


def week_label(monday: dt.date) -> str:
    """``2026-W49`` for the week holding that day."""
    year, week, _weekday = monday.isocalendar()
    return f"{year:04d}-W{week:02d}"


def week_step(monday: dt.date, weeks: int) -> dt.date | None:
    """The Monday ``weeks`` weeks away, or None when that week is not wholly in the calendar."""
    moved = shift(monday, 7 * weeks)
    return moved if moved is not None and FIRST_WEEK <= moved <= LAST_WEEK else None


def cursor(value: Any, field: str = "cursor") -> tuple[dt.date, int]:
    """A keyset cursor ``<YYYY-MM-DD>_<id>``, as this app hands them out. Raises Invalid."""
    message = _("This cursor is not valid; start from the first page.")
    day, sep, ident = value.partition("_") if isinstance(value, str) else ("", "", "")
    if not sep:
        raise Invalid.field(field, message)
    ident_number = id_param(ident, field, message)
    if ident_number is None:
        raise Invalid.field(field, message)
    return date(day, field, message), ident_number
