"""Incidents API: start (a client or chosen projects), read, change, post updates, acknowledge,
who acknowledged, lift (all or some projects), and the report as JSON and CSV.

A contractor's view of an incident never carries its title, reason, client, who started or
lifted it, other people's counts or projects they are not on; it adds their ``acknowledged_at``.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify

from tracker.api import params, schemas
from tracker.api.access import api_roles, caller
from tracker.api.blueprint import bp, json_body
from tracker.api.openapi import doc, register_schema
from tracker.clock import local_today
from tracker.db import get_session, unit_of_work, write_priority
from tracker.errors import Invalid
from tracker.models import Incident, IncidentUpdate, User
from tracker.services import holds, incident_reads, incident_reports, incidents
from tracker.web import downloads

START_FIELDS = {
    "title",
    "reason",
    "notice",
    "incident_ref",
    "allow_backfill",
    "allow_same_client",
    "review_by",
    "client",
    "project_ids",
}
_ids = {"type": "array", "items": {"type": "integer"}}
_date = {"type": "string", "format": "date"}
_stamp = {"type": ["string", "null"], "format": "date-time"}
_incident_props = {
    "id": {"type": "integer"},
    "title": {"type": "string", "description": "Admins only."},
    "reason": {"type": "string", "description": "Admins only."},
    "notice": {"type": "string"},
    "incident_ref": {"type": ["string", "null"]},
    "allow_backfill": {"type": "boolean"},
    "allow_same_client": {"type": "boolean"},
    "scope": {"enum": ["client", "projects"]},
    "client": {"type": ["string", "null"], "description": "Admins only."},
    "review_by": _date,
    "started_at": _stamp,
    "started_by": {"type": ["integer", "null"]},
    "lifted_at": _stamp,
    "lifted_by": {"type": ["integer", "null"]},
    "note": {"type": ["string", "null"]},
    "project_ids": _ids,
    "affected_contractors": {"type": "integer"},
    "acknowledged": {"type": "integer"},
    "acknowledged_at": {**_stamp, "description": "The caller's own (contractors)."},
    "updates": {"type": "array", "items": {"$ref": "#/components/schemas/IncidentUpdate"}},
}
register_schema("Incident", {"type": "object", "properties": _incident_props})
register_schema(
    "IncidentUpdate",
    {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "at": _stamp, "message": {"type": "string"}},
    },
)
register_schema(
    "IncidentStart",
    {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "reason": {"type": "string", "description": "Internal; admins only."},
            "notice": {"type": "string", "maxLength": holds.NOTICE_MAX},
            "incident_ref": {"type": ["string", "null"]},
            "allow_backfill": {"type": "boolean", "default": False},
            "allow_same_client": {"type": "boolean", "default": False},
            "review_by": {**_date, "description": "Default: 14 days from today."},
            "client": {"type": "string", "description": "Exactly one of client, project_ids."},
            "project_ids": _ids,
        },
        "required": ["title", "reason", "notice"],
    },
)
register_schema(
    "IncidentStarted",
    {
        "type": "object",
        "properties": {
            "incident": {"$ref": "#/components/schemas/Incident"},
            "holds": {"type": "array", "items": {"$ref": "#/components/schemas/Hold"}},
            "skipped": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "project_id": {"type": "integer"},
                        "code": {"enum": ["already_frozen", "project_closed"]},
                    },
                },
            },
            "affected_contractors": {"type": "integer"},
        },
    },
)
register_schema(
    "IncidentList",
    {
        "type": "object",
        "properties": {
            "incidents": {"type": "array", "items": {"$ref": "#/components/schemas/Incident"}}
        },
    },
)
register_schema(
    "IncidentChange",
    {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "reason": {"type": "string"},
            "review_by": _date,
            "incident_ref": {"type": ["string", "null"]},
        },
    },
)
register_schema(
    "IncidentUpdatePost",
    {"type": "object", "properties": {"message": {"type": "string"}}, "required": ["message"]},
)
register_schema("Acknowledged", {"type": "object", "properties": {"acknowledged_at": _stamp}})
register_schema(
    "Acknowledgements",
    {
        "type": "object",
        "properties": {
            "acknowledged": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"user_id": {"type": "integer"}, "at": _stamp},
                },
            },
            "pending": _ids,
        },
    },
)
register_schema(
    "IncidentLift",
    {
        "type": "object",
        "properties": {
            "note": {"type": ["string", "null"]},
            "project_ids": {**_ids, "description": "Only these; all when left out."},
        },
    },
)
register_schema(
    "IncidentLifted",
    {
        "type": "object",
        "properties": {"incident": {"$ref": "#/components/schemas/Incident"}, "lifted": _ids},
    },
)
register_schema(
    "IncidentReport",
    {
        "type": "object",
        "properties": {
            "incident_id": {"type": "integer"},
            "totals": {"type": "object"},
            "contractors": {"type": "array", "items": {"type": "object"}},
            "days": {"type": "array", "items": {"type": "object"}},
        },
    },
)


def incident_json(
    incident: Incident, viewer: User, *, with_updates: bool = False
) -> dict[str, Any]:
    """One incident as the viewer may see it."""
    db = get_session()
    data: dict[str, Any] = {
        "id": incident.id,
        "notice": incident.notice,
        "incident_ref": incident.incident_ref,
        "allow_backfill": incident.allow_backfill,
        "scope": incident.scope,
        "review_by": incident.review_by.isoformat(),
        "started_at": schemas.ts(incident.started_at),
        "lifted_at": schemas.ts(incident.lifted_at),
        "note": incident.note,
    }
    if viewer.is_admin:
        data |= {
            "title": incident.title,
            "reason": incident.reason,
            "client": incident.client,
            "allow_same_client": incident.allow_same_client,
            "started_by": incident.started_by_id,
            "lifted_by": incident.lifted_by_id,
            "project_ids": incident_reads.project_ids_of(db, [incident])[incident.id],
            "affected_contractors": incident.affected_count,
            "acknowledged": incident_reads.acknowledged_counts(db, [incident])[incident.id],
        }
    else:
        data["project_ids"] = [
            p.id for p, _h in incident_reads.held_projects_of(db, incident, viewer)
        ]
        data["acknowledged_at"] = schemas.ts(incident_reads.acknowledged_at(db, incident, viewer))
    if with_updates:
        data["updates"] = [update_json(u) for u in incident_reads.updates_of(db, incident)]
    return data


def _active(value: str | None) -> bool | None:
    """The ``active`` filter: 1, 0, or absent. Raises Invalid."""
    if value is None:
        return None
    if value in ("1", "0"):
        return value == "1"
    raise Invalid.field("active", "Give 0 or 1.")


def update_json(update: IncidentUpdate) -> dict[str, Any]:
    return {"id": update.id, "at": schemas.ts(update.at), "message": update.message}


@bp.post("/incidents")
@write_priority
@api_roles("admin")
@doc(request="IncidentStart", response="IncidentStarted", status=201, errors=(422,))
def start_incident() -> Any:
    """Freeze a client's open projects, or chosen projects, as one incident; 422 if nothing."""
    body = json_body(START_FIELDS)
    with unit_of_work() as db:
        started = incidents.start_incident(db, caller(), local_today(caller()), **body)
        answer = {
            "holds": [schemas.hold(h) for h in started.holds],
            "skipped": [{"project_id": p.id, "code": why} for p, why in started.skipped],
            "affected_contractors": started.affected,
        }
        incident_id = started.incident.id
    incident = incident_reads.get_incident(get_session(), incident_id)
    return jsonify({"incident": incident_json(incident, caller()), **answer}), 201


@bp.get("/incidents")
@api_roles("admin", "contractor", "payroll")
@doc(response="IncidentList", errors=(422,), params=(("active", {"enum": ["0", "1"]}),))
def list_incidents() -> Any:
    """Admin: every incident (filter ``active``); others: those affecting them."""
    active = _active(params.text("active"))
    found = incident_reads.list_incidents(get_session(), caller(), active=active)
    return jsonify({"incidents": [incident_json(i, caller()) for i in found]})


@bp.get("/incidents/<int:incident_id>")
@api_roles("admin", "contractor", "payroll")
@doc(response="Incident", errors=(404,))
def get_incident(incident_id: int) -> Any:
    """One incident with its updates (404 for someone it does not affect)."""
    incident = incident_reads.get_incident(get_session(), incident_id, caller())
    return jsonify(incident_json(incident, caller(), with_updates=True))


@bp.patch("/incidents/<int:incident_id>")
@api_roles("admin")
@doc(request="IncidentChange", response="Incident", errors=(404, 422))
def change_incident(incident_id: int) -> Any:
    """Change the title, reason, review date or reference."""
    body = json_body()
    with unit_of_work() as db:
        incident = incident_reads.get_incident(db, incident_id)
        incidents.change_incident(db, caller(), incident, local_today(caller()), **body)
    incident = incident_reads.get_incident(get_session(), incident_id)
    return jsonify(incident_json(incident, caller(), with_updates=True))


@bp.post("/incidents/<int:incident_id>/updates")
@api_roles("admin")
@doc(request="IncidentUpdatePost", response="IncidentUpdate", status=201, errors=(404, 409, 422))
def post_update(incident_id: int) -> Any:
    """Post an update; every affected contractor is told. 409 not_frozen once lifted."""
    body = json_body({"message"})
    with unit_of_work() as db:
        incident = incident_reads.get_incident(db, incident_id)
        update = incidents.post_update(db, caller(), incident, body.get("message"))
        answer = update_json(update)
    return jsonify(answer), 201


@bp.post("/incidents/<int:incident_id>/acknowledge")
@api_roles("contractor")
@doc(response="Acknowledged", errors=(404,))
def acknowledge(incident_id: int) -> Any:
    """Confirm having read the notice and its updates (idempotent)."""
    with unit_of_work() as db:
        at = incidents.acknowledge(db, caller(), incident_id)
    return jsonify({"acknowledged_at": schemas.ts(at)})


@bp.get("/incidents/<int:incident_id>/acknowledgements")
@api_roles("admin")
@doc(response="Acknowledgements", errors=(404,))
def acknowledgements(incident_id: int) -> Any:
    """Who acknowledged the latest notice or update, and who has not."""
    db = get_session()
    found = incident_reads.acknowledgements(db, incident_reads.get_incident(db, incident_id))
    return jsonify(
        {
            "acknowledged": [
                {"user_id": u.id, "at": schemas.ts(at)} for u, at in found.acknowledged
            ],
            "pending": [u.id for u in found.pending],
        }
    )


@bp.post("/incidents/<int:incident_id>/lift")
@write_priority
@api_roles("admin")
@doc(request="IncidentLift", response="IncidentLifted", errors=(404, 409, 422))
def lift(incident_id: int) -> Any:
    """Lift the incident, or only some of its projects; 409 not_frozen."""
    body = json_body({"note", "project_ids"})
    with unit_of_work() as db:
        incident = incident_reads.get_incident(db, incident_id)
        lifted = incidents.lift_incident(
            db, caller(), incident, project_ids=body.get("project_ids"), note=body.get("note")
        )
    incident = incident_reads.get_incident(get_session(), incident_id)
    return jsonify({"incident": incident_json(incident, caller()), "lifted": lifted})


@bp.get("/incidents/<int:incident_id>/report")
@api_roles("admin")
@doc(response="IncidentReport", errors=(404,))
def report(incident_id: int) -> Any:
    """The incident report as JSON."""
    db = get_session()
    incident = incident_reads.get_incident(db, incident_id)
    return jsonify(
        incident_reports.to_json(incident_reports.report(db, incident, local_today(caller())))
    )


@bp.get("/incidents/<int:incident_id>/report.csv")
@api_roles("admin")
@doc(errors=(404,), content_type="text/csv")
def report_csv(incident_id: int) -> Any:
    """The incident report as CSV, one row per affected contractor."""
    return downloads.incident_report_csv(caller(), incident_id)
