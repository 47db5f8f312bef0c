"""The signed-in user's home: contractor dashboard, admin overview, payroll landing."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from sqlalchemy import select

from tracker.db import get_session
from tracker.models import Assignment, Project
from tracker.services import projects
from tracker.web.access import me, roles

bp = Blueprint("home", __name__)

# Extra panels feature areas add to a role's home: role → [callable(user) -> dict for template].
PANELS: dict[str, list[Any]] = {"contractor": [], "admin": [], "payroll": []}


def add_panel(role: str, builder: Any) -> None:
    """Register a function whose dict is merged into that role's home template context."""
    if builder not in PANELS[role]:
        PANELS[role].append(builder)


@bp.route("/")
@roles("contractor", "admin", "payroll")
def index() -> Any:
    """Home for the signed-in user's role."""
    user = me()
    db = get_session()
    context: dict[str, Any] = {}
    for builder in PANELS[user.role]:
        context.update(builder(user))
    if user.role == "contractor":
        rows = db.execute(
            select(Assignment, Project)
            .join(Project, Project.id == Assignment.project_id)
            .where(Assignment.user_id == user.id, Assignment.end_date.is_(None))
            .order_by(Project.code)
        )
        return render_template("home/contractor.html", assignments=list(rows), **context)
    if user.role == "admin":
        all_projects = projects.list_projects(db, user)
        counts = projects.active_counts(db, [p.id for p in all_projects])
        holds = projects.active_holds(db, [p.id for p in all_projects])
        by_status: dict[str, list[Project]] = {"open": [], "frozen": [], "closed": []}
        for project in all_projects:
            by_status[project.status].append(project)
        return render_template(
            "home/admin.html", by_status=by_status, counts=counts, holds=holds, **context
        )
    return render_template("home/payroll.html", **context)
