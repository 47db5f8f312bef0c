"""Incident holds API: freeze, unfreeze, hold history (admins; contractors never see reasons)."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from tracker.api import schemas
from tracker.api.access import api_roles, caller
from tracker.api.blueprint import bp, json_body
from tracker.api.incidents import incident_json
from tracker.api.openapi import doc, register_schema
from tracker.api.projects import project_json
from tracker.db import begin_read, get_session, unit_of_work, write_priority
from tracker.services import hold_reports, holds, incident_reads, projects

_hold_ref = {"$ref": "#/components/schemas/Hold"}
_project_ref = {"$ref": "#/components/schemas/Project"}
register_schema(
    "FreezeRequest",
    {
        "type": "object",
        "properties": {
            "reason": {"type": "string", "description": "Internal; admins only."},
            "notice": {
                "type": "string",
                "maxLength": holds.NOTICE_MAX,
                "description": "Shown verbatim to the affected contractors.",
            },
            "incident_ref": {"type": ["string", "null"], "maxLength": holds.INCIDENT_REF_MAX},
            "allow_backfill": {"type": "boolean", "default": False},
        },
        "required": ["reason", "notice"],
    },
)
register_schema(
    "FreezeResult",
    {
        "type": "object",
        "properties": {
            "project": _project_ref,
            "hold": _hold_ref,
            "affected_contractors": {"type": "integer"},
            "incident": {"$ref": "#/components/schemas/Incident"},
        },
    },
)
register_schema(
    "UnfreezeRequest",
    {
        "type": "object",
        "properties": {"note": {"type": ["string", "null"], "maxLength": holds.NOTE_MAX}},
    },
)
register_schema(
    "UnfreezeResult",
    {
        "type": "object",
        "properties": {"project": _project_ref, "hold": _hold_ref},
    },
)
register_schema(
    "HoldList",
    {
        "type": "object",
        "properties": {"holds": {"type": "array", "items": _hold_ref}},
    },
)


@bp.post("/projects/<int:project_id>/freeze")
@write_priority
@api_roles("admin")
@doc(request="FreezeRequest", response="FreezeResult", errors=(404, 409, 422))
def freeze(project_id: int) -> Any:
    """Put a project on hold; 409 already_frozen, project_closed; 422 invalid."""
    body = json_body({"reason", "notice", "incident_ref", "allow_backfill"})
    with unit_of_work() as db:
        project = projects.get_project(db, project_id)
        hold, affected = holds.freeze_project(
            db,
            caller(),
            project,
            reason=body.get("reason", ""),
            notice=body.get("notice", ""),
            incident_ref=body.get("incident_ref"),
            allow_backfill=False if body.get("allow_backfill") is None else body["allow_backfill"],
        )
    project = projects.get_project(begin_read(), project_id)  # the answer waits for no writer
    return jsonify(
        {
            "project": project_json([project], caller())[0],
            "hold": schemas.hold(hold),
            "affected_contractors": affected,
            "incident": incident_json(
                incident_reads.get_incident(get_session(), hold.incident_id), caller()
            ),
        }
    )


@bp.post("/projects/<int:project_id>/unfreeze")
@write_priority
@api_roles("admin")
@doc(request="UnfreezeRequest", response="UnfreezeResult", errors=(404, 409, 422))
def unfreeze(project_id: int) -> Any:
    """Lift the hold; 409 not_frozen."""
    body = json_body({"note"})
    with unit_of_work() as db:
        project = projects.get_project(db, project_id)
        hold = holds.unfreeze_project(db, caller(), project, note=body.get("note"))
    project = projects.get_project(begin_read(), project_id)  # the answer waits for no writer
    return jsonify({"project": project_json([project], caller())[0], "hold": schemas.hold(hold)})


@bp.get("/projects/<int:project_id>/holds")
@api_roles("admin")
@doc(response="HoldList", errors=(404,))
def list_holds(project_id: int) -> Any:
    """The project's hold history, newest first."""
    db = get_session()
    project = projects.get_project(db, project_id)
    return jsonify(
        {"holds": [schemas.hold(r.hold) for r in hold_reports.hold_history(db, project)]}
    )
