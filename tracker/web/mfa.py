"""Second factor pages: enrol TOTP (QR code as server-side SVG), recovery codes, sign-in step."""

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
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from tracker.db import get_session, unit_of_work
from tracker.errors import DomainError, RateLimited
from tracker.models import ROLES, User
from tracker.security import (
    login_settings,
    remember_device,
    second_step_user_id,
    start_session,
    trusted_device,
)
from tracker.services import mfa, passwords, users
from tracker.web.access import me, public, recent_login, roles, safe_next
from tracker.web.forms import TOO_LONG, flash_error, message, record, show_error

bp = Blueprint("mfa", __name__)
_EXEMPT = {
    "mfa.setup",
    "mfa.verify",
    "auth.logout",
    "static",
    "auth.login",
    "auth.reauth",  # enrolling needs a recent login; confirming the password must stay open
    "health.healthz",
    "health.readyz",
}


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code from your authenticator app"),
        validators=[DataRequired(), Length(max=20, message=TOO_LONG)],
        description=_l("Six digits, or one of your recovery codes"),
    )


class DisableForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired()])


@bp.route("/login/code", methods=["GET", "POST"])
@public
def verify() -> Any:
    """The second sign-in step: a TOTP code or a recovery code."""
    user_id = second_step_user_id()
    if user_id is None:
        session.clear()
        flash(_("Please sign in again."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        limits = login_settings()
        trusted = trusted_device()
        device = trusted[1] if trusted is not None and trusted[0] == user_id else None
        try:
            with unit_of_work() as db:
                user = users.signed_in(db, user_id, session.get("mfa_token"))
                ok = locked = False
                if user is not None:
                    ok = mfa.verify(
                        db,
                        user,
                        form.code.data or "",
                        request.remote_addr or "?",
                        device=device,
                        **limits,
                    )
                    locked = (
                        not ok
                        and mfa.failures(db, user, limits["window_seconds"], device)
                        >= limits["max_attempts"]
                    )
        except RateLimited as exc:
            record(exc)
            return _cancel(message(exc))
        if ok and user is not None:
            next_url = session.get("mfa_next")
            start_session(user)
            return remember_device(redirect(safe_next(next_url, url_for("home.index"))), user)
        if locked:
            return _cancel(str(mfa.TOO_MANY))
        form.code.errors = [_("That code is not right. Try the newest code in your app.")]
    return render_template("mfa/verify.html", form=form)


def _cancel(text: str) -> Any:
    """End the pending second step: the password must be entered again."""
    session.clear()
    flash(text, "error")
    return redirect(url_for("auth.login"))


@bp.route("/account/mfa", methods=["GET", "POST"])
@roles(*ROLES)
@recent_login
def setup() -> Any:
    """Enrol an authenticator app: scan the QR code, confirm with a code, keep recovery codes."""
    user = me()
    if user.totp_secret:
        return render_template("mfa/enabled.html", form=DisableForm())
    form = CodeForm()
    if form.validate_on_submit():
        try:
            with unit_of_work() as db:
                codes = mfa.enable(db, user, form.code.data or "")
        except DomainError as exc:
            show_error(form, exc)
        else:
            return render_template("mfa/recovery_codes.html", codes=codes)
    with unit_of_work() as db:
        secret = mfa.pending_secret(db, user)
    uri = mfa.provisioning_uri(user, secret)
    return render_template(
        "mfa/setup.html",
        form=form,
        secret=secret,
        qr=Markup(mfa.qr_svg(uri)),  # noqa: S704  (our own SVG markup, no user input in it)
        required=_required(user),
    )


@bp.route("/account/mfa/disable", methods=["POST"])
@roles(*ROLES)
@recent_login
def disable() -> Any:
    """Turn the second factor off (not allowed where it is required)."""
    user = me()
    if _required(user):
        flash(_("Your role must use a second factor; it cannot be turned off."), "error")
        return redirect(url_for("mfa.setup"))
    form = DisableForm()
    if form.validate_on_submit():
        checked = passwords.check(user.password_hash, form.password.data or "")  # no lock held
        with unit_of_work() as db:
            refusal = mfa.disable(
                db,
                user,
                checked,
                request.remote_addr or "?",
                **login_settings(),
            )
        if refusal is None:
            flash(_("The second factor is off."), "success")
        else:
            flash_error(refusal)
    return redirect(url_for("mfa.setup"))


def _required(user: User) -> bool:
    return mfa.required_for(user, bool(current_app.config["REQUIRE_MFA"]))


@bp.before_app_request
def _require_enrolment() -> Any:
    """With TRACKER_REQUIRE_MFA=1, admins and payroll must enrol before anything else."""
    if not current_app.config["REQUIRE_MFA"] or request.endpoint in _EXEMPT:
        return None
    if request.path.startswith("/api/") or not current_user.is_authenticated:
        return None
    user = current_user
    if _required(user) and not user.totp_secret:
        get_session()
        flash(_("Set up a second factor to continue; your role requires it."), "info")
        return redirect(url_for("mfa.setup"))
    return None
