"""Log hours, the entries list with filters, edit and delete; the dashboard's week panel."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from tracker.db import get_session, unit_of_work
from tracker.errors import DomainError, Invalid
from tracker.models import Project, TimeEntry, User
from tracker.services import entries, inputs, projects, timesheet
from tracker.web import home
from tracker.web.access import me, roles, safe_next
from tracker.web.context import hmm
from tracker.web.entry_forms import (
    EmptyForm,
    EntryForm,
    int_or_none,
    local_today,
    place_error,
    project_choices,
    settings,
)
from tracker.web.forms import filter_arg

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
                entry = entries.log_time(
                    db,
                    user,
                    project_id=form.project_id.data,
                    work_date=form.work_date.data or "",
                    hours=form.hours.data,
                    description=form.description.data or "",
                    **settings(),
                )
                code = db.get(Project, entry.project_id).code  # type: ignore[union-attr]
        except DomainError as exc:
            place_error(form, exc)
            status = exc.status
        else:
            flash(
                f"Logged {entry.minutes / 60:.2f} h on {code} for {entry.work_date.isoformat()}.",
                "success",
            )
            return redirect(_week_url(entry.work_date))
    elif request.method == "POST":
        status = 422
    return render_template("entries/form.html", form=form, entry=None), status


def _editable(
    entry: TimeEntry, viewer: User, project: Project, held: bool, today: dt.date, window: int
) -> bool:
    """Whether the rules would let the viewer change the entry now (to show the links)."""
    if entry.exported or held or project.status != "open":
        return False
    if viewer.is_admin:
        return True
    if entry.is_correction:
        return False  # an admin's correction: only an admin changes it
    return entry.status != "approved" and entry.work_date >= today - dt.timedelta(days=window)


def _filters() -> dict[str, Any]:
    status = request.args.get("status") or None
    return {
        "start": filter_arg(inputs.optional_date, "from"),
        "end": filter_arg(inputs.optional_date, "to"),
        "project_id": filter_arg(inputs.id_param, "project_id"),
        "status": status if status in ("submitted", "approved", "rejected") else None,
    }


@bp.route("/entries")
@roles("contractor")
def index() -> Any:
    """Your entries, newest first, filtered by dates, project and status; keyset pages."""
    from flask import current_app

    user = me()
    db = get_session()
    filters = _filters()
    try:
        items, cursor = entries.list_entries(
            db, user, after=request.args.get("after") or None, limit=50, **filters
        )
    except Invalid:
        items, cursor = entries.list_entries(db, user, limit=50, **filters)
    holds = projects.active_holds(db, sorted({e.project_id for e in items}))
    today = local_today(user)
    window = current_app.config["BACKDATING_DAYS"]
    editable = {
        e.id: _editable(e, user, e.project, e.project_id in holds, today, window) for e in items
    }
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "after"}
    next_url = url_for("entries.index", after=cursor, **args) if cursor else None
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
                entry = entries.update_entry(
                    db,
                    user,
                    entry_id,
                    project_id=form.project_id.data,
                    work_date=form.work_date.data or "",
                    hours=form.hours.data,
                    description=form.description.data or "",
                    **settings(),
                )
        except DomainError as exc:
            place_error(form, exc)
            status = exc.status
        else:
            flash("Entry saved.", "success")
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
        flash("The form expired; try again.", "error")
        return redirect(back)
    try:
        with unit_of_work() as db:
            entries.delete_entry(db, user, entry_id, **settings())
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(back)
    flash("Entry deleted.", "success")
    return redirect(back)


# The dashboard panel: this week per day (a small SVG bar chart and a table) and per project.
CHART_WIDTH, CHART_HEIGHT, BAR_TOP = 350, 120, 14


def week_panel(user: User) -> dict[str, Any]:
    """This week's hours per day and per project for the contractor's dashboard (3 queries)."""
    today = local_today(user)
    monday = today - dt.timedelta(days=today.weekday())
    week = timesheet.week(get_session(), user, monday)
    totals = week.day_totals
    scale = max([480, *totals])
    slot = CHART_WIDTH / 7
    bars = []
    for i, (day, minutes) in enumerate(zip(week.days, totals, strict=True)):
        height = round((CHART_HEIGHT - BAR_TOP) * max(minutes, 0) / scale)
        bars.append(
            {
                "day": day,
                "label": day.strftime("%a"),
                "minutes": minutes,
                "x": round(i * slot + slot * 0.2),
                "width": round(slot * 0.6),
                "y": CHART_HEIGHT - height,
                "height": height,
                "today": day == today,
                "text_x": round(i * slot + slot / 2),
            }
        )
    return {
        "entries_panels": ["entries/_week_panel.html"],
        "week_panel": {
            "week": week,
            # Without hours (or when corrections cancel out) the chart would be blank: say so.
            "has_hours": any(totals),
            "bars": bars,
            "chart_height": CHART_HEIGHT,
            "chart_width": CHART_WIDTH,
        },
    }


home.add_panel("contractor", week_panel)
