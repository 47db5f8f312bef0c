"""Admin: approvals (filter, approve or reject in bulk) and time logged on a contractor's behalf."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.clock import local_today, span_text
from tracker.db import get_session, unit_of_work
from tracker.errors import DomainError
from tracker.models import ENTRY_STATUSES, PROJECT_STATUSES
from tracker.services import entries, inputs, projects, users
from tracker.web import args
from tracker.web.access import me, roles
from tracker.web.context import hours
from tracker.web.entry_forms import AdminEntryForm, int_or_none
from tracker.web.forms import EmptyForm, flash_error, show_error

bp = Blueprint("approvals", __name__)


def _filters() -> tuple[dict[str, Any], str | None]:
    """Service filters from the query string, and the week label shown back."""
    status = request.args.get("status", "submitted")
    week_label = request.args.get("week") or None
    start = args.week("week")
    end = start + dt.timedelta(days=6) if start is not None else None
    if start is None:
        week_label = None
    return {
        "user_id": args.whole("user_id"),
        "project_id": args.whole("project_id"),
        "status": status if status in ENTRY_STATUSES else None,
        "start": start,
        "end": end,
    }, week_label


def _totals(items: list[Any], amounts: dict[int, Any]) -> dict[str, list[dict[str, Any]]]:
    """The listed entries' hours and amounts per person and per week (currencies apart)."""
    people: dict[tuple[str, str], dict[str, Any]] = {}
    weeks: dict[tuple[dt.date, str], dict[str, Any]] = {}
    for e in items:
        monday = e.work_date - dt.timedelta(days=e.work_date.weekday())
        for table, key, label in (
            (people, (e.user.name, e.currency), e.user.name),
            (weeks, (monday, e.currency), span_text(monday, monday + dt.timedelta(days=6))),
        ):
            row = table.setdefault(
                key, {"label": label, "currency": e.currency, "minutes": 0, "amount": 0}
            )
            row["minutes"] += e.minutes
            row["amount"] += amounts[e.id]
    return {
        "people": [people[k] for k in sorted(people)],
        "weeks": [weeks[k] for k in sorted(weeks, reverse=True)],
    }


@bp.route("/admin/approvals", methods=["GET", "POST"])
@roles("admin")
def index() -> Any:
    """Entries to review, filtered by project, contractor, week and status; bulk decisions."""
    db = get_session()
    user = me()
    form = EmptyForm()
    if request.method == "POST":
        ids = [i for i in (int_or_none(v) for v in request.form.getlist("entry_ids")) if i]
        action = request.form.get("action")
        reason = request.form.get("reason", "")
        if not form.validate():
            flash(_("The form expired; nothing was changed. Try again."), "error")
        elif not ids:
            flash(_("Tick at least one entry first."), "error")
        elif action not in ("approve", "reject"):
            flash(_("Choose approve or reject."), "error")
        else:
            try:
                seen = _seen(ids)
                with unit_of_work() as db:
                    if action == "approve":
                        review = entries.review_approve(db, user, ids, seen=seen, skip_changed=True)
                    else:
                        review = entries.review_reject(
                            db, user, ids, reason, seen=seen, skip_changed=True
                        )
            except DomainError as exc:
                flash_error(exc, _("Nothing was changed: %(reason)s"))
            else:
                _report(action, review)
                return redirect(request.full_path.rstrip("?"))
    filters, week_label = _filters()
    items, next_url = args.keyset_page(
        "approvals.index",
        lambda after: entries.list_entries(db, user, after=after, limit=100, **filters),
    )
    status = 422 if request.method == "POST" else 200
    amounts = {e.id: entries.amount(e) for e in items}  # half-up, as payroll pays
    return render_template(
        "approvals/index.html",
        items=items,
        amounts=amounts,
        totals=_totals(items, amounts),
        form=form,
        args=request.args,
        week=week_label,
        projects=projects.list_projects(db, user),
        contractors=users.list_users(db, "contractor"),
        next_url=next_url,
        status_filter=filters["status"],
        reason=request.form.get("reason", ""),
    ), status


def _seen(ids: list[int]) -> dict[int, Any]:
    """The ``updated_at`` each ticked entry had on the page (``seen-<id>``; "" for never
    changed). A ticked entry the form carries no value for is decided as it is now."""
    return {
        i: entries.seen_at(request.form[f"seen-{i}"], f"seen-{i}")
        for i in ids
        if f"seen-{i}" in request.form
    }


def _report(action: str, review: entries.Review) -> None:
    """Say what was decided and which entries were not, and why."""
    done = len(review.decided)
    if done or not review.changed:
        if action == "approve":
            text = ngettext("Approved %(num)d entry.", "Approved %(num)d entries.", done)
        else:
            text = ngettext("Rejected %(num)d entry.", "Rejected %(num)d entries.", done)
        flash(text, "success")
    for entry_id, why in review.changed.items():
        if action == "approve":
            text = _(
                "Entry #%(id)s was not approved: it was %(why)s. Check it again.",
                id=entry_id,
                why=why,
            )
        else:
            text = _(
                "Entry #%(id)s was not rejected: it was %(why)s. Check it again.",
                id=entry_id,
                why=why,
            )
        flash(text, "error")


def _choices(db: Any) -> tuple[list[tuple[Any, str]], list[tuple[Any, str]]]:
    people: list[tuple[Any, str]] = [("", _("Choose a contractor…"))]
    people += [
        (u.id, f"{u.name} ({u.email})") for u in users.list_users(db, "contractor") if u.active
    ]
    not_closed = tuple(s for s in PROJECT_STATUSES if s != "closed")
    open_projects: list[tuple[Any, str]] = [("", _("Choose a project…"))]
    open_projects += [
        (
            p.id,
            _("%(code)s — %(name)s (on hold)", code=p.code, name=p.name)
            if p.status == "frozen"
            else f"{p.code} — {p.name}",
        )
        for p in projects.list_projects(db, me(), not_closed)
    ]
    return people, open_projects


@bp.route("/admin/entries/new", methods=["GET", "POST"])
@roles("admin")
def log_for() -> Any:
    """Log or correct time on a contractor's behalf (audited as the admin)."""
    db = get_session()
    admin = me()
    form = AdminEntryForm()
    form.user_id.choices, form.project_id.choices = _choices(db)
    if request.method == "GET":
        form.work_date.data = local_today(admin).isoformat()
        original_id = int_or_none(request.args.get("corrects"))
        if original_id:
            try:
                original = entries.get_entry(db, admin, original_id)
            except DomainError:
                original = None
            if original is not None:
                form.corrects_entry_id.data = str(original.id)
                form.user_id.data, form.project_id.data = original.user_id, original.project_id
                form.work_date.data = original.work_date.isoformat()
    status = 200
    if request.method == "POST" and form.validate():
        try:
            corrects = inputs.id_param(
                form.corrects_entry_id.data,
                "corrects_entry_id",
                _("Give the entry number, like 42."),
            )
            with unit_of_work() as db:
                owner = entries.contractor_for(db, form.user_id.data)
                entry = entries.log_time(
                    db,
                    admin,
                    user=owner,
                    **form.values(),
                    corrects_entry_id=corrects,
                    via="web",
                )
        except DomainError as exc:
            show_error(form, exc)
            status = exc.status
        else:
            said = {
                "hours": hours(entry.minutes),
                "name": owner.name,
                "day": entry.work_date.isoformat(),
            }
            if entry.is_correction:
                text = _("Correction of %(hours)s h logged for %(name)s on %(day)s.", **said)
            else:
                text = _("Entry of %(hours)s h logged for %(name)s on %(day)s.", **said)
            flash(text, "success")
            return redirect(url_for("approvals.index", user_id=owner.id, status=""))
    elif request.method == "POST":
        status = 422
    return render_template("approvals/log_for.html", form=form), status
