"""Reassignment API: offers for held contractors, joining one, and the admin's bulk move."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from tracker.api import schemas
from tracker.api.access import api_roles, caller
from tracker.api.blueprint import bp, json_body
from tracker.api.openapi import INTEGER, doc, register_schema
from tracker.db import get_session, unit_of_work
from tracker.services import inputs, projects, reassignment

_money = {"type": "string", "pattern": r"^\d+\.\d{2}$"}

register_schema(
    "Offer",
    {
        "type": "object",
        "properties": {
            "from_project_id": INTEGER,
            "project": {"$ref": "#/components/schemas/Project"},
            "free_seats": {"type": ["integer", "null"]},
            "matching_skills": {"type": "array", "items": {"type": "string"}},
            "hourly_rate": _money,
            "currency": {"type": "string"},
            "held_hourly_rate": _money,
            "held_currency": {"type": "string"},
        },
    },
)
register_schema(
    "OfferList",
    {
        "type": "object",
        "properties": {
            "offers": {"type": "array", "items": {"$ref": "#/components/schemas/Offer"}}
        },
    },
)
register_schema(
    "ReassignmentAccept",
    {
        "type": "object",
        "properties": {"from_project_id": INTEGER, "to_project_id": INTEGER},
        "required": ["from_project_id", "to_project_id"],
    },
)
register_schema(
    "ReassignmentMove",
    {
        "type": "object",
        "properties": {"to_project_id": INTEGER, "user_ids": {"type": "array", "items": INTEGER}},
        "required": ["to_project_id"],
    },
)
register_schema(
    "ReassignmentResult",
    {
        "type": "object",
        "properties": {
            "moved": {"type": "array", "items": INTEGER},
            "skipped": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"user_id": INTEGER, "code": {"type": "string"}},
                },
            },
        },
    },
)


def _id(body: dict[str, Any], key: str) -> int:
    return inputs.identifier(body.get(key), key, "Give the project's id (an integer).")


@bp.get("/reassignment/offers")
@api_roles("contractor")
@doc(response="OfferList")
def list_offers() -> Any:
    """Open projects the caller can move to while their project is on hold, best first."""
    items = reassignment.offers(get_session(), caller())
    return jsonify({"offers": [schemas.offer(o, caller()) for o in items]})


@bp.post("/reassignment")
@api_roles("contractor")
@doc(request="ReassignmentAccept", response="Assignment", status=201, errors=(404, 409, 422))
def accept() -> Any:
    """Join an offered project; 409 project_full, not_on_hold, not_open_to_reassignment, …"""
    body = json_body({"from_project_id", "to_project_id"})
    from_id, to_id = _id(body, "from_project_id"), _id(body, "to_project_id")
    with unit_of_work() as db:
        assignment = reassignment.accept(db, caller(), from_project_id=from_id, to_project_id=to_id)
    return jsonify(schemas.assignment(assignment)), 201


@bp.post("/projects/<int:project_id>/reassign")
@api_roles("admin")
@doc(request="ReassignmentMove", response="ReassignmentResult", errors=(404, 409, 422))
def move(project_id: int) -> Any:
    """Move all (or the given) contractors of a held project to an open project, within seats."""
    body = json_body({"to_project_id", "user_ids"})
    to_id = _id(body, "to_project_id")
    with unit_of_work() as db:
        held = projects.get_project(db, project_id)
        target = projects.get_project(db, to_id)
        moved, skipped = reassignment.move(db, caller(), held, target, body.get("user_ids"))
    return jsonify(
        {
            "moved": moved,
            "skipped": [{"user_id": user_id, "code": code} for user_id, code in skipped],
        }
    )
