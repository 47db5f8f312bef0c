"""How routes read their path parameters: every ``<int:…>`` in the app is an id."""

from __future__ import annotations

from flask import Flask
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


def init_app(app: Flask) -> None:
    """Replace the ``int`` converter before any blueprint adds its routes."""
    app.url_map.converters["int"] = IdConverter
