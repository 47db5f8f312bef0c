"""GET /healthz: is the database answering?"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import text

from tracker.db import get_session
from tracker.security import public

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@public
def healthz() -> Any:
    """{"status": "ok"} when the database answers, else 503."""
    try:
        db = get_session()
        db.execute(text("SELECT 1"))
        db.rollback()
    except Exception:  # any database failure means "not healthy"
        return jsonify({"status": "unavailable"}), 503
    return jsonify({"status": "ok"})
