"""JSON API v1 (see api.md): thin views over the same services as the web pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, request

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


# Modules that add routes to ``bp`` when imported.
ROUTE_MODULES = (
    "me",
    "users",
    "projects",
    "audit",
    "openapi",
    "entries",  # time entry
    "holds",
    "notifications",  # incident holds
    "reassignment",  # reassignment
    "payroll",  # payroll export
    "outbox",
    "webhooks",  # delivery
)


def init_app(app: Flask) -> None:
    """Register the API blueprint (CSRF-exempt: it authenticates with bearer tokens only)."""
    from tracker.api import health
    from tracker.security import csrf
    from tracker.web import _feature

    for name in ROUTE_MODULES:
        _feature(f"tracker.api.{name}")  # importing a module adds its routes to bp

    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.register_blueprint(health.bp)
