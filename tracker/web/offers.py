"""Reassignment pages: a held contractor's offers and one-click join; the admin's bulk move."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, SelectMultipleField, widgets
from wtforms.validators import DataRequired

from tracker.db import get_session, unit_of_work
from tracker.errors import DomainError
from tracker.models import Project
from tracker.services import projects, reassignment, users
from tracker.web.access import me, roles
from tracker.web.context import money
from tracker.web.forms import flash_error, flash_form_errors, person_choice

bp = Blueprint("offers", __name__)


def skip_reason(code: str, target: str, held: str) -> str:
    """Why a contractor was not moved, in words an admin reads at a glance."""
    if code == "project_full":
        return _("no seat left on %(target)s", target=target)
    if code == "already_assigned":
        return _("already on %(target)s", target=target)
    if code == "not_on_hold":
        return _("not on %(held)s any more", held=held)
    return code


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

    to_project_id = SelectField(_l("Move to"), coerce=int)
    who = RadioField(
        _l("Who to move"),
        choices=[
            SelectChoice("all", _l("Everyone on this project")),
            SelectChoice("chosen", _l("Only the ones ticked below")),
        ],
        default="all",
    )
    user_ids = MultiCheckboxField(_l("Contractors"), coerce=int)


def _target_choices(held: Project) -> list[tuple[int, str]]:
    """Open projects taking reassignments, with their free seats, for the move select."""
    choices = []
    for p, left in reassignment.move_targets(get_session(), held):
        if left is None:
            seats = _("no seat limit")
        elif left == 0:
            seats = _("full")
        else:
            seats = ngettext("%(num)d free seat", "%(num)d free seats", left)
        rate = money(p.hourly_rate, p.currency)
        choices.append(
            (
                p.id,
                _(
                    "%(code)s — %(name)s (%(seats)s, %(rate)s/h)",
                    code=p.code,
                    name=p.name,
                    seats=seats,
                    rate=rate,
                ),
            )
        )
    return choices


def move_form(held: Project) -> MoveForm:
    """The bulk-move form of a held project: where to, and who (its contractors now)."""
    form = MoveForm()
    form.to_project_id.choices = _target_choices(held)
    form.user_ids.choices = [person_choice(u) for u in reassignment.movable(get_session(), held)]
    return form


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
    offer = reassignment.offer(get_session(), me(), from_project_id, to_project_id)
    if offer is None:
        flash(
            _(
                "That project is not offered to you any more: it may have filled up or been put "
                "on hold, or your own project's hold may have ended. Here are the offers open now."
            ),
            "error",
        )
        return redirect(url_for("offers.index"))
    form = JoinForm(from_project_id=offer.from_project.id, to_project_id=offer.project.id)
    return render_template("offers/confirm.html", offer=offer, form=form)


@bp.route("/offers/join", methods=["POST"])
@roles("contractor")
def join() -> Any:
    """Join the confirmed project; the contractor can log time there at once."""
    form = JoinForm()
    if not form.validate_on_submit():
        flash(_("The request was not complete; choose the project again."), "error")
        return redirect(url_for("offers.index"))
    try:
        from_id, to_id = int(form.from_project_id.data), int(form.to_project_id.data)
    except (TypeError, ValueError):
        flash(_("The request was not complete; choose the project again."), "error")
        return redirect(url_for("offers.index"))
    try:
        with unit_of_work() as db:
            assignment = reassignment.accept(db, me(), from_project_id=from_id, to_project_id=to_id)
            project = projects.get_project(db, assignment.project_id)
    except DomainError as exc:
        flash_error(exc, _("You could not join: %(reason)s"))
        return redirect(url_for("offers.index"))
    flash(
        _(
            "You joined %(code)s — %(name)s. You can log hours on it now; you stay on your held "
            "project too.",
            code=project.code,
            name=project.name,
        ),
        "success",
    )
    return redirect(url_for("home.index"))


@bp.route("/admin/projects/<int:project_id>/reassign", methods=["POST"])
@roles("admin")
def admin_move(project_id: int) -> Any:
    """Move all or the chosen contractors of a held project to an open project, within seats."""
    db = get_session()
    held = projects.get_project(db, project_id)
    form = move_form(held)
    back = redirect(url_for("admin_projects.detail", project_id=project_id))
    if not form.validate_on_submit():
        flash_form_errors(form)
        return back
    chosen: list[int] | None = None
    if form.who.data == "chosen":
        chosen = list(form.user_ids.data or [])
        if not chosen:
            flash(_("Tick at least one contractor, or choose everyone."), "error")
            return back
    try:
        with unit_of_work() as db:
            target = projects.get_project(db, form.to_project_id.data)
            moved, skipped = reassignment.move(db, me(), held, target, chosen)
    except DomainError as exc:
        flash_error(exc, _("Nobody was moved: %(reason)s"))
        return back
    people = users.by_ids(db, moved + [s[0] for s in skipped])
    reasons = [
        (
            people.get(uid),
            uid,
            skip_reason(code, target.code, held.code),
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
