"""The /api/v1 blueprint every API module adds its routes to, and the JSON body reader."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, request

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def json_body(allowed: set[str] | None = None) -> dict[str, Any]:
    """The request's JSON object: 415 without the JSON content type, 400 when malformed.

    Keys outside ``allowed`` are dropped, so a field the caller may not set is never applied.
    """
    if request.mimetype != "application/json":
        abort(415)
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser goes: malformed for our purposes
        data = None
    if not isinstance(data, dict) or _has_lone_surrogate(data):
        abort(400)
    if allowed is not None:
        data = {k: v for k, v in data.items() if k in allowed}
    return data


_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_lone_surrogate(data: Any) -> bool:
    """Whether any key or text holds a lone surrogate (a ``\\ud800`` escape the parser let
    through): such text is no valid UTF-8, and no database can store it."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False
