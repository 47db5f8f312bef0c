"""Forms and helpers shared by the entry, timesheet and approval pages.

Forms check shape only; the rules are the entries service's, and a refusal is put beside the
field it is about by ``tracker.web.forms.show_error``.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length

from tracker.clock import day_text, local_today, zone
from tracker.models import User
from tracker.services import entries, inputs


def int_or_none(value: Any) -> int | None:
    """Coerce a select's value to an id, or None when empty or not an id any row could have."""
    return inputs.id_or_none(value)


class EntryForm(FlaskForm):
    project_id = SelectField(_l("Project"), coerce=int_or_none, validate_choice=False)
    work_date = StringField(
        _l("Work date"), description=_l("The day you worked, in your own timezone")
    )
    hours = StringField(_l("Hours"), description=_l("e.g. 7.5, 7,5, 7:30, 7h30, 2h38m or 450m"))
    description = TextAreaField(_l("What you worked on"), validators=[Length(max=2000)])

    def values(self) -> dict[str, Any]:
        """What the entries service takes from the form, as typed (it checks them)."""
        return {
            "project_id": self.project_id.data,
            "work_date": self.work_date.data or "",
            "hours": self.hours.data,
            "description": self.description.data or "",
        }


class AdminEntryForm(EntryForm):
    user_id = SelectField(_l("Contractor"), coerce=int_or_none, validate_choice=False)
    corrects_entry_id = StringField(
        _l("Corrects entry #"),
        description=_l(
            "Only for a correction: the entry it corrects (hours may then be negative, e.g. -1:30)"
        ),
    )


def project_choices(
    session: Session, user: User, include: int | None = None
) -> list[tuple[Any, ...]]:
    """The contractor's projects to log time on; held ones noted, and disabled where no new
    time is taken (closed, or held without backfill). ``include`` keeps an entry's project."""
    choices: list[tuple[Any, ...]] = [("", _("Choose a project…"))]
    today = local_today(user)
    for option in entries.loggable_projects(session, user, include):
        project, hold = option.project, option.hold
        names = {"code": project.code, "name": project.name}
        if project.status == "closed":
            label = _("%(code)s — %(name)s (closed)", **names)
        elif hold is not None:
            since = day_text(hold.started_at.astimezone(zone(user)).date(), today)
            if hold.allow_backfill:
                label = _(
                    "%(code)s — %(name)s (on hold since %(since)s; only days before it)",
                    since=since,
                    **names,
                )
            else:
                label = _("%(code)s — %(name)s (on hold since %(since)s)", since=since, **names)
        else:
            label = f"{project.code} — {project.name}"
        choices.append(
            (project.id, label) if option.takes_time else (project.id, label, {"disabled": True})
        )
    return choices


__all__ = ["AdminEntryForm", "EntryForm", "int_or_none", "project_choices"]
