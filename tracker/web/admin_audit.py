"""Admin: the audit log, filtered by actor, action, object and date, newest first."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from tracker.db import get_session
from tracker.services import audit, inputs, users, validation
from tracker.web.access import roles
from tracker.web.forms import filter_arg

bp = Blueprint("admin_audit", __name__, url_prefix="/admin/audit")
PAGE = 100


@bp.route("/")
@roles("admin")
def index() -> Any:
    """Audit events with filters and keyset paging (``before`` = the last id seen)."""
    db = get_session()
    events = audit.search(
        db,
        actor_id=filter_arg(inputs.id_param, "actor_id"),
        action=filter_arg(validation.filter_text, "action"),
        target_type=filter_arg(validation.filter_text, "target_type"),
        target_id=filter_arg(inputs.id_param, "target_id"),
        start=filter_arg(inputs.optional_date, "from"),
        end=filter_arg(inputs.optional_date, "to"),
        before_id=filter_arg(inputs.id_param, "before"),
        limit=PAGE + 1,
    )
    more = len(events) > PAGE
    events = events[:PAGE]
    people = {u.id: u for u in users.list_users(db)}
    return render_template(
        "admin_audit/index.html",
        events=events,
        people=people,
        more=more,
        args=request.args,
        next_before=events[-1].id if more else None,
    )
