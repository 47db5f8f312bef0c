"""GET /api/v1/me and the caller's notifications."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from tracker.api import schemas
from tracker.api.access import api_roles, caller
from tracker.api.blueprint import bp
from tracker.api.openapi import doc
from tracker.models import ROLES


@bp.get("/me")
@api_roles(*ROLES)
@doc(response="User")
def get_me() -> Any:
    """The caller: id, email, name, role, timezone, skills."""
    return jsonify(schemas.user(caller()))
