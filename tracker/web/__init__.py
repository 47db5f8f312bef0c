"""HTML pages: thin views over the services, one blueprint per area."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, g, render_template, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import inspect as sa_inspect
from werkzeug.exceptions import HTTPException

from tracker import db_faults, i18n
from tracker.api import errors as api_errors
from tracker.errors import DomainError
from tracker.models import LANGUAGES
from tracker.web import (
    account,
    admin_audit,
    admin_imports,
    admin_incidents,
    admin_outbox,
    admin_projects,
    admin_users,
    approvals,
    auth,
    context,
    entries,
    hold_banners,
    holds,
    home,
    incidents,
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
    hold_banners.bp,
    admin_incidents.bp,
    incidents.bp,
    notifications.bp,
    offers.bp,
    payroll.bp,
    mfa.bp,
    admin_outbox.bp,
    admin_imports.bp,
)


# What an HTTP error page says, in the reader's language (Werkzeug's own words are English).
HTTP_WORDS: dict[int, tuple[Any, Any]] = {
    400: (
        _l("Bad request"),
        _l("The page could not read what was sent. Go back, reload the page and try again."),
    ),
    405: (_l("Not allowed here"), _l("This address does not take that kind of request.")),
    413: (_l("Too large"), _l("What was sent is too large. Send a smaller file.")),
    429: (_l("Too many requests"), _l("Too many requests in a short time. Wait a moment.")),
}
CSRF_WORDS = (
    _l("This form has expired"),
    _l("The form was open too long or came from elsewhere. Reload the page and send it again."),
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
    return request.path.startswith("/api/") or request.path in ("/healthz", "/readyz")


def _http_error(exc: HTTPException) -> Response | HTTPException:
    if _wants_json():
        return api_errors.http_error_json(exc)
    code = exc.code or 500
    template = f"errors/{code}.html" if code in (403, 404, 500) else "errors/generic.html"
    title, description = (
        CSRF_WORDS if isinstance(exc, CSRFError) else HTTP_WORDS.get(code, ("", ""))
    )
    response = _error_page(template, code, error=exc, title=title, description=description)
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
    return _error_page(template, exc.status, error=exc)


def _server_error(exc: Exception) -> Response:
    fault = db_faults.classify(exc, current_app.config["DATABASE_URL"])
    if fault is not None:
        return _database_fault(fault)
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    if _wants_json():
        return api_errors.server_error_json()
    return _error_page("errors/500.html", 500)


def _error_page(template: str, status: int, **context: Any) -> Response:
    """An error page in the site's layout, or the 503 page when the database fails meanwhile.

    The layout shows the signed-in user's name, banners and unread count, which come from the
    database: a 404 during an outage must not become a 500.
    """
    try:
        return Response(render_template(template, **context), status=status)
    except Exception as exc:
        fault = db_faults.classify(exc, current_app.config["DATABASE_URL"])
        if fault is None:
            raise
        return _database_fault(fault)


def _database_fault(fault: db_faults.Fault) -> Response:
    """503: the database is unreachable, busy, read-only or full; nothing was saved."""
    current_app.logger.warning(
        "%s %s answered 503: %s",
        request.method,
        request.path,
        fault.operator_line(current_app.config["DATABASE_URL"]),
    )
    error = fault.error()
    if _wants_json():
        response = api_errors.domain_error_json(error)
    else:
        # Straight from the environment, without the context processors: they read the signed-in
        # user's banners and unread count from the database that just failed.
        lang = _language_without_database()
        with force_locale(lang):
            page = current_app.jinja_env.get_template("errors/unavailable.html").render(
                error=error,
                page_lang=lang,
                page_dir="rtl" if lang in i18n.RTL_LANGUAGES else "ltr",
            )
        response = Response(page, status=503)
        if error.retry_after is not None:
            response.headers["Retry-After"] = str(error.retry_after)
    response.headers["Cache-Control"] = "no-store"  # and no signed-in user to load for saying so
    return response


def _language_without_database() -> str:
    """The page's language, asking the database nothing: the signed-in user's choice when the
    request loaded them already and their row is still in memory, else the browser's."""
    user = g.get("_login_user")  # Flask-Login's user of this request, when it was loaded
    state = sa_inspect(user, raiseerr=False) if user is not None else None
    # The state's dict only: after the failed transaction's rollback, reading an expired
    # attribute would query the database that just failed.
    chosen = state.dict.get("language") if state is not None else None
    if chosen in LANGUAGES:
        return str(chosen)
    return i18n.browser_language(request.accept_languages)
