"""GET /api/v1/openapi.json, built from the routes themselves so it cannot drift from them.

Each API view carries ``@doc(...)`` (request and response schema names, status, error codes);
the path, method, roles and summary come from the route and the view.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, jsonify

from tracker.api.blueprint import bp
from tracker.models import ROLES
from tracker.services.inputs import ID_MAX

F = TypeVar("F", bound=Callable[..., Any])

# Field types every API module describes its objects with.
STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
DATE = {"type": "string", "format": "date"}
TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}
MONEY = {"type": ["string", "null"], "pattern": r"^-?\d+\.\d{2}$"}
TAGS = {"type": "array", "items": STRING}


def _obj(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        schema["required"] = list(required)
    return schema


def _list(key: str, item: str) -> dict[str, Any]:
    return _obj({key: {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}}})


# code and currency are fixed once a project exists (entries and payroll refer to them).
_FIXED = (
    "Fixed once the project is created: giving the current {0} is accepted and changes nothing;"
    " a different value is refused with 422 (the error names the {0} field)."
)

SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": _obj(
        {"error": _obj({"code": STRING, "message": STRING}, ("code", "message"))}, ("error",)
    ),
    "User": _obj(
        {
            "id": INTEGER,
            "email": STRING,
            "name": STRING,
            "role": STRING,
            "active": BOOLEAN,
            "timezone": STRING,
            "skills": TAGS,
            "hourly_rate": MONEY,
        }
    ),
    "UserList": _list("users", "User"),
    "UserCreate": _obj(
        {
            "email": STRING,
            "name": STRING,
            "role": {"enum": list(ROLES)},
            "password": STRING,
            "timezone": STRING,
            "skills": TAGS,
            "hourly_rate": {"type": ["string", "number", "null"]},
        },
        ("email", "name", "role"),
    ),
    "UserUpdate": _obj(
        {
            "name": STRING,
            "role": STRING,
            "active": BOOLEAN,
            "skills": TAGS,
            "hourly_rate": {"type": ["string", "number", "null"]},
            "timezone": STRING,
        }
    ),
    "Hold": _obj(
        {
            "id": INTEGER,
            "project_id": INTEGER,
            "incident_id": INTEGER,
            "started_at": TIMESTAMP,
            "started_by": INTEGER,
            "reason": STRING,
            "notice": STRING,
            "incident_ref": {"type": ["string", "null"]},
            "allow_backfill": BOOLEAN,
            "ended_at": TIMESTAMP,
            "ended_by": INTEGER,
            "note": STRING,
        }
    ),
    "Project": _obj(
        {
            "id": INTEGER,
            "code": STRING,
            "name": STRING,
            "client": STRING,
            "status": STRING,
            "seats": {"type": ["integer", "null"]},
            "free_seats": {"type": ["integer", "null"]},
            "skills": TAGS,
            "hourly_rate": MONEY,
            "currency": STRING,
            "open_to_reassignment": BOOLEAN,
            "active_hold": {"oneOf": [{"$ref": "#/components/schemas/Hold"}, {"type": "null"}]},
        }
    ),
    "ProjectList": _list("projects", "Project"),
    "ProjectCreate": _obj(
        {
            "code": STRING,
            "name": STRING,
            "client": STRING,
            "seats": {"type": ["integer", "null"]},
            "skills": TAGS,
            "hourly_rate": {"type": ["string", "number"]},
            "currency": STRING,
            "open_to_reassignment": BOOLEAN,
        },
        ("code", "name", "hourly_rate"),
    ),
    "ProjectUpdate": _obj(
        {
            "code": {**STRING, "description": _FIXED.format("code")},
            "currency": {**STRING, "description": _FIXED.format("currency")},
            "name": STRING,
            "client": STRING,
            "seats": {"type": ["integer", "null"]},
            "skills": TAGS,
            "hourly_rate": {"type": ["string", "number"]},
            "open_to_reassignment": BOOLEAN,
            "status": {"enum": ["closed"]},
        }
    ),
    "Assignment": _obj(
        {
            "id": INTEGER,
            "user_id": INTEGER,
            "project_id": INTEGER,
            "start_date": DATE,
            "end_date": {"type": ["string", "null"], "format": "date"},
            "hourly_rate": MONEY,
            "origin": {"enum": ["direct", "reassignment"]},
            "from_project_id": {"type": ["integer", "null"]},
            "from_hold_id": {"type": ["integer", "null"]},
        }
    ),
    "AssignmentList": _list("assignments", "Assignment"),
    "AssignmentCreate": _obj(
        {
            "user_id": INTEGER,
            "hourly_rate": {"type": ["string", "number"]},
            "start_date": DATE,
            "end_date": {"type": ["string", "null"], "format": "date"},
        },
        ("user_id",),
    ),
    "AssignmentDates": _obj(
        {"start_date": DATE, "end_date": {"type": ["string", "null"], "format": "date"}},
        ("start_date",),
    ),
    "AuditEvent": _obj(
        {
            "id": INTEGER,
            "at": TIMESTAMP,
            "actor_id": {"type": ["integer", "null"]},
            "action": STRING,
            "target_type": STRING,
            "target_id": INTEGER,
            "data": {"type": "object"},
        }
    ),
    "AuditList": _list("events", "AuditEvent"),
    "Notification": _obj(
        {
            "id": INTEGER,
            "kind": STRING,
            "message": STRING,
            "incident_id": {"type": ["integer", "null"]},
            "created_at": TIMESTAMP,
            "read": BOOLEAN,
        }
    ),
    "NotificationList": _list("notifications", "Notification"),
    "ImportFile": {
        "type": "string",
        "description": "CSV, UTF-8 with or without BOM, `,` or `;` between cells, a header row "
        "naming the columns. users: email, name, role (required), timezone, skills (`;` between "
        "them), hourly_rate. projects: code, name, hourly_rate (required), client, seats, skills, "
        "currency, open_to_reassignment. assignments: email, project_code, start_date (required), "
        "end_date, hourly_rate. An empty cell leaves the value as it is.",
    },
    "ImportResult": _obj(
        {
            "created": INTEGER,
            "updated": INTEGER,
            "unchanged": INTEGER,
            "dry_run": BOOLEAN,
            "errors": {
                "type": "array",
                "items": _obj(
                    {
                        "line": {"type": ["integer", "null"]},
                        "column": {"type": ["string", "null"]},
                        "message": STRING,
                    },
                    ("line", "column", "message"),
                ),
            },
        },
        ("created", "updated", "unchanged", "errors"),
    ),
}


def register_schema(name: str, schema: dict[str, Any]) -> None:
    """Add a component schema (feature modules describe their own objects)."""
    SCHEMAS[name] = schema


def doc(
    *,
    request: str | None = None,
    response: str | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (),
    params: tuple[str | tuple[str, dict[str, Any]], ...] = (),
    content_type: str = "application/json",
    request_required: bool = True,
    request_content_type: str = "application/json",
    error_bodies: dict[int, str] | None = None,
) -> Callable[[F], F]:
    """Describe an API view for the OpenAPI document (query params: names, or (name, schema))."""

    def decorate(view: F) -> F:
        view.openapi = {  # type: ignore[attr-defined]
            "request": request,
            "request_required": request_required,
            "response": response,
            "status": status,
            "errors": errors,
            "params": params,
            "content_type": content_type,
            "request_content_type": request_content_type,
            "error_bodies": error_bodies or {},
        }
        return view

    return decorate


# Every <int:…> in a route is an id (tracker.routing): 1 to 2**31 - 1, else 404.
_ID = {"type": "integer", "minimum": 1, "maximum": ID_MAX}
_CONVERTER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
_REASONS = {
    400: "Malformed JSON",
    401: "No or invalid token",
    403: "Role not allowed",
    404: "Not found, or not yours",
    409: "A rule refused it",
    413: "The body is over the size limit; nothing was saved",
    415: "Not JSON (or, where the body is a file, not of its type)",
    422: "Invalid input",
    429: "Rate limited",
    503: "The database cannot serve the request now; nothing was saved (see Retry-After)",
}


def _query_param(param: str | tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """A query parameter: a name (a string), or a name and its schema."""
    name, schema = (param, STRING) if isinstance(param, str) else param
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _operation(rule: Any, method: str, view: Any) -> dict[str, Any]:
    meta = getattr(view, "openapi", {})
    summary = (view.__doc__ or "").strip().splitlines()[0] if view.__doc__ else rule.endpoint
    allowed = getattr(view, "allowed_roles", ())
    roles = [allowed] if isinstance(allowed, str) else sorted(allowed)  # "public": anyone
    params = [
        {"name": name, "in": "path", "required": True, "schema": _ID if conv == "int" else STRING}
        for conv, name in _CONVERTER.findall(rule.rule)
    ] + [_query_param(param) for param in meta.get("params", ())]
    status = str(meta.get("status", 200))
    ok: dict[str, Any] = {"description": "Success"}
    if meta.get("response"):
        ok["content"] = {
            meta.get("content_type", "application/json"): {
                "schema": {"$ref": f"#/components/schemas/{meta['response']}"}
            }
        }
    elif meta.get("content_type", "application/json") != "application/json":
        ok["content"] = {meta["content_type"]: {"schema": STRING}}
    error_ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    responses = {status: ok}
    bodies = meta.get("error_bodies", {})
    public = allowed == "public"  # no token asked for: never 401 or 403
    for code in sorted({*(() if public else (401, 403)), 429, 503, *meta.get("errors", ())}):
        content = error_ref
        if code in bodies:  # this operation answers the error with its own shape
            content = {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{bodies[code]}"}}
            }
        responses[str(code)] = {"description": _REASONS.get(code, "Error"), "content": content}
    responses["429"]["headers"] = {
        "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
    }
    op: dict[str, Any] = {
        "operationId": rule.endpoint.replace(".", "_"),
        "summary": summary,
        "x-roles": roles,
        "parameters": params,
        "responses": responses,
    }
    if public:
        op["security"] = []
    if meta.get("request"):
        op["requestBody"] = {
            "required": meta.get("request_required", True),
            "content": {
                meta.get("request_content_type", "application/json"): {
                    "schema": {"$ref": f"#/components/schemas/{meta['request']}"}
                }
            },
        }
        op["responses"].setdefault("400", {"description": _REASONS[400], "content": error_ref})
        op["responses"].setdefault("415", {"description": _REASONS[415], "content": error_ref})
    return op


def build_spec() -> dict[str, Any]:
    """The OpenAPI 3.1 document for every /api/v1 route of the running app."""
    paths: dict[str, dict[str, Any]] = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        view = current_app.view_functions[rule.endpoint]
        path = "/" + _CONVERTER.sub(r"{\2}", rule.rule).removeprefix("/api/v1/")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule, method, view)
    return {
        "openapi": "3.1.0",
        "info": {"title": "tracker API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": dict(sorted(paths.items())),
    }


@bp.get("/openapi.json")
def openapi() -> Any:
    """This document."""
    return jsonify(build_spec())


openapi.allowed_roles = "public"  # type: ignore[attr-defined]
