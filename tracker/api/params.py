"""Query-string parameters of the API: a malformed one is a 422 naming it, never ignored.

A thin reader of ``request.args`` over ``tracker.services.inputs``, which owns how ids, whole
numbers and dates from outside are parsed.
"""

from __future__ import annotations

import datetime as dt

from flask import request

from tracker.errors import Invalid
from tracker.services import inputs, validation


def ident(name: str) -> int | None:
    """An id some row could have, or None when absent. Raises Invalid."""
    return inputs.id_param(request.args.get(name), name)


def count(name: str, default: int, maximum: int) -> int:
    """A page size from 1 to ``maximum``, ``default`` when absent. Raises Invalid."""
    value = inputs.optional_whole_number(request.args.get(name), name, minimum=1, maximum=maximum)
    return default if value is None else value


def day(name: str) -> dt.date | None:
    """A date like 2026-12-01, or None when absent. Raises Invalid."""
    return inputs.optional_date(request.args.get(name), name)


def text(name: str) -> str | None:
    """A short text filter, or None when absent. Raises Invalid (control characters, length)."""
    return validation.filter_text(request.args.get(name), name)


_FLAGS = {"1": True, "true": True, "0": False, "false": False}


def flag(name: str) -> bool:
    """A 0/1 (or true/false) switch, False when absent. Raises Invalid."""
    raw = request.args.get(name)
    if raw is None or not raw.strip():
        return False
    value = _FLAGS.get(raw.strip().lower())
    if value is None:
        raise Invalid.field(name, "Give 0 or 1.")
    return value
