"""Admin: the audit log, filtered by actor, action, object and date, newest first."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from tracker.db import get_session
from tracker.services import audit, audit_names, users
from tracker.web import args
from tracker.web.access import roles

bp = Blueprint("admin_audit", __name__, url_prefix="/admin/audit")
PAGE = 100


@bp.route("/")
@roles("admin")
def index() -> Any:
    """Audit events with filters and keyset paging (``before`` = the last id seen)."""
    db = get_session()
    events = audit.search(
        db,
        actor_id=args.whole("actor_id"),
        action=args.text("action"),
        target_type=args.text("target_type"),
        target_id=args.whole("target_id"),
        start=args.day("from"),
        end=args.day("to"),
        before_id=args.whole("before"),
        limit=PAGE + 1,
    )
    more = len(events) > PAGE
    events = events[:PAGE]
    people = {u.id: u for u in users.list_users(db)}
    return render_template(
        "admin_audit/index.html",
        events=events,
        described=audit_names.describe(db, events),
        object_types=audit_names.FILTER_TYPES,
        action_words=audit_names.ACTION_WORDS,
        people=people,
        more=more,
        args=request.args,
        next_before=events[-1].id if more else None,
    )
