"""Users API (admin): create, list, change."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify

from tracker.api import schemas
from tracker.api.access import api_roles, caller
from tracker.api.blueprint import bp, json_body
from tracker.api.openapi import doc
from tracker.db import get_session, unit_of_work
from tracker.services import notices, users

CREATE_FIELDS = {"email", "name", "role", "password", "timezone", "skills", "hourly_rate"}
UPDATE_FIELDS = {"name", "role", "active", "skills", "hourly_rate", "timezone"}


@bp.post("/users")
@api_roles("admin")
@doc(request="UserCreate", response="User", status=201, errors=(422,))
def create_user() -> Any:
    """Create a user; without a password they are emailed a one-time link to set one."""
    body = json_body(CREATE_FIELDS)
    with unit_of_work() as db:
        user = users.create_user(
            db,
            caller(),
            **{k: body.get(k) for k in CREATE_FIELDS - {"timezone"}},
            timezone=body.get("timezone", "UTC"),
        )
        if body.get("password") is None:  # they set it from the emailed one-time link
            notices.email_setup_link(
                db, caller(), user, "welcome", current_app.config["SETUP_LINK_HOURS"]
            )
    return jsonify(schemas.user(user)), 201


@bp.get("/users")
@api_roles("admin")
@doc(response="UserList")
def list_users() -> Any:
    """List users."""
    return jsonify({"users": [schemas.user(u) for u in users.list_users(get_session())]})


@bp.patch("/users/<int:user_id>")
@api_roles("admin")
@doc(request="UserUpdate", response="User", errors=(404, 422))
def update_user(user_id: int) -> Any:
    """Change name, role, active, skills, hourly_rate, timezone."""
    body = json_body(UPDATE_FIELDS)
    with unit_of_work() as db:
        user = users.update_user(db, caller(), users.get_user(db, user_id), **body)
    return jsonify(schemas.user(user))
