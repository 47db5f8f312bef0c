"""GET /healthz: is the database answering? GET /readyz: may traffic be sent here yet?"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import text

from tracker import readiness
from tracker.db import get_session
from tracker.web.access import public

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


@bp.route("/readyz")
@public
def readyz() -> Any:
    """{"status": "ready", "checks": {...}}; 503 "not_ready" naming each check that fails."""
    ready, checks = readiness.report()
    return jsonify({"status": "ready" if ready else "not_ready", "checks": checks}), (
        200 if ready else 503
    )
