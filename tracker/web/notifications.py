"""Notifications for every role: the list, and marking them read (own notifications only)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import ngettext

from tracker.db import get_session, unit_of_work
from tracker.models import ROLES
from tracker.services import notifications
from tracker.web.access import me, roles
from tracker.web.forms import EmptyForm

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("")
@roles(*ROLES)
def index() -> Any:
    """Your notifications, newest first, unread ones marked."""
    items = notifications.list_for(get_session(), me())
    return render_template(
        "notifications/index.html",
        items=items,
        describe=notifications.describe,  # each in the reader's language
        form=EmptyForm(),
        any_unread=any(n.read_at is None for n in items),
    )


@bp.route("/<int:notification_id>/read", methods=["POST"])
@roles(*ROLES)
def mark_read(notification_id: int) -> Any:
    """Mark one of your notifications read (someone else's answers 404)."""
    if EmptyForm().validate_on_submit():
        with unit_of_work() as db:
            note = notifications.get_for(db, me(), notification_id)
            notifications.mark_read(db, me(), [note.id])
    return redirect(url_for("notifications.index"))


@bp.route("/read-all", methods=["POST"])
@roles(*ROLES)
def mark_all_read() -> Any:
    """Mark all of your notifications read."""
    if EmptyForm().validate_on_submit():
        with unit_of_work() as db:
            count = notifications.mark_read(db, me())
        flash(
            ngettext(
                "Marked %(num)d notification as read.",
                "Marked %(num)d notifications as read.",
                count,
            ),
            "success",
        )
    return redirect(url_for("notifications.index"))
