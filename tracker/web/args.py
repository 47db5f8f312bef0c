"""Filters read from a page's query string: a malformed one is simply no filter at all."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from flask import request, url_for

from tracker.errors import Invalid
from tracker.services import validation

T = TypeVar("T")


def day(name: str) -> dt.date | None:
    """A date like 2026-12-01, or None."""
    try:
        return validation.optional_day(request.args.get(name), name)
    except Invalid:
        return None


def whole(name: str) -> int | None:
    """A whole number (an id), or None."""
    value = (request.args.get(name) or "").strip()
    return int(value) if value.isdigit() else None


def keyset_page(
    endpoint: str, fetch: Callable[[str | None], tuple[T, str | None]]
) -> tuple[T, str | None]:
    """One page of a keyset-paged list, and the address of the next page (None: the last).

    ``fetch(after)`` reads the page after the cursor; a cursor that is not valid starts again
    from the first page.
    """
    try:
        items, cursor = fetch(request.args.get("after") or None)
    except Invalid:
        items, cursor = fetch(None)
    kept: dict[str, Any] = {k: v for k, v in request.args.items() if k != "after"}
    return items, (url_for(endpoint, after=cursor, **kept) if cursor else None)
