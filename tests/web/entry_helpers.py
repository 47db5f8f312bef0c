"""Helpers for the time-entry page tests: count SQL statements a request runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event


@contextmanager
def count_queries(app: Any) -> Iterator[list[str]]:
    """Collect every SQL statement the app's engine runs inside the block."""
    engine = app.extensions["tracker.engine"]
    statements: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)
