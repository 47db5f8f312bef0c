"""Query-string parameters of the API: a malformed one is a 422 naming it, never ignored."""

from __future__ import annotations

import datetime as dt

from flask import request

from tracker.errors import Invalid
from tracker.services import validation


def whole(name: str) -> int | None:
    """A whole number, or None when absent. Raises Invalid."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise Invalid.field(name, "Must be a whole number.")
    return int(raw)


def day(name: str) -> dt.date | None:
    """A date like 2026-12-01, or None when absent. Raises Invalid."""
    return validation.optional_day(request.args.get(name), name)
