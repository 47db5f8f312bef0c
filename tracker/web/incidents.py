"""A contractor's incident page: the notice, the updates as a timeline, their held projects,
since when, "I have read this", and their reassignment offers beside it.

It never shows the incident's title, its internal reason, the client's name or projects the
contractor is not on. Admins are sent to the admin page of the incident.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from tracker.db import get_session, unit_of_work
from tracker.services import incident_reads, incidents, reassignment
from tracker.web.access import me, roles

bp = Blueprint("incidents", __name__, url_prefix="/incidents")


@bp.route("")
@roles("contractor")
def index() -> Any:
    """The incidents that affect the contractor, newest first."""
    db = get_session()
    found = incident_reads.list_incidents(db, me())
    return render_template(
        "incidents/index.html",
        items=[(i, incident_reads.held_projects_of(db, i, me())) for i in found],
    )


@bp.route("/<int:incident_id>")
@roles("contractor", "admin")
def show(incident_id: int) -> Any:
    """The contractor's view of one incident (404 when it does not affect them)."""
    if me().is_admin:
        return redirect(url_for("admin_incidents.detail", incident_id=incident_id))
    db = get_session()
    incident = incident_reads.get_incident(db, incident_id, me())
    held = incident_reads.held_projects_of(db, incident, me())
    return render_template(
        "incidents/show.html",
        incident=incident,
        held=held,
        since=min((h.started_at for _p, h in held), default=incident.started_at),
        updates=incident_reads.updates_of(db, incident),
        acknowledged_at=incident_reads.acknowledged_at(db, incident, me()),
        offers=reassignment.offers(db, me()) if incident.is_active else [],
    )


@bp.post("/<int:incident_id>/acknowledge")
@roles("contractor")
def acknowledge(incident_id: int) -> Any:
    """ "I have read this": the notice and every update so far (once is enough)."""
    with unit_of_work() as db:
        incidents.acknowledge(db, me(), incident_id)
    flash(_("Thank you: your admins can see you have read the notice and its updates."), "success")
    return redirect(url_for("incidents.show", incident_id=incident_id))
