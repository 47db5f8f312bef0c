"""Sign in, sign out, re-enter the password, and one-time setup links."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from tracker.db import begin_read, get_session, unit_of_work
from tracker.errors import DomainError, NotFound, RateLimited, Unauthorized
from tracker.models import ROLES, User
from tracker.security import (
    audit_due,
    begin_second_step,
    login_settings,
    mark_recent_login,
    remember_device,
    slow_down,
    start_session,
    trusted_device,
)
from tracker.services import auth as auth_service
from tracker.services import passwords, users, validation
from tracker.web.access import me, public, roles, safe_next
from tracker.web.forms import TOO_LONG, flash_error, message, plain_text, show_error

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), plain_text(254)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=1024, message=TOO_LONG)]
    )


class PasswordForm(FlaskForm):
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=passwords.MAX_LENGTH, message=TOO_LONG)],
        description=_l(
            "At least %(num)d characters. A long phrase is best.", num=passwords.MIN_LENGTH
        ),
    )


class FirstAdminForm(PasswordForm):
    name = StringField(
        _l("Your name"), validators=[DataRequired(), Length(max=200, message=TOO_LONG)]
    )
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254, message=TOO_LONG)])
    timezone = SelectField(_l("Timezone"), default="UTC")


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    """The sign-in form; the same answer for an unknown email and a wrong password."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    status = 200
    headers: dict[str, str] = {}
    if form.validate_on_submit():
        # Reads and the password's hashing first, with no write lock held (anyone can post
        # here, as often as they like); then one short write of what it means.
        db = begin_read()
        delay = auth_service.login_delay(db, form.email.data or "", **login_settings())
        attempt = auth_service.check_sign_in(
            db,
            form.email.data or "",
            form.password.data or "",
            request.remote_addr or "?",
            device=trusted_device(),
            **login_settings(),
        )
        outcome: User | DomainError
        if attempt.throttled and not audit_due("login-throttled", attempt.email, attempt.address):
            outcome = auth_service.throttled(attempt)  # refused again: nothing more to write
        else:
            with unit_of_work() as db:
                outcome = auth_service.record_sign_in(db, attempt)
        # Many failures from many addresses: a wrong password's answer is slowed down (never a
        # right one: the owner is not held up, nor a refusal that checked no password).
        if delay and isinstance(outcome, Unauthorized) and not slow_down(delay):
            outcome = RateLimited(str(auth_service.TOO_MANY), retry_after=max(1, round(delay)))
        if isinstance(outcome, DomainError):
            flash_error(outcome)
            status = 401
            if isinstance(outcome, RateLimited):
                status = 429
                headers["Retry-After"] = str(outcome.retry_after)
        elif outcome.totp_secret:
            begin_second_step(outcome, request.args.get("next"))
            return redirect(url_for("mfa.verify"))
        else:
            start_session(outcome)
            target = safe_next(request.args.get("next"), url_for("home.index"))
            return remember_device(redirect(target), outcome)
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status, headers


@bp.route("/logout", methods=["POST"])
@roles(*ROLES)
def logout() -> Any:
    """Sign out and end this user's sessions everywhere (the old cookie stops working); with
    ``revoke_tokens`` ticked, the user's API tokens stop working too."""
    revoke = bool(request.form.get("revoke_tokens"))
    with unit_of_work() as db:
        user = me()
        users.end_sessions(db, user, user, revoke_tokens=revoke)
    logout_user()
    session.clear()
    flash(
        _("You are signed out everywhere, and your API tokens are revoked.")
        if revoke
        else _("You are signed out everywhere."),
        "info",
    )
    return redirect(url_for("auth.login"))


@bp.route("/reauth", methods=["GET", "POST"])
@roles(*ROLES)
def reauth() -> Any:
    """Confirm the password before a sensitive action (freeze, payroll, user admin)."""
    form = PasswordForm()
    if form.validate_on_submit():
        checked = passwords.check(me().password_hash, form.password.data or "")  # no lock held
        with unit_of_work() as db:
            refusal = auth_service.reauthenticate(
                db, me(), checked, request.remote_addr or "?", **login_settings()
            )
        if refusal is None:
            mark_recent_login()
            return redirect(safe_next(request.args.get("next"), url_for("home.index")))
        if isinstance(refusal, RateLimited):
            flash_error(refusal)
            response = current_app.make_response(
                (render_template("auth/reauth.html", form=form), 429)
            )
            response.headers["Retry-After"] = str(refusal.retry_after)
            return response
        show_error(form, refusal)
    return render_template("auth/reauth.html", form=form)


SETUP_TOKEN = "setup_token"  # noqa: S105 - a session key: the link's token, off the URL


@bp.route("/setup/<token>", methods=["GET", "POST"])
@public
def setup_link(token: str) -> Any:
    """A one-time link as sent: keep its token in the session and go on to /setup.

    The token then leaves the address bar, the browser history and the access log of every
    later request (the form posts to /setup). A POST here still works, for scripts.
    """
    if request.method == "POST":
        return _setup(token)
    try:
        users.find_setup_link(get_session(), token)
    except NotFound as exc:
        return render_template("auth/link_used.html", message=message(exc)), 404
    session[SETUP_TOKEN] = token
    return redirect(url_for("auth.setup"), 303)


@bp.route("/setup", methods=["GET", "POST"])
@public
def setup() -> Any:
    """Create the first admin, or set a password for a new or reset account."""
    token = session.get(SETUP_TOKEN)
    if not token:
        message = _("Open the link you were sent again; this page needs it.")
        return render_template("auth/link_used.html", message=message), 404
    return _setup(token)


def _setup(token: str) -> Any:
    db = begin_read()  # anyone with a link posts here: the new password is hashed before the lock
    try:
        link = users.find_setup_link(db, token)
    except NotFound as exc:
        session.pop(SETUP_TOKEN, None)
        return render_template("auth/link_used.html", message=message(exc)), 404
    first_admin = link.user_id is None
    form: PasswordForm = FirstAdminForm() if first_admin else PasswordForm()
    if isinstance(form, FirstAdminForm):
        form.timezone.choices = validation.timezones()
    if form.validate_on_submit():
        try:
            password = passwords.prepare(form.password.data or "")  # hashed before the lock
            with unit_of_work() as db:
                extra = (
                    {
                        "email": form.email.data,
                        "name": form.name.data,
                        "timezone": form.timezone.data,
                    }
                    if isinstance(form, FirstAdminForm)
                    else {}
                )
                user = users.use_setup_link(db, token, password, **extra)
        except DomainError as exc:
            show_error(form, exc)
        else:
            if user.totp_secret:  # a link proves the mailbox, never the second factor
                begin_second_step(user, None)  # a fresh session: the token goes with the old one
                flash(_("Your password is set. Enter a code from your app to sign in."), "success")
                return redirect(url_for("mfa.verify"))
            start_session(user)  # a fresh session: the token goes with the old one
            flash(
                _("Your admin account is ready. Next: create a project, then add contractors.")
                if first_admin
                else _("Your password is set. Welcome!"),
                "success",
            )
            return redirect(url_for("home.index"))
    return render_template("auth/setup.html", form=form, first_admin=first_admin)
