"""Admin: projects — create, edit, close; the detail page with assignments and panels."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from tracker.clock import local_today
from tracker.db import get_session, unit_of_work
from tracker.errors import DomainError
from tracker.models import PROJECT_STATUSES, Project
from tracker.services import assignments, holds, projects, seats, users
from tracker.web import panels
from tracker.web.access import me, recent_login, roles
from tracker.web.forms import (
    TOO_LONG,
    EmptyForm,
    flash_error,
    flash_form_errors,
    person_choice,
    show_error,
)

bp = Blueprint("admin_projects", __name__, url_prefix="/admin/projects")


class ProjectForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=20, message=TOO_LONG)],
        description=_l("Short and upper-case, e.g. CHORDUS"),
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200, message=TOO_LONG)])
    client = StringField(_l("Client"), validators=[Length(max=200, message=TOO_LONG)])
    seats = StringField(
        _l("Seats"), description=_l("Most contractors at once; empty for unlimited")
    )
    skills = StringField(
        _l("Skills wanted"), description=_l("Comma-separated, e.g. python, security")
    )
    hourly_rate = StringField(
        _l("Hourly rate"), validators=[DataRequired()], description=_l("e.g. 45.00")
    )
    currency = StringField(
        _l("Currency"),
        default="EUR",
        validators=[DataRequired(), Length(max=3, message=TOO_LONG)],
        description=_l("ISO code, e.g. EUR, USD, GBP"),
    )
    open_to_reassignment = BooleanField(_l("Open to reassignment from held projects"), default=True)


class EditProjectForm(ProjectForm):
    """The edit form: code and currency are fixed once the project exists (shown, not sent)."""

    code = None
    currency = None


class AssignForm(FlaskForm):
    user_id = SelectField(_l("Contractor"), coerce=int)
    hourly_rate = StringField(
        _l("Rate override"),
        description=_l("Leave empty to use the contractor's default rate, else the project rate"),
    )
    start_date = DateField(
        _l("Start date"),
        validators=[Optional()],
        description=_l(
            "The first day they work on it; empty for today. Earlier days can be logged."
        ),
    )
    end_date = DateField(
        _l("End date"),
        validators=[Optional()],
        description=_l("Only for work that has already ended; empty while they are on it."),
    )


class AssignmentDatesForm(FlaskForm):
    start_date = DateField(_l("Start date"), validators=[DataRequired(_l("Give the start date."))])
    end_date = DateField(
        _l("End date"),
        validators=[Optional()],
        description=_l("Empty while they are on the project; not after today."),
    )


def _values(form: ProjectForm) -> dict[str, Any]:
    values = {
        "name": form.name.data,
        "client": form.client.data,
        "seats": form.seats.data,
        "skills": form.skills.data,
        "hourly_rate": form.hourly_rate.data,
        "open_to_reassignment": bool(form.open_to_reassignment.data),
    }
    if not isinstance(form, EditProjectForm):  # code and currency only when creating
        values.update(code=form.code.data, currency=form.currency.data)
    return values


@bp.route("/")
@roles("admin")
def index() -> Any:
    """Projects with status, seats taken and the hold in force."""
    db = get_session()
    status = request.args.get("status")
    items = projects.list_projects(db, me(), status if status in PROJECT_STATUSES else None)
    board = projects.board(db, items)
    return render_template(
        "admin_projects/index.html",
        projects=items,
        status=status,
        counts=board.taken,
        holds=board.holds,
    )


@bp.route("/new", methods=["GET", "POST"])
@roles("admin")
def new() -> Any:
    """Create a project."""
    form = ProjectForm()
    if form.validate_on_submit():
        try:
            with unit_of_work() as db:
                project = projects.create_project(db, me(), **_values(form))
        except DomainError as exc:
            show_error(form, exc)
        else:
            flash(_("Project %(code)s was created.", code=project.code), "success")
            return redirect(url_for("admin_projects.detail", project_id=project.id))
    return render_template("admin_projects/form.html", form=form, project=None)


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@roles("admin")
def edit(project_id: int) -> Any:
    """Change a project's details (its code and currency are shown, fixed)."""
    db = get_session()
    project = projects.get_project(db, project_id)
    form = EditProjectForm(obj=None if request.method == "POST" else project)
    if request.method == "GET":
        form.skills.data = ", ".join(project.skills)
        form.seats.data = "" if project.seats is None else str(project.seats)
        form.hourly_rate.data = f"{project.hourly_rate:.2f}"
    if form.validate_on_submit():
        try:
            with unit_of_work() as db:
                projects.update_project(db, me(), project, **_values(form))
        except DomainError as exc:
            show_error(form, exc)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin_projects.detail", project_id=project.id))
    return render_template("admin_projects/form.html", form=form, project=project)


def _assign_form(project: Project) -> AssignForm:
    db = get_session()
    form = AssignForm()
    on_it = {a.user_id for a in assignments.list_assignments(db, project=project) if a.is_active}
    form.user_id.choices = [
        person_choice(u)
        for u in users.list_users(db, "contractor")
        if u.active and u.id not in on_it
    ]
    return form


@bp.route("/<int:project_id>")
@roles("admin")
def detail(project_id: int) -> Any:
    """The project page: details, assignments, and the panels of other areas (holds, …)."""
    db = get_session()
    project = projects.get_project(db, project_id)
    people = assignments.list_assignments(db, project=project)
    return render_template(
        "admin_projects/detail.html",
        project=project,
        assignments=people,
        origin_codes=assignments.origin_codes(db, people),
        free_seats=seats.free_seats(db, project),
        hold=holds.active_hold(db, project),
        assign_form=_assign_form(project),
        action_form=EmptyForm(),
        panels=panels.project_page(project),
    )


@bp.route("/<int:project_id>/assign", methods=["POST"])
@roles("admin")
def assign(project_id: int) -> Any:
    """Put a contractor on the project."""
    db = get_session()
    project = projects.get_project(db, project_id)
    form = _assign_form(project)
    if form.validate_on_submit():
        try:
            with unit_of_work() as db:
                contractor = users.get_user(db, form.user_id.data)
                assignments.assign(
                    db,
                    me(),
                    project,
                    contractor,
                    hourly_rate=form.hourly_rate.data,
                    start_date=form.start_date.data,
                    end_date=form.end_date.data,
                )
        except DomainError as exc:
            flash_error(exc)
        else:
            flash(
                _("%(name)s is now on %(code)s.", name=contractor.name, code=project.code),
                "success",
            )
    else:
        flash_form_errors(form)
    return redirect(url_for("admin_projects.detail", project_id=project_id))


@bp.route("/assignments/<int:assignment_id>/dates", methods=["GET", "POST"])
@roles("admin")
def assignment_dates(assignment_id: int) -> Any:
    """Correct an assignment's start and end dates."""
    db = get_session()
    assignment = assignments.get_assignment(db, assignment_id)
    project = projects.get_project(db, assignment.project_id)
    contractor = users.get_user(db, assignment.user_id)
    form = AssignmentDatesForm(obj=None if request.method == "POST" else assignment)
    if form.validate_on_submit():
        try:
            with unit_of_work() as db:
                assignments.change_dates(
                    db,
                    me(),
                    assignments.get_assignment(db, assignment_id),
                    start_date=form.start_date.data,
                    end_date=form.end_date.data,
                )
        except DomainError as exc:
            show_error(form, exc)
        else:
            flash(
                _(
                    "The dates of %(name)s on %(code)s are saved.",
                    name=contractor.name,
                    code=project.code,
                ),
                "success",
            )
            return redirect(url_for("admin_projects.detail", project_id=project.id))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "admin_projects/assignment_dates.html",
        form=form,
        assignment=assignment,
        project=project,
        contractor=contractor,
    ), status


@bp.route("/assignments/<int:assignment_id>/end", methods=["GET", "POST"])
@roles("admin")
def end_assignment(assignment_id: int) -> Any:
    """Say what ending the assignment does, then end it today (entries are kept)."""
    db = get_session()
    assignment = assignments.get_assignment(db, assignment_id)
    back = redirect(url_for("admin_projects.detail", project_id=assignment.project_id))
    if request.method == "GET":
        if not assignment.is_active:
            flash(_("This assignment has already ended."), "info")
            return back
        contractor = users.get_user(db, assignment.user_id)
        return render_template(
            "admin_projects/end_assignment.html",
            assignment=assignment,
            project=projects.get_project(db, assignment.project_id),
            contractor=contractor,
            last_day=local_today(contractor),
            minutes=assignments.logged_minutes(db, assignment),
            action_form=EmptyForm(),
        )
    if EmptyForm().validate_on_submit():
        try:
            with unit_of_work() as db:
                assignments.end_assignment(db, me(), assignment)
        except DomainError as exc:
            flash_error(exc)
        else:
            flash(_("The assignment has ended; its entries are kept."), "success")
    return back


@bp.route("/<int:project_id>/close", methods=["GET", "POST"])
@roles("admin")
@recent_login
def close(project_id: int) -> Any:
    """Say what closing does, then close the project for good: no new time; history kept."""
    db = get_session()
    project = projects.get_project(db, project_id)
    back = redirect(url_for("admin_projects.detail", project_id=project_id))
    if request.method == "GET":
        if project.status == "closed":
            flash(_("Project %(code)s is closed already.", code=project.code), "info")
            return back
        people = [a for a in assignments.list_assignments(db, project=project) if a.is_active]
        return render_template(
            "admin_projects/close.html",
            project=project,
            people=people,
            hold=holds.active_hold(db, project),
            action_form=EmptyForm(),
        )
    if EmptyForm().validate_on_submit():
        try:
            with unit_of_work() as db:
                projects.update_project(db, me(), project, status="closed")
        except DomainError as exc:
            flash_error(exc)
        else:
            flash(_("Project %(code)s is closed.", code=project.code), "success")
    return back
