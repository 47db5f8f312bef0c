"""Account: change your password, timezone and language, manage your API tokens."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_babel import refresh as refresh_locale
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from tracker.db import get_session, unit_of_work
from tracker.errors import DomainError
from tracker.models import LANGUAGES, ROLES
from tracker.security import start_session
from tracker.services import passwords, reminders, tokens, users, validation
from tracker.web.access import me, recent_login, roles
from tracker.web.forms import TOO_LONG, EmptyForm, show_error

bp = Blueprint("account", __name__, url_prefix="/account")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=passwords.MAX_LENGTH, message=TOO_LONG)],
        description=_l("At least %(num)d characters.", num=passwords.MIN_LENGTH),
    )


class TokenForm(FlaskForm):
    name = StringField(
        _l("Token name"),
        validators=[DataRequired(), Length(max=100, message=TOO_LONG)],
        description=_l("What the token is for, e.g. 'laptop script'"),
    )


class TimezoneForm(FlaskForm):
    timezone = SelectField(
        _l("Your timezone"),
        description=_l("Your work dates, 'today' and every time on these pages follow it."),
    )


def _timezone_form(data: dict[str, Any] | None = None) -> TimezoneForm:
    form = TimezoneForm(prefix="tz", data=data)
    form.timezone.choices = validation.timezones()
    return form


class LanguageForm(FlaskForm):
    # Any value reaches the users service, which turns an unknown code into the default.
    language = SelectField(
        _l("Language"),
        description=_l("The language of your pages. Automatic follows your browser."),
        validate_choice=False,
    )


def _language_form(data: dict[str, Any] | None = None) -> LanguageForm:
    form = LanguageForm(prefix="lg", data=data)
    form.language.choices = [("", _("Automatic (your browser's language)")), *LANGUAGES.items()]
    return form


class RemindersForm(FlaskForm):
    reminders = BooleanField(_l("Weekly reminder"))


def _reminders_form() -> RemindersForm:
    form = RemindersForm(prefix="rm", data={"reminders": me().reminders})
    hours = current_app.config["REMINDER_MIN_HOURS"]
    form.reminders.label.text = ngettext(
        "Email me a weekly reminder when I logged fewer than %(num)d hour the week before",
        "Email me a weekly reminder when I logged fewer than %(num)d hours the week before",
        hours,
    )
    return form


def _page(**extra: Any) -> Any:
    return render_template(
        "account/index.html",
        password_form=extra.pop("password_form", ChangePasswordForm(prefix="pw")),
        token_form=extra.pop("token_form", TokenForm(prefix="tk")),
        tokens=tokens.list_tokens(get_session(), me()),
        action_form=EmptyForm(),
        reminders_form=_reminders_form(),
        timezone_form=extra.pop("timezone_form", None)
        or _timezone_form({"timezone": me().timezone}),
        language_form=_language_form({"language": me().language or ""}),
        **extra,
    )


@bp.route("/")
@roles(*ROLES)
def index() -> Any:
    """Your account."""
    return _page()


@bp.route("/password", methods=["POST"])
@roles(*ROLES)
@recent_login
def password() -> Any:
    """Change your password; other sessions end, this one continues with a new id."""
    form = ChangePasswordForm(prefix="pw")
    if form.validate_on_submit():
        try:
            user = me()
            # Both hashings before the write lock: the check of the current password, the new one.
            current = passwords.check(user.password_hash, form.current_password.data or "")
            new = passwords.prepare(form.new_password.data or "")
            with unit_of_work() as db:
                users.change_own_password(db, user, current, new)
        except DomainError as exc:
            show_error(form, exc, {"password": "new_password"})
        else:
            start_session(user)
            flash(_("Your password is changed. Other sessions were signed out."), "success")
            return redirect(url_for("account.index"))
    return _page(password_form=form), 422


@bp.route("/tokens", methods=["POST"])
@roles(*ROLES)
@recent_login
def create_token() -> Any:
    """Create an API token; its secret is shown once."""
    form = TokenForm(prefix="tk")
    if form.validate_on_submit():
        try:
            with unit_of_work() as db:
                _token, raw = tokens.create_token(db, me(), me(), form.name.data or "")
        except DomainError as exc:
            show_error(form, exc)
        else:
            return _page(new_token=raw)
    return _page(token_form=form), 422


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@roles(*ROLES)
def revoke_token(token_id: int) -> Any:
    """Revoke one of your tokens (someone else's answers 404)."""
    if EmptyForm().validate_on_submit():
        with unit_of_work() as db:
            tokens.revoke_token(db, me(), token_id)
        flash(_("The token is revoked."), "success")
    return redirect(url_for("account.index"))


@bp.route("/timezone", methods=["POST"])
@roles(*ROLES)
def set_timezone() -> Any:
    """Set your own timezone."""
    form = _timezone_form()
    if form.validate_on_submit():
        try:
            with unit_of_work() as db:
                user = users.set_own_timezone(db, me(), form.timezone.data)
        except DomainError as exc:
            show_error(form, exc)
        else:
            flash(_("Your timezone is %(zone)s.", zone=user.timezone), "success")
            return redirect(url_for("account.index"))
    return _page(timezone_form=form), 422


@bp.route("/reminders", methods=["POST"])
@roles("contractor")
def set_reminders() -> Any:
    """Turn the weekly missing-hours reminder on or off (hold notices are always emailed)."""
    form = RemindersForm(prefix="rm")
    if form.validate_on_submit():
        with unit_of_work() as db:
            reminders.set_reminders(db, me(), bool(form.reminders.data))
        flash(
            _("Weekly reminders are on.")
            if form.reminders.data
            else _("Weekly reminders are off."),
            "success",
        )
    return redirect(url_for("account.index"))


@bp.route("/language", methods=["POST"])
@roles(*ROLES)
def set_language() -> Any:
    """Pick the language of your pages, or follow the browser's."""
    form = _language_form()
    if form.validate_on_submit():
        with unit_of_work() as db:
            users.set_own_language(db, me(), form.language.data)
        refresh_locale()  # the confirmation already speaks the language just picked
        flash(_("Your language is saved."), "success")
        return redirect(url_for("account.index"))
    return _page(), 422
