"""JSON error bodies with the API's fixed codes: {"error": {"code", "message", ...}}."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from werkzeug.exceptions import HTTPException

from tracker.db import unit_of_work
from tracker.errors import DomainError
from tracker.services import audit

HTTP_CODES = {
    400: ("bad_request", "The request body is not valid JSON."),
    401: ("unauthorized", "A valid API token is required (Authorization: Bearer <token>)."),
    403: ("forbidden", "Your role may not do this."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "This method is not allowed here."),
    413: ("too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Send JSON with Content-Type: application/json."),
    429: ("rate_limited", "Too many requests; try again later."),
    503: ("unavailable", "The service is not available right now; try again in a minute."),
}


def error_response(status: int, code: str, message: str, **extra: Any) -> Response:
    """A JSON error response."""
    response = jsonify({"error": {"code": code, "message": message, **extra}})
    response.status_code = status
    return response


def domain_error_json(exc: DomainError) -> Response:
    """A service's refusal as the API's error body and status, audited when it asks to be."""
    if exc.audit:
        with unit_of_work() as db:
            audit.record_refusal(db, exc)
    response = jsonify(exc.to_dict())
    response.status_code = exc.status
    retry_after = getattr(exc, "retry_after", None)  # RateLimited, Unavailable
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def http_error_json(exc: HTTPException) -> Response:
    """A werkzeug HTTP error (404, 405, 413, …) as a JSON error."""
    status = exc.code or 500
    code, message = HTTP_CODES.get(status, ("error", exc.description or "Error."))
    response = error_response(status, code, message)
    if status == 405:
        allow = exc.get_response().headers.get("Allow")
        if allow:
            response.headers["Allow"] = allow
    return response


def server_error_json() -> Response:
    """An unexpected failure, without internals."""
    return error_response(500, "server_error", "Something went wrong on our side.")
