"""Folding a hold banner away once read, and opening it again: a form POST, no script needed.

The folded banners are a cookie of ids (``services.hold_banners``); only a banner the
contractor has now can be folded, so a banner changed since the page was drawn (a new update,
a new hold) stays open.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _

from tracker.db import get_session
from tracker.services import hold_banners, reassignment
from tracker.web.access import me, roles, safe_next
from tracker.web.context import banners, keyed
from tracker.web.forms import EmptyForm

bp = Blueprint("hold_banners", __name__, url_prefix="/hold-banners")


def _back() -> str:
    return safe_next(request.form.get("next"), url_for("home.index"))


def _store(value: str) -> Any:
    response = redirect(_back())
    response.set_cookie(
        hold_banners.COOKIE,
        value,
        max_age=hold_banners.COOKIE_DAYS * 86400,
        httponly=True,
        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]),
        samesite="Lax",
    )
    return response


@bp.post("/fold")
@roles("contractor")
def fold() -> Any:
    """Fold the banner away until its incident has a new update or a new hold."""
    if not EmptyForm().validate():
        flash(_("The form expired; the banner is still open. Try again."), "error")
        return redirect(_back())
    db = get_session()
    current = [b["key"] for b in keyed(db, banners(reassignment.held_assignments(db, me())))]
    key = request.form.get("key", "")
    if key not in current:
        # Changed since the page was drawn (or lifted): leave it open to be read.
        return redirect(_back())
    cookie = request.cookies.get(hold_banners.COOKIE)
    return _store(hold_banners.fold(cookie, key, current))


@bp.post("/unfold")
@roles("contractor")
def unfold() -> Any:
    """Show the banner in full again on every page."""
    if not EmptyForm().validate():
        flash(_("The form expired; try again."), "error")
        return redirect(_back())
    cookie = request.cookies.get(hold_banners.COOKIE)
    return _store(hold_banners.unfold(cookie, request.form.get("key", "")))
