"""A unit of work as every interface runs one, for service tests that call services directly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from tracker.db import unit_of_work
from tracker.errors import DomainError
from tracker.services import audit


@contextmanager
def edge(session: Session | None = None) -> Iterator[Session]:
    """Commit the block, or roll it back and keep the audit event a refusal asked for."""
    try:
        with unit_of_work(session) as db:
            yield db
    except DomainError as exc:
        with unit_of_work(session) as db:
            audit.record_refusal(db, exc)
        raise
