"""The /api/v1 blueprint every API module adds its routes to, and the JSON body reader."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, request

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def json_body(allowed: set[str] | None = None) -> dict[str, Any]:
    """The request's JSON object: 415 without the JSON content type, 400 when malformed.

    Keys outside ``allowed`` are dropped, so a field the caller may not set is never applied.
    """
    if request.mimetype != "application/json":
        abort(415)
    data = request.get_json(silent=True)
    if data is None:
        abort(400)
    if not isinstance(data, dict):
        abort(400)
    if allowed is not None:
        data = {k: v for k, v in data.items() if k in allowed}
    return data
