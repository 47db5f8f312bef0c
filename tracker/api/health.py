"""GET /healthz: is the database answering?"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from tracker.db import database_answers
from tracker.security import public

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@public
def healthz() -> Any:
    """{"status": "ok"} when the database answers, else 503."""
    if not database_answers():
        return jsonify({"status": "unavailable"}), 503
    return jsonify({"status": "ok"})
