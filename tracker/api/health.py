"""GET /healthz: is the database answering? GET /readyz: may traffic be sent here yet?"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from tracker import readiness
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


@bp.route("/readyz")
@public
def readyz() -> Any:
    """{"status": "ready", "checks": {...}}; 503 "not_ready" naming each check that fails."""
    ready, checks = readiness.report()
    return jsonify({"status": "ready" if ready else "not_ready", "checks": checks}), (
        200 if ready else 503
    )
