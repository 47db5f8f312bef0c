"""GET /api/v1/audit (admin)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import jsonify, request

from tracker.api import bp, schemas
from tracker.api.access import api_roles
from tracker.api.openapi import doc
from tracker.db import get_session
from tracker.errors import Invalid
from tracker.services import audit


def _int_arg(name: str) -> int | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if not value.isdigit():
        raise Invalid.field(name, "Must be a whole number.")
    return int(value)


def _date_arg(name: str) -> dt.date | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Invalid.field(name, "Use a date like 2026-12-01.") from None


@bp.get("/audit")
@api_roles("admin")
@doc(
    response="AuditList",
    params=("actor_id", "action", "target_type", "target_id", "from", "to", "before", "limit"),
)
def list_audit() -> Any:
    """Audit events, newest first; filters actor_id, action, target_type, target_id, from, to."""
    limit = min(_int_arg("limit") or 100, 500)
    events = audit.search(
        get_session(),
        actor_id=_int_arg("actor_id"),
        action=request.args.get("action") or None,
        target_type=request.args.get("target_type") or None,
        target_id=_int_arg("target_id"),
        start=_date_arg("from"),
        end=_date_arg("to"),
        before_id=_int_arg("before"),
        limit=limit,
    )
    return jsonify(
        {
            "events": [schemas.audit_event(e) for e in events],
            "next_before": events[-1].id if len(events) == limit else None,
        }
    )
