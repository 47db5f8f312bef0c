"""Imports API (admin): a CSV file of people, projects or assignments, all or nothing."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, jsonify, request

from tracker.api import params
from tracker.api.access import api_roles, caller
from tracker.api.blueprint import bp
from tracker.api.openapi import doc
from tracker.db import unit_of_work
from tracker.errors import Invalid
from tracker.routing import body_limit
from tracker.services import imports

CSV_TYPES = {"text/csv", "application/csv", "text/plain"}


@bp.post("/imports/<any(users, projects, assignments):kind>")
@api_roles("admin")
@body_limit("IMPORT_MAX_BYTES")
@doc(
    request="ImportFile",
    request_content_type="text/csv",
    response="ImportResult",
    errors=(413, 422),
    error_bodies={422: "ImportResult"},
    params=(("dry_run", {"enum": ["0", "1"]}),),
)
def import_csv(kind: str) -> Any:
    """Import a CSV file (users, projects or assignments); ``dry_run=1`` only checks it."""
    if request.mimetype not in CSV_TYPES:
        abort(415)
    data = request.get_data(cache=False)
    dry_run = False
    try:
        dry_run = params.flag("dry_run")
        with unit_of_work() as db:
            result = imports.run_import(
                db,
                caller(),
                kind,
                data,
                dry_run=dry_run,
                max_bytes=current_app.config["IMPORT_MAX_BYTES"],
                setup_link_hours=current_app.config["SETUP_LINK_HOURS"],
            )
    except imports.ImportRefused as refused:
        response = jsonify({**refused.result.to_dict(), "dry_run": dry_run})
        response.status_code = 422
        return response
    except Invalid as bad:  # the dry_run switch: answered in the same shape as the file's errors
        errors = [{"line": None, "column": k, "message": m[0]} for k, m in bad.fields.items()]
        body = {"created": 0, "updated": 0, "unchanged": 0, "errors": errors, "dry_run": False}
        return jsonify(body), 422
    return jsonify({**result.to_dict(), "dry_run": dry_run})
