"""Admin: the outbox (pending, sent and dead deliveries, retry a dead one) and webhooks."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.validators import Length

from tracker.db import get_session, unit_of_work
from tracker.errors import DomainError, Invalid
from tracker.services import inputs, outbox_admin, webhooks
from tracker.web.access import me, recent_login, roles, safe_next
from tracker.web.forms import TOO_LONG, EmptyForm, show_error

bp = Blueprint("admin_outbox", __name__, url_prefix="/admin")
PAGE = 100


class WebhookForm(FlaskForm):
    url = StringField(
        _l("URL"),
        validators=[Length(max=webhooks.URL_MAX, message=TOO_LONG)],
        description=_l("https://… on a public address; every delivery to it is signed."),
    )
    events = SelectMultipleField(
        _l("Events"),
        choices=[SelectChoice(e, e) for e in webhooks.EVENTS],
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
        validate_choice=False,  # the service names an unknown event in its own words
    )
    format = SelectField(
        _l("Format"),
        choices=[
            SelectChoice("standard", _l("Standard Webhooks (signed JSON)")),
            SelectChoice("slack", _l("Slack (a readable message)")),
        ],
        default="standard",
    )
    internal = BooleanField(
        _l("Internal: also send the hold's internal reason (only for your own incident tooling)")
    )


@bp.route("/outbox")
@roles("admin")
def index() -> Any:
    """Deliveries newest first, by status, with the last error; dead ones can be retried."""
    db = get_session()
    status = request.args.get("status") or None
    before = request.args.get("before", "")
    try:
        items = outbox_admin.list_deliveries(
            db,
            status=status,
            before_id=inputs.id_or_none(before),
            limit=PAGE + 1,
        )
    except Invalid:
        return redirect(url_for("admin_outbox.index"))
    more = len(items) > PAGE
    items = items[:PAGE]
    return render_template(
        "admin_outbox/index.html",
        items=items,
        status=status,
        counts=outbox_admin.counts(db),
        shown=outbox_admin.shown_recipient,
        next_before=items[-1].id if more else None,
        form=EmptyForm(),
    )


@bp.route("/outbox/<int:delivery_id>/retry", methods=["POST"])
@roles("admin")
def retry(delivery_id: int) -> Any:
    """Send a dead delivery again."""
    if EmptyForm().validate_on_submit():
        try:
            with unit_of_work() as db:
                outbox_admin.retry(db, me(), delivery_id)
        except DomainError as exc:
            if exc.status == 404:
                raise
            flash(exc.message, "error")
        else:
            flash(
                _("Delivery %(id)s is pending again and goes out shortly.", id=delivery_id),
                "success",
            )
    back = url_for("admin_outbox.index", status="dead")
    return redirect(safe_next(request.form.get("back"), back))


def _webhooks_page(form: WebhookForm, status: int = 200, **extra: Any) -> Any:
    return render_template(
        "admin_outbox/webhooks.html",
        form=form,
        endpoints=webhooks.list_endpoints(get_session()),
        action_form=EmptyForm(),
        **extra,
    ), status


@bp.route("/webhooks")
@roles("admin")
def webhook_list() -> Any:
    """The webhook endpoints, and the form to add one."""
    return _webhooks_page(WebhookForm())


@bp.route("/webhooks", methods=["POST"])
@roles("admin")
@recent_login
def webhook_create() -> Any:
    """Register an endpoint; its secret is shown on this page once."""
    form = WebhookForm()
    if form.validate_on_submit():
        try:
            with unit_of_work() as db:
                endpoint, secret = webhooks.register(
                    db,
                    me(),
                    url=form.url.data,
                    events=list(form.events.data or []),
                    format=form.format.data,
                    internal=bool(form.internal.data),
                )
        except DomainError as exc:
            show_error(form, exc)
        else:
            return _webhooks_page(WebhookForm(formdata=None), new=(endpoint, secret))
    return _webhooks_page(form, 422)


@bp.route("/webhooks/<int:webhook_id>/delete", methods=["POST"])
@roles("admin")
@recent_login
def webhook_delete(webhook_id: int) -> Any:
    """Remove an endpoint (someone else's is not a thing: any admin manages them all)."""
    if EmptyForm().validate_on_submit():
        with unit_of_work() as db:
            webhooks.remove(db, me(), webhook_id)
        flash(_("The webhook endpoint is removed; nothing more is sent to it."), "success")
    return redirect(url_for("admin_outbox.webhook_list"))
