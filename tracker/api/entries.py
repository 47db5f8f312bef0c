"""Time entries API: log, list, read, change, delete, approve and reject."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from tracker.api import params, schemas
from tracker.api.access import api_roles, caller
from tracker.api.blueprint import bp, json_body
from tracker.api.openapi import DATE, INTEGER, MONEY, STRING, TIMESTAMP, doc, register_schema
from tracker.db import get_session, unit_of_work
from tracker.models import ENTRY_STATUSES, ROLES
from tracker.services import entries, inputs

_nint = {"type": ["integer", "null"]}
_hours = {"type": ["string", "number"], "description": "7.5, 7,5, 7:30, 7h30, 2h, 2h38m, 450m"}
# What a caller sends to log or change an entry; an admin may also name the contractor.
_entry_fields = {
    "project_id": INTEGER,
    "work_date": DATE,
    "hours": _hours,
    "minutes": INTEGER,
    "description": STRING,
}
_entry_ref = {"$ref": "#/components/schemas/Entry"}
CREATE_FIELDS = set(_entry_fields)
ADMIN_CREATE_FIELDS = CREATE_FIELDS | {"user_id", "corrects_entry_id"}
UPDATE_FIELDS = set(_entry_fields)
register_schema(
    "Entry",
    {
        "type": "object",
        "properties": {
            "id": INTEGER,
            "user_id": INTEGER,
            "project_id": INTEGER,
            "work_date": DATE,
            "minutes": INTEGER,
            "hours": STRING,
            "description": STRING,
            "status": {"enum": list(ENTRY_STATUSES)},
            "hourly_rate": MONEY,
            "currency": STRING,
            "amount": MONEY,
            "exported": {"type": "boolean"},
            "is_correction": {"type": "boolean"},
            "corrects_entry_id": _nint,
            "rejection_reason": {"type": ["string", "null"]},
            "approved_by": _nint,
            "approved_at": TIMESTAMP,
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
        },
    },
)
register_schema(
    "EntryList",
    {
        "type": "object",
        "properties": {
            "entries": {"type": "array", "items": _entry_ref},
            "next_cursor": {"type": ["string", "null"]},
        },
    },
)
register_schema(
    "EntryCreate",
    {
        "type": "object",
        "required": ["project_id", "work_date"],
        "properties": {
            **_entry_fields,
            "user_id": {**INTEGER, "description": "admin only"},
            "corrects_entry_id": {**INTEGER, "description": "admin only: a correction entry"},
        },
    },
)
register_schema(
    "EntryUpdate",
    {"type": "object", "properties": _entry_fields},
)
# What the decider saw: with it, an entry changed since is refused (409 entry_changed).
_SEEN = {
    "type": ["string", "null"],
    "format": "date-time",
    "description": "The entry's updated_at as you saw it (null: never changed); "
    "409 entry_changed when it differs now",
}
register_schema("EntryApprove", {"type": "object", "properties": {"updated_at": _SEEN}})
register_schema(
    "EntryReject",
    {
        "type": "object",
        "required": ["reason"],
        "properties": {"reason": STRING, "updated_at": _SEEN},
    },
)


@bp.post("/entries")
@api_roles("contractor", "admin")
@doc(request="EntryCreate", response="Entry", status=201, errors=(404, 409, 422))
def create_entry() -> Any:
    """Log time (an admin may pass user_id to log for a contractor)."""
    body = json_body(ADMIN_CREATE_FIELDS if caller().is_admin else CREATE_FIELDS)
    with unit_of_work() as db:
        owner = None
        if body.get("user_id") is not None:
            owner = entries.contractor_for(db, body["user_id"])
        entry = entries.log_time(
            db,
            caller(),
            project_id=body.get("project_id"),  # type: ignore[arg-type]
            work_date=body.get("work_date"),  # type: ignore[arg-type]
            minutes=body.get("minutes"),
            hours=body.get("hours"),
            description=body.get("description") or "",
            user=owner,
            corrects_entry_id=body.get("corrects_entry_id"),
            via="api",
        )
    return jsonify(schemas.entry(entry)), 201


@bp.get("/entries")
@api_roles(*ROLES)
@doc(
    response="EntryList",
    errors=(422,),
    params=("from", "to", "project_id", "status", "user_id", "limit", "cursor"),
)
def list_entries() -> Any:
    """Own entries (admin: all, filter user_id), newest work date first, keyset-paginated."""
    limit = inputs.optional_whole_number(request.args.get("limit"), "limit")  # range: the service
    items, cursor = entries.list_entries(
        get_session(),
        caller(),
        user_id=params.ident("user_id"),
        start=params.day("from"),
        end=params.day("to"),
        project_id=params.ident("project_id"),
        status=request.args.get("status") or None,
        after=request.args.get("cursor") or None,
        limit=50 if limit is None else limit,
    )
    return jsonify({"entries": [schemas.entry(e) for e in items], "next_cursor": cursor})


@bp.get("/entries/<int:entry_id>")
@api_roles(*ROLES)
@doc(response="Entry", errors=(404,))
def get_entry(entry_id: int) -> Any:
    """One entry (404 when it is not yours)."""
    return jsonify(schemas.entry(entries.get_entry(get_session(), caller(), entry_id)))


@bp.patch("/entries/<int:entry_id>")
@api_roles("contractor", "admin")
@doc(request="EntryUpdate", response="Entry", errors=(404, 409, 422))
def update_entry(entry_id: int) -> Any:
    """Change work_date, hours/minutes, description or project_id; same rules as create."""
    body = json_body(UPDATE_FIELDS)
    with unit_of_work() as db:
        entry = entries.update_entry(db, caller(), entry_id, via="api", **body)
    return jsonify(schemas.entry(entry))


@bp.delete("/entries/<int:entry_id>")
@api_roles("contractor", "admin")
@doc(status=204, errors=(404, 409, 422))
def delete_entry(entry_id: int) -> Any:
    """Delete an entry."""
    with unit_of_work() as db:
        entries.delete_entry(db, caller(), entry_id, via="api")
    return "", 204


@bp.post("/entries/<int:entry_id>/approve")
@api_roles("admin")
@doc(request="EntryApprove", request_required=False, response="Entry", errors=(404, 409, 422))
def approve_entry(entry_id: int) -> Any:
    """Approve an entry (read-only for its contractor from then on)."""
    seen = _seen(entry_id, json_body({"updated_at"}) if request.content_length else {})
    with unit_of_work() as db:
        entries.get_entry(db, caller(), entry_id)
        entry = entries.approve(db, caller(), [entry_id], seen=seen)[0]
    return jsonify(schemas.entry(entry))


@bp.post("/entries/<int:entry_id>/reject")
@api_roles("admin")
@doc(request="EntryReject", response="Entry", errors=(404, 409, 422))
def reject_entry(entry_id: int) -> Any:
    """Reject an entry with a reason; its contractor is notified."""
    body = json_body({"reason", "updated_at"})
    seen = _seen(entry_id, body)
    with unit_of_work() as db:
        entries.get_entry(db, caller(), entry_id)
        entry = entries.reject(db, caller(), [entry_id], body.get("reason") or "", seen=seen)[0]
    return jsonify(schemas.entry(entry))


def _seen(entry_id: int, body: dict[str, Any]) -> dict[int, Any] | None:
    """The ``updated_at`` the caller saw, when they sent one (null: never changed)."""
    if "updated_at" not in body:
        return None
    return {entry_id: entries.seen_at(body["updated_at"])}
