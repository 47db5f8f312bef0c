"""Notifications API: the caller's own notifications, newest first."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from tracker.api import schemas
from tracker.api.access import api_roles, caller
from tracker.api.blueprint import bp
from tracker.api.openapi import doc
from tracker.db import get_session
from tracker.models import ROLES
from tracker.services import notifications


@bp.get("/notifications")
@api_roles(*ROLES)
@doc(response="NotificationList", params=("unread",))
def list_notifications() -> Any:
    """Your own notifications, newest first (``unread=1``: unread only)."""
    items = notifications.list_for(
        get_session(), caller(), unread_only=request.args.get("unread") in ("1", "true")
    )
    return jsonify(
        {
            "notifications": [schemas.notification(n) for n in items],
            "unread": notifications.unread_count(get_session(), caller()),
        }
    )
