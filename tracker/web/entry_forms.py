"""Forms and helpers shared by the entry, timesheet and approval pages.

Forms check shape only; the rules are the entries service's. A refusal is put beside the field
it is about, in the service's own words.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, flash
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length

from tracker.errors import (
    DailyLimit,
    DomainError,
    FutureDate,
    Invalid,
    NotAssigned,
    PeriodLocked,
    ProjectClosed,
    ProjectFrozen,
)
from tracker.models import Assignment, Project, User
from tracker.services import inputs, projects
from tracker.services.entry_rules import zone

# Which form field each refusal is about.
ERROR_FIELDS: dict[type[DomainError], str] = {
    ProjectFrozen: "project_id",
    ProjectClosed: "project_id",
    NotAssigned: "project_id",
    FutureDate: "work_date",
    PeriodLocked: "work_date",
    DailyLimit: "hours",
}
FIELD_ALIASES = {"minutes": "hours"}


def int_or_none(value: Any) -> int | None:
    """Coerce a select's value to an id, or None when empty or not an id any row could have."""
    return inputs.id_or_none(value)


class EntryForm(FlaskForm):
    project_id = SelectField("Project", coerce=int_or_none, validate_choice=False)
    work_date = StringField("Work date", description="Your local date (YYYY-MM-DD)")
    hours = StringField("Hours", description="e.g. 7.5, 7,5, 7:30, 7h30, 2h38m or 450m")
    description = TextAreaField("What you worked on", validators=[Length(max=2000)])


class AdminEntryForm(EntryForm):
    user_id = SelectField("Contractor", coerce=int_or_none, validate_choice=False)
    corrects_entry_id = StringField(
        "Corrects entry #",
        description="Only for a correction: the entry it corrects "
        "(hours may then be negative, e.g. -1:30)",
    )


class EmptyForm(FlaskForm):
    """Only the CSRF token, for buttons that POST."""


def place_error(form: FlaskForm, exc: DomainError) -> None:
    """Put the refusal's message beside its field; form-wide refusals are flashed."""
    if isinstance(exc, Invalid):
        for name, messages in exc.fields.items():
            field = getattr(form, FIELD_ALIASES.get(name, name), None)
            if field is not None and hasattr(field, "errors"):
                field.errors = list(field.errors or []) + list(messages)
            else:
                for message in messages:
                    flash(message, "error")
        return
    target = next((f for cls, f in ERROR_FIELDS.items() if isinstance(exc, cls)), None)
    field = getattr(form, target, None) if target else None
    if field is None:
        flash(exc.message, "error")
        return
    field.errors = [*list(field.errors or []), exc.message]


def local_today(user: User) -> dt.date:
    """Today in the user's own timezone."""
    return dt.datetime.now(dt.UTC).astimezone(zone(user)).date()


def settings(via: str = "web") -> dict[str, Any]:
    """What the edge passes to the entries service: the backdating window and the interface."""
    return {"backdating_days": current_app.config["BACKDATING_DAYS"], "via": via}


def project_choices(
    session: Session, user: User, include: int | None = None
) -> list[tuple[Any, ...]]:
    """The contractor's active, non-closed projects; held ones are noted and, unless backfill
    is allowed, disabled. ``include`` keeps an entry's current project in the list."""
    rows = list(
        session.execute(
            select(Project)
            .join(Assignment, Assignment.project_id == Project.id)
            .where(Assignment.user_id == user.id, Assignment.end_date.is_(None))
            .where(Project.status != "closed")
            .order_by(Project.code)
        )
        .scalars()
        .unique()
    )
    if include is not None and all(p.id != include for p in rows):
        extra = session.get(Project, include)
        if extra is not None:
            rows.append(extra)
    holds = projects.active_holds(session, [p.id for p in rows])
    choices: list[tuple[Any, ...]] = [("", "Choose a project…")]
    for project in rows:
        label = f"{project.code} — {project.name}"
        hold = holds.get(project.id)
        if project.status == "closed":
            choices.append((project.id, f"{label} (closed)", {"disabled": True}))
        elif hold is not None:
            since = hold.started_at.astimezone(zone(user)).strftime("%Y-%m-%d")
            if hold.allow_backfill:
                choices.append(
                    (project.id, f"{label} (on hold since {since}; only days before it)")
                )
            else:
                choices.append((project.id, f"{label} (on hold since {since})", {"disabled": True}))
        else:
            choices.append((project.id, label))
    return choices


__all__ = [
    "AdminEntryForm",
    "EmptyForm",
    "EntryForm",
    "local_today",
    "place_error",
    "project_choices",
    "settings",
]
