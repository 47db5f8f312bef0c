"""Time entries API: log, list, read, change, delete, approve and reject (see api.md)."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request

from tracker.api import bp, json_body, schemas
from tracker.api.access import ALL_ROLES, api_roles, caller
from tracker.api.openapi import doc, register_schema
from tracker.db import get_session, unit_of_work
from tracker.errors import Invalid
from tracker.models import User
from tracker.services import entries, inputs

CREATE_FIELDS = {"project_id", "work_date", "hours", "minutes", "description"}
ADMIN_CREATE_FIELDS = CREATE_FIELDS | {"user_id", "corrects_entry_id"}
UPDATE_FIELDS = {"work_date", "hours", "minutes", "description", "project_id"}

_int = {"type": "integer"}
_nint = {"type": ["integer", "null"]}
_str = {"type": "string"}
_hours = {"type": ["string", "number"], "description": "7.5, 7,5, 7:30, 7h30, 2h, 2h38m, 450m"}
_money = {"type": ["string", "null"], "pattern": r"^-?\d+\.\d{2}$"}
_ts = {"type": ["string", "null"], "format": "date-time"}
_date = {"type": "string", "format": "date"}
_entry_ref = {"$ref": "#/components/schemas/Entry"}
register_schema(
    "Entry",
    {
        "type": "object",
        "properties": {
            "id": _int,
            "user_id": _int,
            "project_id": _int,
            "work_date": _date,
            "minutes": _int,
            "hours": _str,
            "description": _str,
            "status": {"enum": ["submitted", "approved", "rejected"]},
            "hourly_rate": _money,
            "currency": _str,
            "amount": _money,
            "exported": {"type": "boolean"},
            "is_correction": {"type": "boolean"},
            "corrects_entry_id": _nint,
            "rejection_reason": {"type": ["string", "null"]},
            "approved_by": _nint,
            "approved_at": _ts,
            "created_at": _ts,
            "updated_at": _ts,
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
            "project_id": _int,
            "work_date": _date,
            "hours": _hours,
            "minutes": _int,
            "description": _str,
            "user_id": {**_int, "description": "admin only"},
            "corrects_entry_id": {**_int, "description": "admin only: a correction entry"},
        },
    },
)
register_schema(
    "EntryUpdate",
    {
        "type": "object",
        "properties": {
            "project_id": _int,
            "work_date": _date,
            "hours": _hours,
            "minutes": _int,
            "description": _str,
        },
    },
)
register_schema(
    "EntryReject", {"type": "object", "required": ["reason"], "properties": {"reason": _str}}
)


def _settings() -> dict[str, Any]:
    return {"backdating_days": current_app.config["BACKDATING_DAYS"], "via": "api"}


@bp.post("/entries")
@api_roles("contractor", "admin")
@doc(request="EntryCreate", response="Entry", status=201, errors=(404, 409, 422))
def create_entry() -> Any:
    """Log time (an admin may pass user_id to log for a contractor)."""
    body = json_body(ADMIN_CREATE_FIELDS if caller().is_admin else CREATE_FIELDS)
    with unit_of_work() as db:
        owner = None
        if body.get("user_id") is not None:
            owner = inputs.find(db, User, inputs.identifier(body["user_id"], "user_id"))
            if owner is None:
                raise Invalid.field("user_id", "No such user.")
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
            **_settings(),
        )
    return jsonify(schemas.entry(entry)), 201


@bp.get("/entries")
@api_roles(*ALL_ROLES)
@doc(
    response="EntryList",
    errors=(422,),
    params=("from", "to", "project_id", "status", "user_id", "limit", "cursor"),
)
def list_entries() -> Any:
    """Own entries (admin: all, filter user_id), newest work date first, keyset-paginated."""
    args = request.args
    limit = inputs.optional_whole_number(args.get("limit"), "limit")
    items, cursor = entries.list_entries(
        get_session(),
        caller(),
        user_id=inputs.id_param(args.get("user_id"), "user_id"),
        start=inputs.optional_date(args.get("from"), "from"),
        end=inputs.optional_date(args.get("to"), "to"),
        project_id=inputs.id_param(args.get("project_id"), "project_id"),
        status=args.get("status") or None,
        after=args.get("cursor") or None,
        limit=50 if limit is None else limit,
    )
    return jsonify({"entries": [schemas.entry(e) for e in items], "next_cursor": cursor})


@bp.get("/entries/<int:entry_id>")
@api_roles(*ALL_ROLES)
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
        entry = entries.update_entry(db, caller(), entry_id, **_settings(), **body)
    return jsonify(schemas.entry(entry))


@bp.delete("/entries/<int:entry_id>")
@api_roles("contractor", "admin")
@doc(status=204, errors=(404, 409, 422))
def delete_entry(entry_id: int) -> Any:
    """Delete an entry."""
    with unit_of_work() as db:
        entries.delete_entry(db, caller(), entry_id, **_settings())
    return "", 204


@bp.post("/entries/<int:entry_id>/approve")
@api_roles("admin")
@doc(response="Entry", errors=(404, 409))
def approve_entry(entry_id: int) -> Any:
    """Approve an entry (read-only for its contractor from then on)."""
    with unit_of_work() as db:
        entries.get_entry(db, caller(), entry_id)
        entry = entries.approve(db, caller(), [entry_id])[0]
    return jsonify(schemas.entry(entry))


@bp.post("/entries/<int:entry_id>/reject")
@api_roles("admin")
@doc(request="EntryReject", response="Entry", errors=(404, 409, 422))
def reject_entry(entry_id: int) -> Any:
    """Reject an entry with a reason; its contractor is notified."""
    body = json_body({"reason"})
    with unit_of_work() as db:
        entries.get_entry(db, caller(), entry_id)
        entry = entries.reject(db, caller(), [entry_id], body.get("reason") or "")[0]
    return jsonify(schemas.entry(entry))
