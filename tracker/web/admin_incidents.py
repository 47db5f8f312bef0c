"""Admin: incidents — start one for a client or chosen projects (with a confirmation step
showing how many projects and people it stops), post updates, see who acknowledged, lift all
or some projects, move the review date, and the incident report."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from tracker.clock import local_today
from tracker.db import get_session, unit_of_work, write_priority
from tracker.errors import DomainError, Invalid
from tracker.models import Project
from tracker.services import incident_reads, incident_reports, incidents
from tracker.web import downloads
from tracker.web.access import me, recent_login, roles
from tracker.web.context import local
from tracker.web.forms import flash_error

bp = Blueprint("admin_incidents", __name__, url_prefix="/admin/incidents")

START_FIELDS = ("title", "reason", "notice", "incident_ref", "review_by", "client")


def _start_values() -> dict[str, Any]:
    """The start form's values as the service takes them."""
    form = request.form
    values: dict[str, Any] = {name: form.get(name, "") for name in START_FIELDS}
    values["allow_backfill"] = bool(form.get("allow_backfill"))
    values["allow_same_client"] = bool(form.get("allow_same_client"))
    values["incident_ref"] = values["incident_ref"] or None
    values["review_by"] = values["review_by"] or None
    chosen = form.getlist("project_ids")
    if form.get("scope") == "projects":
        values["client"] = None
        values["project_ids"] = chosen or []
    else:
        values["project_ids"] = None
    return values


def _started_text(started: incidents.Started) -> str:
    """What the admin is told once an incident has started (counts in words, each a sentence)."""
    text = _(
        "Incident %(id)s started at %(when)s.",
        id=started.incident.id,
        when=local(started.incident.started_at),
    )
    text += " " + ngettext(
        "%(num)d project on hold.", "%(num)d projects on hold.", len(started.holds)
    )
    text += " " + ngettext(
        "%(count)s contractor told.",
        "%(count)s contractors told.",
        started.affected,
        count=f"{started.affected:,}",
    )
    if started.skipped:
        text += " " + ngettext(
            "%(num)d skipped (already on hold or closed).",
            "%(num)d skipped (already on hold or closed).",
            len(started.skipped),
        )
    return text


@bp.route("")
@roles("admin")
def index() -> Any:
    """Every incident, active first, overdue reviews marked."""
    db = get_session()
    found = incident_reads.list_incidents(db, me())
    return render_template(
        "admin_incidents/index.html",
        items=found,
        acknowledged=incident_reads.acknowledged_counts(db, found),
        today=local_today(me()),
    )


@bp.route("/new", methods=["GET", "POST"])
@write_priority
@roles("admin")
@recent_login
def new() -> Any:
    """The start form, then a confirmation with the counts, then the start in one transaction."""
    db = get_session()
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {
        "client": request.args.get("client", ""),
        "scope": "projects" if request.args.getlist("project_ids") else "client",
        "project_ids": request.args.getlist("project_ids"),
    }
    if request.method == "POST":
        values = _start_values()
        values["scope"] = request.form.get("scope", "client")
        start = {k: v for k, v in values.items() if k != "scope"}
        try:
            clean = incidents.clean_start_input(start, local_today(me()))
            plan = incidents.plan(db, client=clean["client"], project_ids=clean["project_ids"])
        except Invalid as exc:
            errors = exc.fields
        else:
            if request.form.get("action") == "confirm":
                try:
                    with unit_of_work() as db:
                        started = incidents.start_incident(db, me(), local_today(me()), **start)
                except Invalid as exc:
                    errors = exc.fields
                except DomainError as exc:
                    flash_error(exc)
                else:
                    flash(_started_text(started), "success")
                    return redirect(
                        url_for("admin_incidents.detail", incident_id=started.incident.id)
                    )
            elif request.form.get("action") != "edit" and not errors:
                return render_template(
                    "admin_incidents/confirm.html", values=values, clean=clean, plan=plan
                )
    choices = get_session().scalars(
        select(Project).where(Project.status != "closed").order_by(Project.code)
    )
    return render_template(
        "admin_incidents/new.html",
        values=values,
        errors=errors,
        projects=list(choices),
        chosen={str(i) for i in values.get("project_ids") or []},
    ), (422 if errors else 200)


@bp.route("/<int:incident_id>")
@roles("admin")
def detail(incident_id: int) -> Any:
    """The incident: its projects, timeline, who acknowledged and who has not, lift, review."""
    db = get_session()
    incident = incident_reads.get_incident(db, incident_id)
    return render_template(
        "admin_incidents/detail.html",
        incident=incident,
        held=incident_reads.incident_holds(db, incident),
        updates=incident_reads.updates_of(db, incident),
        acks=incident_reads.acknowledgements(db, incident),
        today=local_today(me()),
    )


def _act(incident_id: int, action: Any, done: str) -> Any:
    try:
        with unit_of_work() as db:
            action(db, incident_reads.get_incident(db, incident_id))
    except DomainError as exc:
        flash_error(exc, _("Nothing was changed: "))
    else:
        flash(done, "success")
    return redirect(url_for("admin_incidents.detail", incident_id=incident_id))


@bp.post("/<int:incident_id>/updates")
@roles("admin")
def post_update(incident_id: int) -> Any:
    """Post an update: everyone affected is told."""
    text = request.form.get("message", "")
    return _act(
        incident_id,
        lambda db, i: incidents.post_update(db, me(), i, text),
        _("The update was posted; everyone affected is told."),
    )


@bp.post("/<int:incident_id>/review")
@roles("admin")
def review(incident_id: int) -> Any:
    """Move the review date."""
    day = request.form.get("review_by", "")
    return _act(
        incident_id,
        lambda db, i: incidents.change_incident(db, me(), i, local_today(me()), review_by=day),
        _("The review date is now %(day)s.", day=day),
    )


@bp.post("/<int:incident_id>/lift")
@write_priority
@roles("admin")
@recent_login
def lift(incident_id: int) -> Any:
    """Lift the whole incident, or only the projects ticked."""
    chosen = request.form.getlist("project_ids") or None
    note = request.form.get("note") or None
    return _act(
        incident_id,
        lambda db, i: incidents.lift_incident(db, me(), i, project_ids=chosen, note=note),
        _("Lifted: time entry works again there, and the people on those projects are told."),
    )


@bp.route("/<int:incident_id>/report")
@roles("admin")
def report(incident_id: int) -> Any:
    """The incident report with its chart of hours per day (SVG, no script)."""
    db = get_session()
    incident = incident_reads.get_incident(db, incident_id)
    found = incident_reports.report(db, incident, local_today(me()))
    return render_template(
        "admin_incidents/report.html",
        incident=incident,
        report=found,
        chart=incident_reports.chart(found),
    )


@bp.route("/<int:incident_id>/report.csv")
@roles("admin")
def report_csv(incident_id: int) -> Any:
    """The report as CSV, one row per affected contractor."""
    return downloads.incident_report_csv(me(), incident_id)
