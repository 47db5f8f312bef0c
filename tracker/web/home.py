"""The signed-in user's home: contractor dashboard, admin overview, payroll landing."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from tracker.db import get_session
from tracker.models import ROLES
from tracker.services import assignments, projects
from tracker.web import panels
from tracker.web.access import me, roles

bp = Blueprint("home", __name__)


@bp.route("/")
@roles(*ROLES)
def index() -> Any:
    """Home for the signed-in user's role."""
    user = me()
    db = get_session()
    if user.role == "contractor":
        return render_template(
            "home/contractor.html",
            assignments=assignments.current_assignments(db, user),
            **panels.contractor_home(user),
        )
    if user.role == "admin":
        board = projects.board(db, projects.list_projects(db, user))
        return render_template(
            "home/admin.html",
            by_status=board.by_status(),
            counts=board.taken,
            **panels.admin_home(user),
        )
    return render_template("home/payroll.html", **panels.payroll_home(user))
