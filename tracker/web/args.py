"""Filters read from a page's query string, parsed by ``tracker.services.inputs``.

A value that does not parse is left out and its message flashed, so the page still shows
(unfiltered by it) and says why, instead of failing or silently ignoring it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash, request, url_for
from flask_babel import gettext as _

from tracker.errors import Invalid
from tracker.services import inputs, validation

T = TypeVar("T")


def _lenient(parse: Callable[[Any, str], T | None], name: str) -> T | None:
    try:
        return parse(request.args.get(name), name)
    except Invalid as exc:
        for message in exc.fields.get(name, [exc.message]):
            flash(
                _("%(name)s: %(message)s That filter was left out.", name=name, message=message),
                "error",
            )
        return None


def day(name: str) -> dt.date | None:
    """A date like 2026-12-01, or None."""
    return _lenient(inputs.optional_date, name)


def whole(name: str) -> int | None:
    """An id some row could have, or None."""
    return _lenient(inputs.id_param, name)


def week(name: str) -> dt.date | None:
    """The Monday of an ISO week like 2026-W49, or None."""
    return _lenient(lambda value, field: inputs.iso_week(value, field) if value else None, name)


def text(name: str) -> str | None:
    """A short text filter without control characters, or None."""
    return _lenient(validation.filter_text, name)


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
