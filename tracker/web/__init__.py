"""HTML pages: thin views over the services, one blueprint per area."""

from __future__ import annotations

from flask import Flask, Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from tracker.api import errors as api_errors
from tracker.errors import DomainError
from tracker.web import (
    account,
    admin_audit,
    admin_outbox,
    admin_projects,
    admin_users,
    approvals,
    auth,
    context,
    entries,
    holds,
    home,
    mfa,
    notifications,
    offers,
    payroll,
    timesheet,
)
from tracker.web.forms import record

# Every page area, registered in this order; a misspelt or missing one fails at start-up.
BLUEPRINTS = (
    auth.bp,
    home.bp,
    account.bp,
    admin_users.bp,
    admin_projects.bp,
    admin_audit.bp,
    entries.bp,
    timesheet.bp,
    approvals.bp,
    holds.bp,
    notifications.bp,
    offers.bp,
    payroll.bp,
    mfa.bp,
    admin_outbox.bp,
)


def init_app(app: Flask) -> None:
    """Register every page blueprint, the template helpers and the HTML error pages."""
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    context.init_app(app)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _server_error)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _http_error(exc: HTTPException) -> Response | HTTPException:
    if _wants_json():
        return api_errors.http_error_json(exc)
    code = exc.code or 500
    template = f"errors/{code}.html" if code in (403, 404, 500) else "errors/generic.html"
    response = Response(render_template(template, error=exc), status=code)
    if code == 405 and exc.get_response().headers.get("Allow"):
        response.headers["Allow"] = exc.get_response().headers["Allow"]
    return response


def _domain_error(exc: DomainError) -> Response:
    """A refusal no view handled: its status, and its sentence on a page in the site's style."""
    if _wants_json():
        return api_errors.domain_error_json(exc)
    record(exc)
    template = {403: "errors/403.html", 404: "errors/404.html"}.get(
        exc.status, "errors/generic.html"
    )
    return Response(render_template(template, error=exc), status=exc.status)


def _server_error(exc: Exception) -> Response:
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    if _wants_json():
        return api_errors.server_error_json()
    return Response(render_template("errors/500.html"), status=500)
