"""How a command reports a refusal: one line on stderr and exit status 1."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from tracker.db import unit_of_work
from tracker.errors import DomainError
from tracker.services import audit


@contextmanager
def refusals() -> Iterator[None]:
    """Turn a service's refusal into one line on stderr and exit status 1, audited if asked."""
    try:
        yield
    except DomainError as exc:
        if exc.audit:
            with unit_of_work() as db:
                audit.record_refusal(db, exc)
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
