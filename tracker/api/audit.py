"""GET /api/v1/audit (admin)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from tracker.api import bp, schemas
from tracker.api.access import api_roles
from tracker.api.openapi import doc
from tracker.db import get_session
from tracker.services import audit, inputs, validation


@bp.get("/audit")
@api_roles("admin")
@doc(
    response="AuditList",
    params=("actor_id", "action", "target_type", "target_id", "from", "to", "before", "limit"),
)
def list_audit() -> Any:
    """Audit events, newest first; filters actor_id, action, target_type, target_id, from, to."""
    args = request.args
    limit = inputs.optional_whole_number(args.get("limit"), "limit", minimum=1, maximum=500)
    limit = 100 if limit is None else limit
    events = audit.search(
        get_session(),
        actor_id=inputs.id_param(args.get("actor_id"), "actor_id"),
        action=validation.filter_text(args.get("action"), "action"),
        target_type=validation.filter_text(args.get("target_type"), "target_type"),
        target_id=inputs.id_param(args.get("target_id"), "target_id"),
        start=inputs.optional_date(args.get("from"), "from"),
        end=inputs.optional_date(args.get("to"), "to"),
        before_id=inputs.id_param(args.get("before"), "before"),
        limit=limit,
    )
    return jsonify(
        {
            "events": [schemas.audit_event(e) for e in events],
            "next_before": events[-1].id if len(events) == limit else None,
        }
    )
