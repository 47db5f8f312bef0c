"""GET /api/v1/me and the caller's notifications."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from tracker.api import bp, schemas
from tracker.api.access import ALL_ROLES, api_roles, caller
from tracker.api.openapi import doc


@bp.get("/me")
@api_roles(*ALL_ROLES)
@doc(response="User")
def get_me() -> Any:
    """The caller: id, email, name, role, timezone, skills."""
    return jsonify(schemas.user(caller()))
