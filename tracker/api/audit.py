"""GET /api/v1/audit (admin)."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from tracker.api import params, schemas
from tracker.api.access import api_roles
from tracker.api.blueprint import bp
from tracker.api.openapi import doc
from tracker.db import get_session
from tracker.services import audit


@bp.get("/audit")
@api_roles("admin")
@doc(
    response="AuditList",
    params=("actor_id", "action", "target_type", "target_id", "from", "to", "before", "limit"),
)
def list_audit() -> Any:
    """Audit events, newest first; filters actor_id, action, target_type, target_id, from, to."""
    limit = params.count("limit", default=100, maximum=500)
    events = audit.search(
        get_session(),
        actor_id=params.ident("actor_id"),
        action=params.text("action"),
        target_type=params.text("target_type"),
        target_id=params.ident("target_id"),
        start=params.day("from"),
        end=params.day("to"),
        before_id=params.ident("before"),
        limit=limit,
    )
    return jsonify(
        {
            "events": [schemas.audit_event(e) for e in events],
            "next_before": events[-1].id if len(events) == limit else None,
        }
    )
