"""How routes read their path parameters: every ``<int:…>`` in the app is an id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Request, current_app
from werkzeug.routing import IntegerConverter, ValidationError

from tracker.services import inputs


def _up_to(limit: int) -> str:
    """A regular expression matching exactly the numbers 1 to ``limit``, without leading zeros.

    The route's pattern itself must refuse an id out of range: werkzeug answers 405 instead of
    404 when the pattern matches but the converter refuses and another method's rule matched.
    """
    digits = str(limit)
    shorter = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    same_length = []
    for i, digit in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(digit) > low:
            rest = len(digits) - i - 1
            same_length.append(f"{digits[:i]}[{low}-{int(digit) - 1}][0-9]{{{rest}}}")
    return "(?:" + "|".join([*shorter, *same_length, digits]) + ")"


class IdConverter(IntegerConverter):
    """ASCII digits naming an id some row could have; anything else does not match (404).

    Werkzeug's own ``int`` matches any script's digits (``/entries/`` with an Arabic-Indic one
    would be entry 1) and numbers the database cannot hold (beyond 2**31 - 1 PostgreSQL fails,
    a 500).
    """

    regex = _up_to(inputs.ID_MAX)

    def to_python(self, value: str) -> int:
        """The id, or ValidationError: the route does not match, and the answer is 404."""
        ident = inputs.id_or_none(value)
        if ident is None:
            raise ValidationError()
        return ident


F = TypeVar("F", bound=Callable[..., Any])
# What a form posting a file adds around it (boundaries, the CSRF token, other fields); a page
# that sends the file back for confirmation carries it base64-encoded (a third larger).
FORM_OVERHEAD = 64 * 1024


def body_limit(setting: str) -> Callable[[F], F]:
    """Let a view take a body up to the size in the config ``setting`` instead of
    ``MAX_CONTENT_LENGTH`` (a CSV import), also when a form field carries the file."""

    def decorate(view: F) -> F:
        view.body_limit = setting  # type: ignore[attr-defined]
        return view

    return decorate


class LimitedRequest(Request):
    """A request whose body limit is its view's ``body_limit`` when it has one.

    Read when the body is first parsed, which may be before the view runs (the CSRF check reads
    the form), so the limit must come from the matched route, not from code in the view.
    """

    def _view_limit(self) -> int | None:
        if not current_app or self.url_rule is None:
            return None
        view = current_app.view_functions.get(self.url_rule.endpoint)
        setting = getattr(view, "body_limit", None)
        if setting is None:
            return None
        return int(current_app.config[setting]) * 4 // 3 + FORM_OVERHEAD

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is not None:
            return self._max_content_length
        return self._view_limit() or super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    @property
    def max_form_memory_size(self) -> int | None:
        if self._max_form_memory_size is not None:
            return self._max_form_memory_size
        return self._view_limit() or super().max_form_memory_size

    @max_form_memory_size.setter
    def max_form_memory_size(self, value: int | None) -> None:
        self._max_form_memory_size = value


def init_app(app: Flask) -> None:
    """Replace the ``int`` converter before any blueprint adds its routes; per-view body limits."""
    app.url_map.converters["int"] = IdConverter
    app.request_class = LimitedRequest
