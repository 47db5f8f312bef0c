"""The weekly timesheet: projects x days, totals, ISO week navigation, save the week in one POST.

Saving is all or nothing: every changed cell goes through the entries service in one
transaction; when any cell is refused, nothing is saved, each refusal is shown beside its cell
and every cell keeps what was typed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.clock import local_today
from tracker.db import get_session
from tracker.errors import Invalid
from tracker.services import timesheet
from tracker.services.timesheet import Cell, Row, Week
from tracker.web.access import me, roles
from tracker.web.context import hours_field
from tracker.web.forms import EmptyForm, flash_error, message, record

bp = Blueprint("timesheet", __name__)


def cell_name(row: Row, cell: Cell) -> str:
    """The form field of one cell: c-<project id>-<date>."""
    return f"c-{row.project.id}-{cell.day.isoformat()}"


def _layout(week: Week) -> dict[str, dict[str, Any]]:
    cells: dict[str, dict[str, Any]] = {}
    for row in week.rows:
        for cell in row.cells:
            cells[cell_name(row, cell)] = {
                "editable": cell.editable,
                "value": hours_field(cell.minutes) if cell.entries else "",
                "error": None,
            }
    return cells


def _render(week: Week, cells: dict[str, Any], today: dt.date, status: int = 200) -> Any:
    return render_template(
        "timesheet/week.html",
        week=week,
        cells=cells,
        today=today,
        form=EmptyForm(),
        cell_name=cell_name,
    ), status


@bp.route("/timesheet", methods=["GET", "POST"])
@roles("contractor")
def week() -> Any:
    """Your ISO week as a grid of projects and days; change cells and save the week at once."""
    user = me()
    db = get_session()
    today = local_today(user)
    try:
        monday = timesheet.parse_week(request.args.get("week"), today)
    except Invalid as exc:
        flash_error(exc)
        return redirect(url_for("timesheet.week"))
    if db.in_transaction():
        db.commit()  # the save below is one fresh write transaction
    grid = timesheet.week(db, user, monday, today=today)
    cells = _layout(grid)
    if request.method == "GET":
        return _render(grid, cells, today)
    if not EmptyForm().validate():
        db.rollback()
        flash(_("The form expired; nothing was saved. Try again."), "error")
        return _render(grid, cells, today, 400)
    edits, names = [], []
    for row in grid.rows:
        for cell in row.cells:
            name = cell_name(row, cell)
            if not cells[name]["editable"] or name not in request.form:
                continue
            typed = request.form.get(name, "")
            if typed.strip() != cells[name]["value"]:
                cells[name]["value"] = typed
                edits.append((row, cell, typed))
                names.append(name)
    changed, refused = timesheet.save_cells(db, user, edits, via="web")
    for index, refusal in refused.items():
        cells[names[index]]["error"] = message(refusal)
    refusals = list(refused.values())
    if refusals:
        db.rollback()
        for refusal in refusals:
            record(refusal)
        flash(
            ngettext(
                "Nothing was saved: %(num)d cell needs a change (see below).",
                "Nothing was saved: %(num)d cells need a change (see below).",
                len(refusals),
            ),
            "error",
        )
        return _render(grid, cells, today, max(r.status for r in refusals))
    db.commit()
    flash(
        ngettext("Week saved (%(num)d change).", "Week saved (%(num)d changes).", changed)
        if changed
        else _("Nothing to save: no cell changed."),
        "success",
    )
    return redirect(url_for("timesheet.week", week=grid.label))
