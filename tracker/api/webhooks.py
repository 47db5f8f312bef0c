"""Webhook endpoints API (admin): register (the secret is shown once), list, remove."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from tracker.api.access import api_roles, caller
from tracker.api.blueprint import bp, json_body
from tracker.api.openapi import doc, register_schema
from tracker.api.schemas import ts
from tracker.db import get_session, unit_of_work
from tracker.models import WebhookEndpoint
from tracker.services import webhooks

FIELDS = {"url", "events", "format", "internal"}
_events = {"type": "array", "items": {"enum": list(webhooks.EVENTS)}}
_endpoint = {
    "id": {"type": "integer"},
    "url": {"type": "string"},
    "events": _events,
    "format": {"enum": ["standard", "slack"]},
    "internal": {"type": "boolean", "description": "true: the internal reason is sent too"},
    "created_at": {"type": ["string", "null"], "format": "date-time"},
}
register_schema("Webhook", {"type": "object", "properties": _endpoint})
register_schema(
    "WebhookCreated",
    {
        "type": "object",
        "properties": {
            **_endpoint,
            "secret": {"type": "string", "description": "whsec_…; shown this once only"},
        },
    },
)
register_schema(
    "WebhookList",
    {
        "type": "object",
        "properties": {
            "webhooks": {"type": "array", "items": {"$ref": "#/components/schemas/Webhook"}}
        },
    },
)
register_schema(
    "WebhookCreate",
    {
        "type": "object",
        "properties": {
            "url": {"type": "string", "description": "http(s), a public address"},
            "events": _events,
            "format": {"enum": ["standard", "slack"], "default": "standard"},
            "internal": {"type": "boolean", "default": False},
        },
        "required": ["url", "events"],
    },
)


def endpoint(e: WebhookEndpoint) -> dict[str, Any]:
    """An endpoint as the API lists it: never its secret."""
    return {
        "id": e.id,
        "url": e.url,
        "events": list(e.events),
        "format": e.format,
        "internal": e.internal,
        "created_at": ts(e.created_at),
    }


@bp.post("/webhooks")
@api_roles("admin")
@doc(request="WebhookCreate", response="WebhookCreated", status=201, errors=(422,))
def create_webhook() -> Any:
    """Register an endpoint; the answer carries its signing secret, shown this once."""
    body = json_body(FIELDS)
    with unit_of_work() as db:
        created, secret = webhooks.register(db, caller(), **{k: body.get(k) for k in FIELDS})
    return jsonify({**endpoint(created), "secret": secret}), 201


@bp.get("/webhooks")
@api_roles("admin")
@doc(response="WebhookList")
def list_webhooks() -> Any:
    """Every endpoint (no secrets)."""
    return jsonify({"webhooks": [endpoint(e) for e in webhooks.list_endpoints(get_session())]})


@bp.delete("/webhooks/<int:webhook_id>")
@api_roles("admin")
@doc(status=204, errors=(404,))
def delete_webhook(webhook_id: int) -> Any:
    """Remove an endpoint; its deliveries not sent yet are dead."""
    with unit_of_work() as db:
        webhooks.remove(db, caller(), webhook_id)
    return "", 204
