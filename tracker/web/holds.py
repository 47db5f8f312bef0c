"""Admin: incident holds — freeze with a confirmation step, unfreeze, history and impact."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from tracker.db import get_session, unit_of_work, write_priority
from tracker.errors import DomainError
from tracker.services import hold_reports, holds, projects
from tracker.web.access import me, recent_login, roles
from tracker.web.context import local
from tracker.web.forms import flash_error, show_error

bp = Blueprint("holds", __name__, url_prefix="/admin/holds")


class FreezeForm(FlaskForm):
    notice = TextAreaField(
        _l("Notice to contractors"),
        validators=[
            DataRequired(message=_l("Write the notice contractors will read.")),
            Length(max=holds.NOTICE_MAX),
        ],
        description=_l(
            "Shown word for word to everyone on the project: what happened, what it means for "
            "them, when they will hear more. At most 2,000 characters."
        ),
    )
    reason = TextAreaField(
        _l("Internal reason"),
        validators=[
            DataRequired(message=_l("Give the reason (admins only see it).")),
            Length(max=holds.REASON_MAX),
        ],
        description=_l("Only admins see this."),
    )
    incident_ref = StringField(
        _l("Incident reference"),
        validators=[Optional(), Length(max=holds.INCIDENT_REF_MAX)],
        description=_l("Optional, e.g. INC-2041"),
    )
    allow_backfill = BooleanField(
        _l("Let contractors still log hours for days before the hold started (backfill)")
    )


class UnfreezeForm(FlaskForm):
    note = TextAreaField(
        _l("Closing note"),
        validators=[Optional(), Length(max=holds.NOTE_MAX)],
        description=_l("Optional; contractors on the project read it with the lifted notice."),
    )


def _freeze_values(form: FreezeForm) -> dict[str, Any]:
    return {
        "reason": form.reason.data or "",
        "notice": form.notice.data or "",
        "incident_ref": form.incident_ref.data or None,
        "allow_backfill": bool(form.allow_backfill.data),
    }


@bp.route("")
@roles("admin")
def index() -> Any:
    """Holds in force with their impact: affected, reassigned, hours before against since."""
    impacts = hold_reports.holds_in_force(get_session())
    return render_template("holds/index.html", impacts=[(i, hours_chart(i)) for i in impacts])


@bp.route("/projects/<int:project_id>/freeze", methods=["GET", "POST"])
@write_priority
@roles("admin")
@recent_login
def freeze(project_id: int) -> Any:
    """Freeze form, then a confirmation showing how many contractors it affects, then freeze."""
    db = get_session()
    project = projects.get_project(db, project_id)
    form = FreezeForm()
    affected = holds.affected_contractors(db, project)
    if request.method == "GET" and project.status != "open":
        try:
            holds.check_can_freeze(db, project)
        except DomainError as exc:
            flash_error(exc)
        return redirect(url_for("admin_projects.detail", project_id=project.id))
    if form.validate_on_submit() and request.form.get("action") != "edit":
        try:
            holds.check_can_freeze(db, project)
            values = holds.clean_freeze_input(**_freeze_values(form))
        except DomainError as exc:
            show_error(form, exc)
        else:
            if request.form.get("action") != "confirm":
                return render_template(
                    "holds/confirm.html",
                    project=project,
                    form=form,
                    values=values,
                    affected=affected,
                )
            try:
                with unit_of_work() as db:
                    hold, count = holds.freeze_project(db, me(), project, **values)
            except DomainError as exc:
                show_error(form, exc)
            else:
                flash(
                    ngettext(
                        "%(code)s is on hold since %(when)s; %(count)s contractor was notified.",
                        "%(code)s is on hold since %(when)s; %(count)s contractors were notified.",
                        count,
                        code=project.code,
                        when=local(hold.started_at),
                        count=f"{count:,}",
                    ),
                    "success",
                )
                return redirect(url_for("admin_projects.detail", project_id=project.id))
    return render_template("holds/freeze.html", project=project, form=form, affected=affected)


@bp.route("/projects/<int:project_id>/unfreeze", methods=["GET", "POST"])
@write_priority
@roles("admin")
@recent_login
def unfreeze(project_id: int) -> Any:
    """Lift the hold with an optional closing note; time entry works again at once."""
    db = get_session()
    project = projects.get_project(db, project_id)
    form = UnfreezeForm()
    hold = holds.active_hold(db, project)
    if form.validate_on_submit():
        try:
            with unit_of_work() as db:
                holds.unfreeze_project(db, me(), project, note=form.note.data)
        except DomainError as exc:
            show_error(form, exc)
        else:
            flash(
                _(
                    "The hold on %(code)s is lifted; the contractors on it were told and can log "
                    "time again.",
                    code=project.code,
                ),
                "success",
            )
            return redirect(url_for("admin_projects.detail", project_id=project.id))
    if hold is None and request.method == "GET":
        flash(_("Project %(code)s is not on hold.", code=project.code), "error")
        return redirect(url_for("admin_projects.detail", project_id=project.id))
    return render_template("holds/unfreeze.html", project=project, form=form, hold=hold)


CHART_W, CHART_H = 600, 220
CHART_LEFT, CHART_RIGHT, CHART_TOP, CHART_BOTTOM = 52, 8, 18, 44


def hours_chart(impact: hold_reports.HoldImpact) -> dict[str, Any]:
    """Geometry of the server-rendered SVG bar chart of hours per week around a hold."""
    weeks = impact.weeks
    peak = max([w.minutes for w in weeks] + [60])
    plot_w = CHART_W - CHART_LEFT - CHART_RIGHT
    plot_h = CHART_H - CHART_TOP - CHART_BOTTOM
    slot = plot_w / max(len(weeks), 1)
    before = sum(1 for w in weeks if w.before)
    first_day = impact.hold.started_at.date()
    bars = []
    for n, week in enumerate(weeks):
        height = round(plot_h * week.minutes / peak, 1)
        bars.append(
            {
                "x": round(CHART_LEFT + n * slot + slot * 0.15, 1),
                "y": round(CHART_TOP + plot_h - height, 1),
                "w": round(slot * 0.7, 1),
                "h": height,
                "mid": round(CHART_LEFT + n * slot + slot / 2, 1),
                "label": f"−{before - n}"
                if week.before
                else f"+{(week.start - first_day).days // 7 + 1}",
                "week": week,
            }
        )
    ticks = [
        {"y": round(CHART_TOP + plot_h - plot_h * f, 1), "minutes": round(peak * f)}
        for f in (0, 0.5, 1)
    ]
    return {
        "width": CHART_W,
        "height": CHART_H,
        "bars": bars,
        "ticks": ticks,
        "left": CHART_LEFT,
        "right": CHART_W - CHART_RIGHT,
        "base": CHART_TOP + plot_h,
        "top": CHART_TOP,
        "split": round(CHART_LEFT + before * slot, 1),
    }
