"""Form helpers: put a service's field errors beside the right fields; lenient page filters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash, request
from flask_wtf import FlaskForm
from wtforms import Field, ValidationError

from tracker.errors import DomainError, Invalid
from tracker.services import validation

T = TypeVar("T")


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


def filter_arg(parse: Callable[[Any, str], T | None], name: str) -> T | None:
    """A page's query-string filter parsed by ``parse`` (a ``tracker.services.inputs`` parser).

    A value that does not parse is left out and its message flashed, so the page still shows
    (unfiltered by it) and says why, instead of failing.
    """
    try:
        return parse(request.args.get(name), name)
    except Invalid as exc:
        for message in exc.fields.get(name, [exc.message]):
            flash(f"{name}: {message} That filter was left out.", "error")
        return None


def plain_text(max_length: int) -> Callable[[FlaskForm, Field], None]:
    """A field validator with ``validation.plain_text``'s checks (no control characters: a
    typed NUL must never reach a query, PostgreSQL refuses it)."""

    def check(_form: FlaskForm, field: Field) -> None:
        try:
            validation.plain_text(field.data, field.name, max_length)
        except Invalid as exc:
            raise ValidationError(exc.fields[field.name][0]) from None

    return check
