"""Form helpers: put a service's field errors beside the right fields."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm

from tracker.errors import DomainError, Invalid


def show_error(form: FlaskForm, exc: DomainError, field_map: dict[str, str] | None = None) -> None:
    """Attach a refused action's messages to the form's fields, or flash it when no field fits."""
    field_map = field_map or {}
    if isinstance(exc, Invalid):
        unplaced: list[str] = []
        for name, messages in exc.fields.items():
            field = getattr(form, field_map.get(name, name), None)
            if field is not None and hasattr(field, "errors"):
                errors = list(field.errors) if field.errors else []
                field.errors = errors + list(messages)
            else:
                unplaced.extend(f"{name}: {m}" for m in messages)
        for message in unplaced:
            flash(message, "error")
        return
    flash(exc.message, "error")
