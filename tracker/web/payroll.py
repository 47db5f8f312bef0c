"""Payroll pages (payroll role and admins): period form with preview, downloads in any format
and profile, batches."""

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
from flask_babel import LazyString, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectChoice, SelectField
from wtforms.validators import Optional

from tracker.clock import local_today
from tracker.db import get_session, unit_of_work
from tracker.errors import DomainError, Forbidden, Invalid
from tracker.models import User
from tracker.services import payroll, payroll_batches, payroll_profiles
from tracker.services.payroll_profiles import FileSpec
from tracker.web import downloads
from tracker.web.access import me, recent_login, roles
from tracker.web.context import money
from tracker.web.forms import flash_error, show_error

bp = Blueprint("payroll", __name__, url_prefix="/payroll")

PRESETS = [
    SelectChoice("last_month", _l("Last month")),
    SelectChoice("last_week", _l("Last week")),
    SelectChoice("this_month", _l("This month")),
    SelectChoice("custom", _l("Custom dates")),
]
STATUS_CHOICES = [
    SelectChoice("approved", _l("Approved only")),
    SelectChoice("all", _l("All submitted (approved and waiting)")),
]
LAYOUT_CHOICES = [
    SelectChoice("detail", _l("Detail: one row per entry")),
    SelectChoice("summary", _l("Summary: per contractor, project and rate")),
]


# The select shows each profile's name (a phone cannot show a long option whole); the form's
# help beside it says what the chosen one holds.
def _profile_name(label: Any) -> str:
    return str(label).split(":", 1)[0]


PROFILE_CHOICES = [
    SelectChoice(profile.name, LazyString(_profile_name, profile.label))
    for profile in payroll_profiles.PROFILES.values()
]
PROFILE_DETAILS = {profile.name: profile.label for profile in payroll_profiles.PROFILES.values()}
FORMAT_CHOICES = [
    SelectChoice("csv", "CSV"),
    SelectChoice("xlsx", _l("XLSX (Excel workbook)")),
]


class FileForm(FlaskForm):
    """Which file: profile, layout, format. The service checks the choices and says which exist
    (``validate_choice=False``: one message, the service's)."""

    class Meta:
        csrf = False

    layout = SelectField(
        _l("Layout"), choices=LAYOUT_CHOICES, default="detail", validate_choice=False
    )
    profile = SelectField(
        _l("Profile"),
        choices=PROFILE_CHOICES,
        default=payroll_profiles.DEFAULT,
        validate_choice=False,
        description=_l("For a spreadsheet in your locale, or the import of a payroll system."),
    )
    format = SelectField(_l("Format"), choices=FORMAT_CHOICES, default="csv", validate_choice=False)
    bom = BooleanField(
        _l("Excel-friendly file"),
        description=_l("So Excel shows accents and symbols in names correctly (CSV only)."),
    )


class ExportForm(FileForm):
    """The period form; read from the query string (a GET that changes nothing)."""

    preset = SelectField(_l("Period"), choices=PRESETS, default="last_month")
    start = DateField(_l("From"), validators=[Optional()], description=_l("For custom dates."))
    end = DateField(_l("To (inclusive)"), validators=[Optional()])
    status = SelectField(_l("Entries"), choices=STATUS_CHOICES, default="approved")


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


RECENT_BATCHES = 5


def landing(user: User) -> dict[str, Any]:
    """The payroll landing: last month's next step, and the latest batches."""
    db = get_session()
    end = local_today(user).replace(day=1) - dt.timedelta(days=1)  # as the preset has it
    start = end.replace(day=1)
    ready = payroll.count_entries(db, payroll.Scope(start, end, "approved", unexported_only=True))
    unexported = payroll.count_entries(db, payroll.Scope(start, end, "all", unexported_only=True))
    return {
        "payroll_panels": ["payroll/_home_panel.html"],
        "last_month": {"start": start, "end": end, "ready": ready, "waiting": unexported - ready},
        "recent_batches": payroll_batches.list_batches(db, RECENT_BATCHES),
    }


def _file_spec(form: FileForm, fmt: str | None = None) -> FileSpec | None:
    """The file the form asks for (``fmt`` from the address wins), or None with field errors.

    The profile's help says what the chosen profile holds.
    """
    chosen = PROFILE_DETAILS.get(form.profile.data or payroll_profiles.DEFAULT)
    if chosen:
        form.profile.description = f"{chosen}. {form.profile.description}"  # two sentences
    try:
        return payroll_profiles.check_file(
            form.profile.data, form.layout.data, fmt or form.format.data, bool(form.bom.data)
        )
    except Invalid as exc:
        show_error(form, exc)
        return None


def _read_form(fmt: str | None = None) -> tuple[ExportForm, payroll.Scope | None, FileSpec | None]:
    """The period form from the query string, with its scope and file when they are valid."""
    form = ExportForm(request.args)
    form.validate()
    dates = preset_period(form.preset.data, local_today(me()))
    if dates is not None:
        form.start.data, form.end.data = dates
        for date_field in (form.start, form.end):
            date_field.errors, date_field.raw_data = [], []  # show the preset's dates
    spec = _file_spec(form, fmt)
    if form.start.errors or form.end.errors:
        return form, None, spec
    try:
        scope = payroll.make_scope(form.start.data, form.end.data, form.status.data)
    except Invalid as exc:
        show_error(form, exc)
        return form, None, spec
    return form, scope, spec


def _query(form: ExportForm, spec: FileSpec) -> dict[str, Any]:
    return {
        "preset": "custom",
        "start": form.start.data.isoformat(),
        "end": form.end.data.isoformat(),
        "layout": spec.layout,
        "status": form.status.data,
        "profile": spec.profile.name,
        "format": spec.fmt,
        "bom": "y" if spec.bom else None,
    }


@bp.route("")
@roles("admin", "payroll")
def index() -> Any:
    """The period form and a preview of totals per currency and contractor before download."""
    form, scope, spec = _read_form()
    preview = batchable = None
    if scope is not None:
        db = get_session()
        preview = payroll.totals(db, scope)
        batchable = payroll.count_entries(
            db, payroll.Scope(scope.start, scope.end, scope.status, unexported_only=True)
        )
    ready = scope is not None and spec is not None
    return render_template(
        "payroll/index.html",
        form=form,
        scope=scope,
        spec=spec,
        preview=preview,
        batchable=batchable,
        may_batch=scope is not None and payroll_batches.may_batch(me(), scope.status),
        batch_refusal=str(payroll_batches.UNAPPROVED_REFUSAL),
        query=_query(form, spec) if ready and spec is not None else None,
    )


@bp.route("/export.<any(csv, xlsx):fmt>")
@roles("admin", "payroll")
@recent_login
def download(fmt: str) -> Any:
    """The file of the period in the chosen profile and layout, streamed."""
    _form, scope, spec = _read_form(fmt)
    if scope is None or spec is None:
        args: dict[str, Any] = request.args.to_dict()
        return redirect(url_for("payroll.index", **args))
    return downloads.export_response(me(), scope, spec)


@bp.route("/batches")
@roles("admin", "payroll")
def batches() -> Any:
    """Every export batch: who, when, period, rows, totals, SHA-256, and its files."""
    form = FileForm(request.args)
    spec = _file_spec(form)
    return render_template(
        "payroll/batches.html",
        form=form,
        spec=spec,
        batches=payroll_batches.list_batches(get_session()),
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
    try:
        payroll_batches.check_may_batch(me(), scope.status)
    except Forbidden as exc:  # a payroll user asking to lock unreviewed work into a batch
        flash(exc.message, "error")
        page = render_template("payroll/confirm.html", form=form, scope=scope, refused=True)
        return page, 403
    if request.method == "POST" and form.validate_on_submit():
        try:
            with unit_of_work() as db:
                batch = payroll_batches.create_batch(db, me(), scope.start, scope.end, scope.status)
        except DomainError as exc:
            flash_error(exc)
        else:
            totals = ", ".join(money(amount, currency) for currency, amount in batch.totals.items())
            flash(
                ngettext(
                    "Batch %(id)s created: %(num)d entry, %(totals)s. Its entries are now "
                    "exported and locked.",
                    "Batch %(id)s created: %(num)d entries, %(totals)s. Its entries are now "
                    "exported and locked.",
                    batch.row_count,
                    id=batch.id,
                    totals=totals,
                ),
                "success",
            )
            return redirect(url_for("payroll.batches"))
    elif request.method == "POST":
        flash(_("The form expired; check the totals and confirm again."), "error")
    form.start.data, form.end.data = scope.start.isoformat(), scope.end.isoformat()
    form.status.data = scope.status
    preview = payroll.totals(
        get_session(), payroll.Scope(scope.start, scope.end, scope.status, unexported_only=True)
    )
    return render_template("payroll/confirm.html", form=form, scope=scope, preview=preview)


@bp.route("/batches/<int:batch_id>.<any(csv, xlsx):fmt>")
@roles("admin", "payroll")
@recent_login
def batch_file(batch_id: int, fmt: str) -> Any:
    """A batch's file in any profile: its CSV as created, or one rebuilt from it; the same
    bytes at every download."""
    form = FileForm(request.args)
    spec = _file_spec(form, fmt)
    if spec is None:
        args: dict[str, Any] = request.args.to_dict()
        return redirect(url_for("payroll.batches", **args))
    return downloads.batch_response(me(), batch_id, spec)
