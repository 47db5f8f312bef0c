"""How routes read their path parameters: every ``<int:…>`` in the app is an id."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, ValidationError

from tracker.services import inputs


class IdConverter(IntegerConverter):
    """ASCII digits naming an id some row could have; anything else does not match (404).

    Werkzeug's own ``int`` matches any script's digits (``/entries/`` with an Arabic-Indic one
    would be entry 1) and numbers the database cannot hold (beyond 2**31 - 1 PostgreSQL fails,
    a 500).
    """

    regex = r"[0-9]{1,10}"

    def to_python(self, value: str) -> int:
        """The id, or ValidationError: the route does not match, and the answer is 404."""
        ident = inputs.id_or_none(value)
        if ident is None:
            raise ValidationError()
        return ident


def init_app(app: Flask) -> None:
    """Replace the ``int`` converter before any blueprint adds its routes."""
    app.url_map.converters["int"] = IdConverter
