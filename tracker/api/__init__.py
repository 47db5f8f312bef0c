"""JSON API v1 (described at /api/v1/openapi.json): thin views over the web pages' services."""

from __future__ import annotations

from types import ModuleType

from flask import Flask


def route_modules() -> tuple[ModuleType, ...]:
    """The modules whose views make up /api/v1, each adding its routes to the one blueprint.

    Imported here, by name, so a missing or misspelt module fails at start-up.
    """
    from tracker.api import (
        audit,
        entries,
        holds,
        imports,
        incidents,
        me,
        notifications,
        openapi,
        outbox,
        payroll,
        projects,
        reassignment,
        users,
        webhooks,
    )

    return (
        me,
        users,
        projects,
        audit,
        openapi,
        entries,
        holds,
        incidents,
        notifications,
        reassignment,
        payroll,
        outbox,
        webhooks,
        imports,
    )


def init_app(app: Flask) -> None:
    """Register the API blueprint (CSRF-exempt: it authenticates with bearer tokens only)."""
    from tracker.api import health
    from tracker.api.blueprint import bp
    from tracker.security import csrf

    route_modules()
    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.register_blueprint(health.bp)
