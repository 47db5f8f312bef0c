"""Payroll API: the streamed CSV export and export batches (admin and payroll roles)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from tracker.api import schemas
from tracker.api.access import api_roles, caller
from tracker.api.blueprint import bp, json_body
from tracker.api.openapi import doc, register_schema
from tracker.db import get_session, unit_of_work
from tracker.errors import Invalid
from tracker.services import payroll, payroll_batches
from tracker.web import downloads

_date = {"type": "string", "format": "date"}
register_schema(
    "PayrollBatchCreate",
    {
        "type": "object",
        "properties": {"start": _date, "end": _date, "status": {"enum": ["approved", "all"]}},
        "required": ["start", "end"],
    },
)
register_schema(
    "PayrollBatch",
    {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "start": _date,
            "end": _date,
            "status": {"enum": ["approved", "all"]},
            "entries": {"type": "integer"},
            "total_minutes": {"type": "integer"},
            "total_hours": {"type": "string", "pattern": r"^-?\d+\.\d{2}$"},
            "total_amounts": {
                "type": "object",
                "additionalProperties": {"type": "string", "pattern": r"^-?\d+\.\d{2}$"},
            },
            "sha256": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "created_by": {"type": ["integer", "null"]},
            "created_by_email": {"type": ["string", "null"]},
        },
    },
)
register_schema(
    "PayrollBatchList",
    {
        "type": "object",
        "properties": {
            "batches": {"type": "array", "items": {"$ref": "#/components/schemas/PayrollBatch"}}
        },
    },
)


def _flag(name: str) -> bool:
    value = request.args.get(name, "0").strip().lower()
    if value in ("1", "true", "yes"):
        return True
    if value in ("0", "false", "no", ""):
        return False
    raise Invalid.field(name, "Give 0 or 1.")


@bp.get("/payroll.csv")
@api_roles("admin", "payroll")
@doc(params=("start", "end", "status", "layout", "bom"), content_type="text/csv", errors=(422,))
def payroll_csv() -> Any:
    """The payroll CSV of a period (inclusive dates), streamed; detail or summary layout."""
    args = request.args
    scope = payroll.make_scope(args.get("start"), args.get("end"), args.get("status"))
    layout = payroll.check_layout(args.get("layout"))
    bom = _flag("bom")
    return downloads.export_response(caller(), scope, layout, bom)


@bp.post("/payroll/batches")
@api_roles("admin", "payroll")
@doc(request="PayrollBatchCreate", response="PayrollBatch", status=201, errors=(422,))
def create_batch() -> Any:
    """Export the period's entries not in a batch yet and mark them exported (locked)."""
    body = json_body({"start", "end", "status"})
    with unit_of_work() as db:
        batch = payroll_batches.create_batch(
            db, caller(), body.get("start"), body.get("end"), body.get("status") or "approved"
        )
    return jsonify(schemas.payroll_batch(batch, caller().email)), 201


@bp.get("/payroll/batches")
@api_roles("admin", "payroll")
@doc(response="PayrollBatchList")
def list_batches() -> Any:
    """Every export batch, newest first."""
    return jsonify(
        {
            "batches": [
                schemas.payroll_batch(batch, email)
                for batch, email in payroll_batches.list_batches(get_session())
            ]
        }
    )


@bp.get("/payroll/batches/<int:batch_id>.csv")
@api_roles("admin", "payroll")
@doc(content_type="text/csv", errors=(404,))
def batch_csv(batch_id: int) -> Any:
    """A batch's CSV: the same bytes every time; their SHA-256 is the batch's ``sha256``."""
    return downloads.batch_response(caller(), batch_id)
