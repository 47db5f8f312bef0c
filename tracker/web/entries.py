"""Log hours, the entries list with filters, edit and delete."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from tracker.clock import local_today
from tracker.db import get_session, unit_of_work
from tracker.errors import DomainError
from tracker.models import ENTRY_STATUSES, TimeEntry
from tracker.services import entries, projects, timesheet
from tracker.web import args
from tracker.web.access import me, roles, safe_next
from tracker.web.context import hmm, hours
from tracker.web.entry_forms import EntryForm, int_or_none, project_choices
from tracker.web.forms import EmptyForm, flash_error, show_error

bp = Blueprint("entries", __name__)


def _week_of(day: dt.date) -> str:
    return timesheet.week_label(day - dt.timedelta(days=day.weekday()))


def _week_url(day: dt.date) -> str:
    return url_for("timesheet.week", week=_week_of(day))


@bp.route("/entries/new", methods=["GET", "POST"])
@roles("contractor")
def new() -> Any:
    """Log hours: project, work date (today where you are), hours, description."""
    user = me()
    db = get_session()
    form = EntryForm()
    form.project_id.choices = project_choices(db, user)
    if request.method == "GET":
        form.work_date.data = request.args.get("work_date") or local_today(user).isoformat()
        form.project_id.data = int_or_none(request.args.get("project_id"))
    status = 200
    if request.method == "POST" and form.validate():
        try:
            with unit_of_work() as db:
                entry = entries.log_time(db, user, **form.values(), via="web")
                code = projects.get_project(db, entry.project_id).code
        except DomainError as exc:
            show_error(form, exc)
            status = exc.status
        else:
            flash(
                _(
                    "Logged %(hours)s h on %(code)s for %(day)s.",
                    hours=hours(entry.minutes),
                    code=code,
                    day=entry.work_date.isoformat(),
                ),
                "success",
            )
            return redirect(_week_url(entry.work_date))
    elif request.method == "POST":
        status = 422
    return render_template("entries/form.html", form=form, entry=None), status


def _filters() -> dict[str, Any]:
    status = request.args.get("status") or None
    return {
        "start": args.day("from"),
        "end": args.day("to"),
        "project_id": args.whole("project_id"),
        "status": status if status in ENTRY_STATUSES else None,
    }


@bp.route("/entries")
@roles("contractor")
def index() -> Any:
    """Your entries, newest first, filtered by dates, project and status; keyset pages."""
    user = me()
    db = get_session()
    filters = _filters()
    items, next_url = args.keyset_page(
        "entries.index",
        lambda after: entries.list_entries(db, user, after=after, limit=50, **filters),
    )
    editable = entries.editable(db, user, items)
    # Unfiltered and on the first page, an empty list means no entries at all (not a filter miss).
    never_logged = not items and not any(filters.values()) and not request.args.get("after")
    return render_template(
        "entries/index.html",
        items=items,
        never_logged=never_logged,
        next_url=next_url,
        editable=editable,
        projects=projects.list_projects(db, user),
        args=request.args,
        delete_form=EmptyForm(),
    )


def _back(entry: TimeEntry | None = None) -> str:
    target = safe_next(request.form.get("next") or request.args.get("next"), default="")
    if target:
        return target
    if me().is_admin:
        return url_for("approvals.index")
    if entry is not None:
        return _week_url(entry.work_date)
    return url_for("entries.index")


@bp.route("/entries/<int:entry_id>/edit", methods=["GET", "POST"])
@roles("contractor", "admin")
def edit(entry_id: int) -> Any:
    """Change an entry, under the same rules as logging it."""
    user = me()
    db = get_session()
    entry = entries.get_entry(db, user, entry_id)
    owner = entries.owner_of(db, entry)
    form = EntryForm()
    form.project_id.choices = project_choices(db, owner, include=entry.project_id)
    if request.method == "GET":
        form.project_id.data = entry.project_id
        form.work_date.data = entry.work_date.isoformat()
        form.hours.data = hmm(entry.minutes)
        form.description.data = entry.description
    status = 200
    if request.method == "POST" and form.validate():
        try:
            with unit_of_work() as db:
                entry = entries.update_entry(db, user, entry_id, **form.values(), via="web")
        except DomainError as exc:
            show_error(form, exc)
            status = exc.status
        else:
            flash(_("Entry saved."), "success")
            return redirect(_back(entry))
    elif request.method == "POST":
        status = 422
    return render_template("entries/form.html", form=form, entry=entry, owner=owner), status


@bp.route("/entries/<int:entry_id>/delete", methods=["POST"])
@roles("contractor", "admin")
def delete(entry_id: int) -> Any:
    """Delete an entry the rules still let you change."""
    user = me()
    form = EmptyForm()
    entry = entries.get_entry(get_session(), user, entry_id)
    back = _back(entry)
    if not form.validate():
        flash(_("The form expired; try again."), "error")
        return redirect(back)
    try:
        with unit_of_work() as db:
            entries.delete_entry(db, user, entry_id, via="web")
    except DomainError as exc:
        flash_error(exc)
        return redirect(back)
    flash(_("Entry deleted."), "success")
    return redirect(back)
