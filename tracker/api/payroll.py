"""Payroll API: exports and export batches as CSV or XLSX in any profile (admin and payroll)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from tracker.api import schemas
from tracker.api.access import api_roles, caller
from tracker.api.blueprint import bp, json_body
from tracker.api.openapi import doc, register_schema
from tracker.db import get_session, unit_of_work
from tracker.errors import Invalid
from tracker.services import payroll, payroll_batches, payroll_profiles, payroll_xlsx
from tracker.services.payroll_profiles import FileSpec
from tracker.web import downloads

_date = {"type": "string", "format": "date"}
_PROFILE = {"enum": list(payroll_profiles.PROFILES), "default": payroll_profiles.DEFAULT}
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


def _spec(fmt: str) -> FileSpec:
    """The file asked for: the format from the path, profile, layout and BOM from the query."""
    args = request.args
    return payroll_profiles.check_file(args.get("profile"), args.get("layout"), fmt, _flag("bom"))


def _export(fmt: str) -> Any:
    args = request.args
    errors: dict[str, list[str]] = {}
    try:
        scope = payroll.make_scope(args.get("start"), args.get("end"), args.get("status"))
    except Invalid as exc:
        errors.update(exc.fields)
    try:
        spec = _spec(fmt)
    except Invalid as exc:
        errors.update(exc.fields)
    if errors:  # every bad parameter named at once
        raise Invalid(errors)
    return downloads.export_response(caller(), scope, spec)


_PERIOD = ("start", "end", "status")
_FILE = (("layout", {"enum": list(payroll_profiles.LAYOUTS)}), ("profile", _PROFILE), "bom")


@bp.get("/payroll.csv")
@api_roles("admin", "payroll")
@doc(params=_PERIOD + _FILE, content_type="text/csv", errors=(422,))
def payroll_csv() -> Any:
    """The payroll CSV of a period (inclusive dates), streamed; any layout and profile."""
    return _export("csv")


@bp.get("/payroll.xlsx")
@api_roles("admin", "payroll")
@doc(params=_PERIOD + _FILE, content_type=payroll_xlsx.MIME_TYPE, errors=(422,))
def payroll_xlsx_file() -> Any:
    """The payroll XLSX of a period: one sheet per layout of the profile, asked-for one first."""
    return _export("xlsx")


@bp.get("/payroll.<fmt>")
@api_roles("admin", "payroll")
@doc(errors=(422,))
def payroll_other_format(fmt: str) -> Any:
    """Any other file format: 422 naming the formats there are (csv, xlsx)."""
    return _export(payroll_profiles.check_format(fmt))


@bp.post("/payroll/batches")
@api_roles("admin", "payroll")
@doc(request="PayrollBatchCreate", response="PayrollBatch", status=201, errors=(422,))
def create_batch() -> Any:
    """Export the period's entries not in a batch yet and mark them exported (locked).

    Only admins may batch entries not approved yet (``status=all``): a payroll user gets 403.
    """
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
@doc(params=_FILE, content_type="text/csv", errors=(404, 422))
def batch_csv(batch_id: int) -> Any:
    """A batch's CSV, the same bytes every time; the generic detail CSV's SHA-256 is ``sha256``."""
    return downloads.batch_response(caller(), batch_id, _spec("csv"))


@bp.get("/payroll/batches/<int:batch_id>.xlsx")
@api_roles("admin", "payroll")
@doc(params=_FILE, content_type=payroll_xlsx.MIME_TYPE, errors=(404, 422))
def batch_xlsx(batch_id: int) -> Any:
    """A batch's XLSX, rebuilt from its stored CSV: the same bytes every time."""
    return downloads.batch_response(caller(), batch_id, _spec("xlsx"))


@bp.get("/payroll/batches/<int:batch_id>.<fmt>")
@api_roles("admin", "payroll")
@doc(errors=(404, 422))
def batch_other_format(batch_id: int, fmt: str) -> Any:
    """Any other file format of a batch: 422 naming the formats there are (csv, xlsx)."""
    return downloads.batch_response(caller(), batch_id, _spec(payroll_profiles.check_format(fmt)))
