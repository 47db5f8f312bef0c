"""Reassignment pages: a held contractor's offers and one-click join; the admin's bulk move."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, SelectMultipleField, widgets
from wtforms.validators import DataRequired

from tracker.db import get_session, unit_of_work
from tracker.errors import DomainError
from tracker.models import Assignment, Project, User
from tracker.services import projects, reassignment
from tracker.web.access import me, roles
from tracker.web.admin_projects import add_detail_panel
from tracker.web.home import add_panel

bp = Blueprint("offers", __name__)

# Why a contractor was not moved, in words an admin reads at a glance.
SKIP_REASONS = {
    "project_full": "no seat left on {target}",
    "already_assigned": "already on {target}",
    "not_on_hold": "not on {held} any more",
}


class JoinForm(FlaskForm):
    """The confirmation's POST: which held project, which project to join."""

    from_project_id = HiddenField(validators=[DataRequired()])
    to_project_id = HiddenField(validators=[DataRequired()])


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes, one per choice."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class MoveForm(FlaskForm):
    """The admin's bulk move from a held project."""

    to_project_id = SelectField("Move to", coerce=int)
    who = RadioField(
        "Who",
        choices=[
            SelectChoice("all", "Everyone on this project"),
            SelectChoice("chosen", "Only the ones ticked below"),
        ],
        default="all",
    )
    user_ids = MultiCheckboxField("Contractors", coerce=int)


def _targets(db: Any, held: Project) -> list[tuple[int, str]]:
    """Open projects taking reassignments, with their free seats, for the move select."""
    items = [
        p
        for p in projects.list_projects(db, me(), "open")
        if p.open_to_reassignment and p.id != held.id
    ]
    counts = projects.active_counts(db, [p.id for p in items])
    choices = []
    for p in items:
        if p.seats is None:
            seats = "no seat limit"
        else:
            left = max(p.seats - counts.get(p.id, 0), 0)
            seats = "full" if left == 0 else f"{left} free seat{'s' if left != 1 else ''}"
        choices.append((p.id, f"{p.code} — {p.name} ({seats}, {p.hourly_rate:.2f} {p.currency}/h)"))
    return choices


def _contractors_on(db: Any, held: Project) -> list[tuple[int, str]]:
    rows = db.execute(
        select(User.id, User.name, User.email)
        .join(Assignment, Assignment.user_id == User.id)
        .where(
            Assignment.project_id == held.id,
            Assignment.end_date.is_(None),
            User.active.is_(True),
            User.role == "contractor",
        )
        .order_by(Assignment.id)
    )
    return [(uid, f"{name} <{email}>") for uid, name, email in rows]


def _move_form(held: Project) -> MoveForm:
    db = get_session()
    form = MoveForm()
    form.to_project_id.choices = _targets(db, held)
    form.user_ids.choices = _contractors_on(db, held)
    return form


def _origin_codes(db: Any, project: Project) -> dict[int, str]:
    """The codes of the projects this project's reassigned people came from, in one query."""
    rows = db.execute(
        select(Project.id, Project.code).where(
            Project.id.in_(
                select(Assignment.from_project_id).where(
                    Assignment.project_id == project.id, Assignment.from_project_id.is_not(None)
                )
            )
        )
    )
    return {int(pid): str(code) for pid, code in rows}


def _admin_panel(project: Project) -> dict[str, Any]:
    """The bulk-move panel on a held project's admin page (nothing when it is not held).

    It also loads, once, the codes the assignments table names (the ``project_code`` filter).
    """
    g.project_codes = {**g.get("project_codes", {}), **_origin_codes(get_session(), project)}
    hold = projects.active_holds(get_session(), [project.id]).get(project.id)
    if hold is None or project.status != "frozen":
        return {"show": False}
    return {"show": True, "hold": hold, "form": _move_form(project), "project": project}


def _dashboard_panel(user: User) -> dict[str, Any]:
    """The top offers on a held contractor's dashboard."""
    db = get_session()
    held = reassignment.held_assignments(db, user)
    if not held:
        return {}
    found = reassignment.offers(db, user)
    return {
        "offers_panels": ["offers/_dashboard_panel.html"],
        "offers_top": found[:3],
        "offers_total": len(found),
        "offers_held": held,
    }


@bp.app_template_filter("project_code")
def project_code(project_id: int | None) -> str:
    """A project's code from its id (the admin page names the project a reassignment came from)."""
    if project_id is None:
        return ""
    codes: dict[int, str] = g.setdefault("project_codes", {})  # the panel loaded the page's
    if project_id not in codes:
        project = get_session().get(Project, project_id)
        codes[project_id] = project.code if project is not None else f"#{project_id}"
    return codes[project_id]


add_panel("contractor", _dashboard_panel)
add_detail_panel("offers/_admin_move_panel.html", _admin_panel)


@bp.route("/offers")
@roles("contractor")
def index() -> Any:
    """Open projects the contractor can move to while their project is on hold, best first."""
    db = get_session()
    user = me()
    return render_template(
        "offers/index.html",
        offers=reassignment.offers(db, user),
        held=reassignment.held_assignments(db, user),
    )


@bp.route("/offers/<int:from_project_id>/<int:to_project_id>")
@roles("contractor")
def confirm(from_project_id: int, to_project_id: int) -> Any:
    """Confirm joining one offered project: both rates side by side, then one POST."""
    found = [o for o in reassignment.offers(get_session(), me()) if o.project.id == to_project_id]
    if not found:
        flash(
            "That project is not offered to you any more: it may have filled up or been put on "
            "hold, or your own project's hold may have ended. Here are the offers open now.",
            "error",
        )
        return redirect(url_for("offers.index"))
    offer = found[0]
    if offer.from_project.id != from_project_id:
        # On several held projects the offer compares with one of them; join from the one asked.
        held = [
            h
            for h in reassignment.held_assignments(get_session(), me())
            if h.project.id == from_project_id
        ]
        if held:
            offer = reassignment.Offer(
                from_project=held[0].project,
                hold=held[0].hold,
                project=offer.project,
                free_seats=offer.free_seats,
                matching_skills=offer.matching_skills,
                rate=offer.rate,
                held_rate=held[0].rate,
            )
    form = JoinForm(from_project_id=offer.from_project.id, to_project_id=offer.project.id)
    return render_template("offers/confirm.html", offer=offer, form=form)


@bp.route("/offers/join", methods=["POST"])
@roles("contractor")
def join() -> Any:
    """Join the confirmed project; the contractor can log time there at once."""
    form = JoinForm()
    if not form.validate_on_submit():
        flash("The request was not complete; choose the project again.", "error")
        return redirect(url_for("offers.index"))
    try:
        from_id, to_id = int(form.from_project_id.data), int(form.to_project_id.data)
    except (TypeError, ValueError):
        flash("The request was not complete; choose the project again.", "error")
        return redirect(url_for("offers.index"))
    try:
        with unit_of_work() as db:
            assignment = reassignment.accept(db, me(), from_project_id=from_id, to_project_id=to_id)
            project = db.get(Project, assignment.project_id)
            label = f"{project.code} — {project.name}" if project else "the project"
    except DomainError as exc:
        flash(f"You could not join: {exc.message}", "error")
        return redirect(url_for("offers.index"))
    flash(
        f"You joined {label}. You can log hours on it now; you stay on your held project too.",
        "success",
    )
    return redirect(url_for("home.index"))


@bp.route("/admin/projects/<int:project_id>/reassign", methods=["POST"])
@roles("admin")
def admin_move(project_id: int) -> Any:
    """Move all or the chosen contractors of a held project to an open project, within seats."""
    db = get_session()
    held = projects.get_project(db, project_id)
    form = _move_form(held)
    back = redirect(url_for("admin_projects.detail", project_id=project_id))
    if not form.validate_on_submit():
        for name, errors in form.errors.items():
            flash(f"{getattr(form, name).label.text}: {errors[0]}", "error")
        return back
    chosen: list[int] | None = None
    if form.who.data == "chosen":
        chosen = list(form.user_ids.data or [])
        if not chosen:
            flash("Tick at least one contractor, or choose everyone.", "error")
            return back
    try:
        with unit_of_work() as db:
            target = projects.get_project(db, form.to_project_id.data)
            moved, skipped = reassignment.move(db, me(), held, target, chosen)
    except DomainError as exc:
        flash(f"Nobody was moved: {exc.message}", "error")
        return back
    people = {
        u.id: u
        for u in db.scalars(select(User).where(User.id.in_(moved + [s[0] for s in skipped])))
    }
    reasons = [
        (
            people.get(uid),
            uid,
            SKIP_REASONS.get(code, code).format(target=target.code, held=held.code),
        )
        for uid, code in skipped
    ]
    return render_template(
        "offers/admin_move_result.html",
        held=held,
        target=target,
        moved=[people.get(uid) for uid in moved],
        skipped=reasons,
    )
