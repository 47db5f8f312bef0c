"""Admin: users — create contractors, admins and payroll users; disable; reset passwords."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from tracker.db import get_session, unit_of_work
from tracker.errors import DomainError
from tracker.models import ROLES
from tracker.services import assignments, notices, users, validation
from tracker.web.access import me, recent_login, roles
from tracker.web.forms import TOO_LONG, EmptyForm, flash_error, show_error

bp = Blueprint("admin_users", __name__, url_prefix="/admin/users")

# Each role in words: one person of it, and the list filter of it.
ROLE_LABELS = {
    "contractor": (_l("Contractor"), _l("Contractors")),
    "admin": (_l("Admin"), _l("Admins")),
    "payroll": (_l("Payroll"), _l("Payroll")),
}


class UserForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254, message=TOO_LONG)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200, message=TOO_LONG)])
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(role, ROLE_LABELS[role][0]) for role in ROLES],
        default="contractor",
    )
    timezone = SelectField(_l("Timezone"), default="UTC")
    skills = StringField(
        _l("Skills"), description=_l("Comma-separated, e.g. python, security, sql")
    )
    hourly_rate = StringField(
        _l("Default hourly rate"),
        description=_l(
            "e.g. 45.00; used on new assignments without their own rate (the project's "
            "currency); leave empty to use the project rate"
        ),
    )


class EditUserForm(UserForm):
    email = None  # emails are fixed once created


def _with_timezones(form: UserForm) -> UserForm:
    form.timezone.choices = validation.timezones()
    return form


def _link(token: str) -> str:
    return url_for("auth.setup_link", token=token, _external=True)


@bp.route("/")
@roles("admin")
def index() -> Any:
    """Every user with role, status and last sign-in."""
    role = request.args.get("role") or None
    return render_template(
        "admin_users/index.html",
        users=users.list_users(get_session(), role if role in ROLES else None),
        role=role,
        role_filters=[(None, _("All")), *((r, ROLE_LABELS[r][1]) for r in ROLES)],
        role_names={r: ROLE_LABELS[r][0] for r in ROLES},
        form=EmptyForm(),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles("admin")
@recent_login
def new() -> Any:
    """Create a user; they get a one-time link to set their own password."""
    form = _with_timezones(UserForm())
    if form.validate_on_submit():
        try:
            with unit_of_work() as db:
                user = users.create_user(
                    db,
                    me(),
                    email=form.email.data,
                    name=form.name.data,
                    role=form.role.data,
                    timezone=form.timezone.data,
                    skills=form.skills.data,
                    hourly_rate=form.hourly_rate.data,
                )
                token = notices.email_setup_link(
                    db, me(), user, "welcome", current_app.config["SETUP_LINK_HOURS"]
                )
        except DomainError as exc:
            show_error(form, exc)
        else:
            flash(
                _(
                    "%(name)s was created and emailed a one-time link to set their password "
                    "(%(email)s). If the email does not arrive, send them this link yourself: "
                    "%(link)s",
                    name=user.name,
                    email=user.email,
                    link=_link(token),
                ),
                "success",
            )
            return redirect(url_for("admin_users.detail", user_id=user.id))
    return render_template("admin_users/form.html", form=form, user=None)


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@roles("admin")
@recent_login
def detail(user_id: int) -> Any:
    """A user's details (editable) and their assignments."""
    db = get_session()
    user = users.get_user(db, user_id)
    form = _with_timezones(EditUserForm(obj=None if request.method == "POST" else user))
    if request.method == "GET":
        form.skills.data = ", ".join(user.skills)
        form.hourly_rate.data = f"{user.hourly_rate:.2f}" if user.hourly_rate is not None else ""
    if form.validate_on_submit():
        try:
            with unit_of_work() as db:
                users.update_user(
                    db,
                    me(),
                    user,
                    name=form.name.data,
                    role=form.role.data,
                    timezone=form.timezone.data,
                    skills=form.skills.data,
                    hourly_rate=form.hourly_rate.data,
                )
        except DomainError as exc:
            show_error(form, exc)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin_users.detail", user_id=user.id))
    return render_template(
        "admin_users/form.html",
        form=form,
        user=user,
        assignments=assignments.list_assignments(db, user=user),
        action_form=EmptyForm(),
        role_names={r: ROLE_LABELS[r][0] for r in ROLES},
    )


@bp.route("/<int:user_id>/<any(disable, enable, reset, signout):action>", methods=["POST"])
@roles("admin")
@recent_login
def act(user_id: int, action: str) -> Any:
    """Disable or enable a user, send a password-reset link, or end all their sessions."""
    if not EmptyForm().validate_on_submit():
        flash(_("The form expired; try again."), "error")
        return redirect(url_for("admin_users.detail", user_id=user_id))
    try:
        with unit_of_work() as db:
            user = users.get_user(db, user_id)
            if action in ("disable", "enable"):
                users.update_user(db, me(), user, active=action == "enable")
                message = (
                    _("%(name)s is now active.", name=user.name)
                    if user.active
                    else _("%(name)s is now disabled.", name=user.name)
                )
            elif action == "reset":
                token = notices.email_setup_link(
                    db, me(), user, "reset", current_app.config["SETUP_LINK_HOURS"]
                )
                message = _(
                    "A password reset link was emailed to %(email)s. If it does not arrive, "
                    "send %(name)s this link yourself (one use): %(link)s",
                    email=user.email,
                    name=user.name,
                    link=_link(token),
                )
            else:
                revoke = bool(request.form.get("revoke_tokens"))
                users.end_sessions(db, me(), user, revoke_tokens=revoke)
                message = (
                    _(
                        "%(name)s is signed out everywhere; their API tokens are revoked.",
                        name=user.name,
                    )
                    if revoke
                    else _("%(name)s is signed out everywhere.", name=user.name)
                )
    except DomainError as exc:
        flash_error(exc)
    else:
        flash(message, "success")
    return redirect(url_for("admin_users.detail", user_id=user_id))
