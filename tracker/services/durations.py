"""Durations typed by people or scripts, parsed into whole minutes.

Accepted: decimal hours (``7.5``, ``7,5``), ``h:mm`` (``7:30``), natural forms (``7h30``, ``2h``,
``2h38m``, ``450m``), and numbers of hours from the API (``7.5``). Digits may be typed in any
script's decimal digits (Arabic-Indic seven, decimal separator U+066B, five is ``7.5``; seven,
colon, three, zero is ``7:30``). Anything else, or anything that is not a whole number of
minutes, is refused with a message naming the forms that work.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tracker.errors import Invalid
from tracker.services import payroll_csv

FORMS_MESSAGE = _l("Enter hours as 7.5, 7,5, 7:30, 7h30, 2h, 2h38m or 450m (whole minutes only).")

_DECIMAL = re.compile(r"^(\d+(?:[.,]\d*)?|[.,]\d+)$", re.ASCII)
_HMM = re.compile(r"^(\d+):([0-5]\d)$", re.ASCII)
_NATURAL = re.compile(r"^(\d+)h(?:([0-5]?\d)m?)?$", re.ASCII)
_MINUTES = re.compile(r"^(\d+)m(?:in)?$", re.ASCII)
_MAX_DIGITS = 7  # nobody works a million hours; keeps Decimal and int parsing cheap


# The Arabic decimal separator, as Arabic keyboards type it between digits.
_DECIMAL_SEPARATORS = {"\u066b": "."}


def _ascii_digits(text: str) -> str:
    """Decimal digits of any script as ASCII digits, and the Arabic decimal separator as a
    point; anything else kept.

    Only real decimal digits (category Nd) are read: a superscript two or a circled one is no
    digit here and makes the value refused.
    """
    if text.isascii():
        return text
    return "".join(
        _DECIMAL_SEPARATORS.get(ch)
        or (str(unicodedata.decimal(ch)) if unicodedata.category(ch) == "Nd" else ch)
        for ch in text
    )


def forms_message() -> str:
    """The forms of hours that work, in the reader's language."""
    return str(FORMS_MESSAGE)


def _from_hours(hours: Decimal, field: str) -> int:
    minutes = hours * 60
    if minutes != minutes.to_integral_value():
        raise Invalid.field(
            field, _("That is not a whole number of minutes. %(forms)s", forms=forms_message())
        )
    return int(minutes)


def parse_hours(value: Any, field: str = "hours", allow_negative: bool = False) -> int:
    """Whole minutes from a typed duration or an API number of hours. Raises Invalid."""
    if isinstance(value, bool) or value is None:
        raise Invalid.field(field, forms_message())
    if isinstance(value, int | float | Decimal):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise Invalid.field(field, forms_message()) from None
        if not number.is_finite() or (number < 0 and not allow_negative):
            raise Invalid.field(field, forms_message())
        if abs(number) >= 10**_MAX_DIGITS:
            raise Invalid.field(field, forms_message())
        return _from_hours(number, field)
    if not isinstance(value, str):
        raise Invalid.field(field, forms_message())
    text = _ascii_digits(re.sub(r"\s+", "", value)).lower()
    sign = 1
    if allow_negative and text.startswith("-"):
        sign, text = -1, text[1:]
    if not text or len(text) > 16:
        raise Invalid.field(field, forms_message())
    if _DECIMAL.match(text):
        return sign * _from_hours(Decimal(text.replace(",", ".")), field)
    match = _HMM.match(text) or _NATURAL.match(text)
    if match:
        return sign * (int(match.group(1)) * 60 + int(match.group(2) or 0))
    match = _MINUTES.match(text)
    if match:
        return sign * int(match.group(1))
    raise Invalid.field(field, forms_message())


def hours_text(minutes: int) -> str:
    """Minutes as hours with two decimals, rounded as payroll rounds them: 450 → "7.50"."""
    return payroll_csv.number(payroll_csv.hours(minutes))


def parse_minutes(value: Any, field: str = "minutes") -> int:
    """An integer number of minutes from the API (``450``). Raises Invalid."""
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise Invalid.field(field, _("Give minutes as a whole number, like 450."))
    return value
