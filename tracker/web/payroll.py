"""Payroll pages (payroll role and admins): period form with preview, download, batches."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectChoice, SelectField
from wtforms.validators import Optional

from tracker.clock import local_today
from tracker.db import get_session, unit_of_work
from tracker.errors import DomainError, Invalid
from tracker.services import payroll, payroll_batches
from tracker.web import downloads
from tracker.web.access import me, recent_login, roles
from tracker.web.forms import flash_error, show_error

bp = Blueprint("payroll", __name__, url_prefix="/payroll")

PRESETS = [
    SelectChoice("last_month", "Last month"),
    SelectChoice("last_week", "Last week"),
    SelectChoice("this_month", "This month"),
    SelectChoice("custom", "Custom dates"),
]
STATUS_CHOICES = [
    SelectChoice("approved", "Approved only"),
    SelectChoice("all", "All submitted (approved and waiting)"),
]
LAYOUT_CHOICES = [
    SelectChoice("detail", "Detail: one row per entry"),
    SelectChoice("summary", "Summary: per contractor, project and rate"),
]


class ExportForm(FlaskForm):
    """The period form; read from the query string (a GET that changes nothing)."""

    class Meta:
        csrf = False

    preset = SelectField("Period", choices=PRESETS, default="last_month")
    start = DateField("From", validators=[Optional()], description="For custom dates.")
    end = DateField("To (inclusive)", validators=[Optional()])
    layout = SelectField("Layout", choices=LAYOUT_CHOICES, default="detail")
    status = SelectField("Entries", choices=STATUS_CHOICES, default="approved")
    bom = BooleanField("Add a byte-order mark (for Excel)")


class BatchForm(FlaskForm):
    """The confirmation that creates a batch."""

    start = HiddenField()
    end = HiddenField()
    status = HiddenField()


def preset_period(preset: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The dates of a named period around today (ISO weeks, calendar months)."""
    first_of_month = today.replace(day=1)
    if preset == "last_week":
        monday = today - dt.timedelta(days=today.weekday() + 7)
        return monday, monday + dt.timedelta(days=6)
    if preset == "last_month":
        last = first_of_month - dt.timedelta(days=1)
        return last.replace(day=1), last
    if preset == "this_month":
        next_month = (first_of_month + dt.timedelta(days=32)).replace(day=1)
        return first_of_month, next_month - dt.timedelta(days=1)
    return None


def _read_form() -> tuple[ExportForm, payroll.Scope | None]:
    """The period form from the query string, and its scope when it is valid."""
    form = ExportForm(request.args)
    form.validate()
    dates = preset_period(form.preset.data, local_today(me()))
    if dates is not None:
        form.start.data, form.end.data = dates
        for date_field in (form.start, form.end):
            date_field.errors, date_field.raw_data = [], []  # show the preset's dates
    if form.start.errors or form.end.errors:
        return form, None
    try:
        scope = payroll.make_scope(form.start.data, form.end.data, form.status.data)
        payroll.check_layout(form.layout.data)
    except Invalid as exc:
        show_error(form, exc)
        return form, None
    return form, scope


def _query(form: ExportForm) -> dict[str, Any]:
    return {
        "preset": "custom",
        "start": form.start.data.isoformat(),
        "end": form.end.data.isoformat(),
        "layout": form.layout.data,
        "status": form.status.data,
        "bom": "y" if form.bom.data else None,
    }


@bp.route("")
@roles("admin", "payroll")
def index() -> Any:
    """The period form and a preview of totals per currency and contractor before download."""
    form, scope = _read_form()
    preview = batchable = None
    if scope is not None:
        db = get_session()
        preview = payroll.totals(db, scope)
        batchable = payroll.count_entries(
            db, payroll.Scope(scope.start, scope.end, scope.status, unexported_only=True)
        )
    return render_template(
        "payroll/index.html",
        form=form,
        scope=scope,
        preview=preview,
        batchable=batchable,
        query=_query(form) if scope else None,
    )


@bp.route("/export.csv")
@roles("admin", "payroll")
@recent_login
def download() -> Any:
    """The CSV of the period, streamed row by row."""
    form, scope = _read_form()
    if scope is None:
        args: dict[str, Any] = request.args.to_dict()
        return redirect(url_for("payroll.index", **args))
    layout = payroll.check_layout(form.layout.data)
    return downloads.export_response(me(), scope, layout, bool(form.bom.data))


@bp.route("/batches")
@roles("admin", "payroll")
def batches() -> Any:
    """Every export batch: who, when, period, rows, totals and SHA-256."""
    return render_template(
        "payroll/batches.html", batches=payroll_batches.list_batches(get_session())
    )


@bp.route("/batches/new", methods=["GET", "POST"])
@roles("admin", "payroll")
@recent_login
def new_batch() -> Any:
    """Confirm the totals, then create a batch that marks its entries exported."""
    form = BatchForm(request.form if request.method == "POST" else request.args)
    try:
        scope = payroll.make_scope(form.start.data, form.end.data, form.status.data)
    except Invalid as exc:
        flash_error(exc)
        return redirect(url_for("payroll.index"))
    if request.method == "POST" and form.validate_on_submit():
        try:
            with unit_of_work() as db:
                batch = payroll_batches.create_batch(db, me(), scope.start, scope.end, scope.status)
        except DomainError as exc:
            flash_error(exc)
        else:
            totals = ", ".join(f"{amount} {currency}" for currency, amount in batch.totals.items())
            flash(
                f"Batch {batch.id} created: {batch.row_count} entries, {totals}. Its entries "
                "are now exported and locked.",
                "success",
            )
            return redirect(url_for("payroll.batches"))
    elif request.method == "POST":
        flash("The form expired; check the totals and confirm again.", "error")
    form.start.data, form.end.data = scope.start.isoformat(), scope.end.isoformat()
    form.status.data = scope.status
    preview = payroll.totals(
        get_session(), payroll.Scope(scope.start, scope.end, scope.status, unexported_only=True)
    )
    return render_template("payroll/confirm.html", form=form, scope=scope, preview=preview)


@bp.route("/batches/<int:batch_id>.csv")
@roles("admin", "payroll")
@recent_login
def batch_csv(batch_id: int) -> Any:
    """A batch's CSV again, byte for byte as it was created."""
    return downloads.batch_response(me(), batch_id)
