"""How a refusal reaches the person on a page: beside its field, or as one flashed sentence.

Every page turns a service's ``DomainError`` into words here and nowhere else, and a refusal
that asked to be audited (``DomainError.logged``) is recorded here, after the action it refused
was rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import flash
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, ValidationError

from tracker.db import unit_of_work
from tracker.errors import (
    DailyLimit,
    DomainError,
    FutureDate,
    Invalid,
    NotAssigned,
    NotAssignedOnDay,
    PeriodLocked,
    ProjectClosed,
    ProjectFrozen,
)
from tracker.services import audit, validation

# Which form field a refusal is about, when the form has that field (a subclass before its
# parent: the first match wins).
ERROR_FIELDS: dict[type[DomainError], str] = {
    NotAssignedOnDay: "work_date",
    ProjectFrozen: "project_id",
    ProjectClosed: "project_id",
    NotAssigned: "project_id",
    FutureDate: "work_date",
    PeriodLocked: "work_date",
    DailyLimit: "hours",
}
# Service field names that a form shows under another name.
FIELD_ALIASES = {"minutes": "hours"}
# For Length(max=…, message=TOO_LONG): WTForms' words, in our catalogs, since its own Arabic
# catalog lacks most plural forms.
TOO_LONG = _l("Field cannot be longer than %(max)d characters.")


class EmptyForm(FlaskForm):
    """Only the CSRF token, for buttons that POST."""


def record(refusal: DomainError) -> None:
    """Keep the audit event the refusal asked for, in a unit of work of its own."""
    if refusal.audit:
        with unit_of_work() as db:
            audit.record_refusal(db, refusal)


def message(refusal: DomainError) -> str:
    """The refusal in one sentence: its field messages, or its own message."""
    if isinstance(refusal, Invalid):
        return " ".join(m for messages in refusal.fields.values() for m in messages)
    return refusal.message


def flash_error(refusal: DomainError, prefix: str = "") -> None:
    """Flash the refusal as one sentence.

    ``prefix`` is a translated sentence that holds the refusal as ``%(reason)s``, e.g.
    ``_("Nothing was changed: %(reason)s")``; text without that placeholder goes before it.
    """
    record(refusal)
    reason = message(refusal)
    if "%(reason)s" in prefix:
        flash(prefix.replace("%(reason)s", reason), "error")
    else:
        flash(f"{prefix}{reason}", "error")


def flash_form_errors(form: FlaskForm) -> None:
    """Flash a form's own shape errors, one per field, on a page that does not show the form."""
    for name, errors in form.errors.items():
        label = getattr(form, name).label.text
        flash(_("%(field)s: %(error)s", field=label, error=errors[0]), "error")


def show_error(
    form: FlaskForm, refusal: DomainError, aliases: Mapping[str, str] | None = None
) -> None:
    """Put the refusal's messages beside the fields they are about; flash what fits no field.

    ``aliases`` maps a service's field name to the form's (``{"password": "new_password"}``).
    """
    record(refusal)
    names = {**FIELD_ALIASES, **(aliases or {})}
    placed: list[tuple[str, list[str]]]
    if isinstance(refusal, Invalid):
        placed = list(refusal.fields.items())
    else:
        about = next((f for cls, f in ERROR_FIELDS.items() if isinstance(refusal, cls)), "")
        placed = [(about, [refusal.message])]
    for name, messages in placed:
        field = getattr(form, names.get(name, name), None) if name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors or []), *messages]
        else:
            for text in messages:
                flash(text, "error")


def plain_text(max_length: int) -> Callable[[FlaskForm, Field], None]:
    """A field validator with ``validation.plain_text``'s checks (no control characters: a
    typed NUL must never reach a query, PostgreSQL refuses it)."""

    def check(_form: FlaskForm, field: Field) -> None:
        try:
            validation.plain_text(field.data, field.name, max_length)
        except Invalid as exc:
            raise ValidationError(exc.fields[field.name][0]) from None

    return check


def person_choice(user: Any) -> tuple[int, str]:
    """A person in a select: "Casey Contractor (casey@example.com)". Brackets, not angle
    marks: a right-to-left page pairs brackets, and would turn "<" and ">" around the name."""
    return (user.id, f"{user.name} ({user.email})")
