"""Outbox API (admin): the deliveries with their status, and sending a dead one again."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from tracker.api import params
from tracker.api.access import api_roles, caller
from tracker.api.blueprint import bp
from tracker.api.openapi import doc, register_schema
from tracker.api.schemas import ts
from tracker.db import get_session, unit_of_work
from tracker.models import OutboxMessage
from tracker.services import outbox_admin

LIMIT_MAX = 500
_str = {"type": "string"}
_nstr = {"type": ["string", "null"]}
_int = {"type": "integer"}
_ts = {"type": ["string", "null"], "format": "date-time"}
register_schema(
    "Delivery",
    {
        "type": "object",
        "properties": {
            "id": _int,
            "kind": {"enum": ["email", "webhook"]},
            "to": {**_str, "description": "the address, or the endpoint's origin (https://host/…)"},
            "subject": {**_nstr, "description": "emails: the subject line"},
            "event": {**_nstr, "description": "webhooks: the event type"},
            "template": {**_nstr, "description": "emails: which notice it is"},
            "endpoint_id": {"type": ["integer", "null"]},
            "status": {"enum": ["pending", "sent", "dead"]},
            "attempts": _int,
            "last_error": _nstr,
            "next_attempt_at": _ts,
            "created_at": _ts,
            "sent_at": _ts,
        },
    },
)
register_schema(
    "DeliveryList",
    {
        "type": "object",
        "properties": {
            "deliveries": {"type": "array", "items": {"$ref": "#/components/schemas/Delivery"}},
            # Each status counted up to 1,000; counts_capped names those holding more.
            "counts": {"type": "object", "additionalProperties": _int},
            "counts_capped": {"type": "array", "items": {"enum": ["pending", "sent", "dead"]}},
            "next_cursor": _nstr,
        },
    },
)


def delivery(m: OutboxMessage) -> dict[str, Any]:
    """A delivery as the API shows it (never its context or body: they may hold a link)."""
    email = m.kind == "email"
    return {
        "id": m.id,
        "kind": m.kind,
        "to": outbox_admin.shown_recipient(m),
        "subject": m.subject if email else None,
        "event": None if email else m.topic,
        "template": m.topic if email else None,
        "endpoint_id": m.endpoint_id,
        "status": m.status,
        "attempts": m.attempts,
        "last_error": m.last_error,
        "next_attempt_at": ts(m.next_attempt_at) if m.status == "pending" else None,
        "created_at": ts(m.created_at),
        "sent_at": ts(m.sent_at),
    }


@bp.get("/outbox")
@api_roles("admin")
@doc(response="DeliveryList", errors=(422,), params=("status", "limit", "cursor"))
def list_outbox() -> Any:
    """Deliveries newest first (filter status: pending, sent, dead), keyset-paginated."""
    limit = params.count("limit", 100, LIMIT_MAX)
    before = params.ident("cursor")
    db = get_session()
    items = outbox_admin.list_deliveries(
        db, status=request.args.get("status") or None, before_id=before, limit=limit + 1
    )
    more = len(items) > limit
    items = items[:limit]
    found = outbox_admin.counts(db)
    return jsonify(
        {
            "deliveries": [delivery(m) for m in items],
            "counts": found.by_status,
            "counts_capped": sorted(found.capped),
            "next_cursor": str(items[-1].id) if more else None,
        }
    )


@bp.post("/outbox/<int:delivery_id>/retry")
@api_roles("admin")
@doc(response="Delivery", errors=(404, 409))
def retry_delivery(delivery_id: int) -> Any:
    """Send a dead delivery again (pending, due now, a fresh set of attempts)."""
    with unit_of_work() as db:
        message = outbox_admin.retry(db, caller(), delivery_id)
    return jsonify(delivery(message))
