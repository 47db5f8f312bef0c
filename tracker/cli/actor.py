"""Who runs a command: ``--as EMAIL`` names the user it acts as; the origin names the OS user.

Every change a command makes is audited with the origin ``cli:<operating-system user>``, and,
with ``--as``, with that user as the actor, so the audit log never says only "system".
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click
from sqlalchemy.orm import Session

from tracker.errors import NotFound
from tracker.models import User
from tracker.services import audit, users

F = TypeVar("F", bound=Callable[..., Any])


def os_user() -> str:
    """The operating-system user running the command ("unknown" when none can be told)."""
    try:
        return getpass.getuser() or "unknown"
    except (KeyError, OSError):  # no login name and no passwd entry (a bare container)
        return "unknown"


def origin() -> str:
    """The audit origin of a command: ``cli:<os user>``."""
    return f"cli:{os_user()}"[:100]


@contextmanager
def command() -> Iterator[None]:
    """Run a command's units of work with its origin, so every event names who ran it."""
    with audit.origin(origin()):
        yield


def as_option(function: F) -> F:
    """The ``--as EMAIL`` option: the user the command acts as (default: none, the OS user)."""
    return click.option(
        "--as",
        "as_email",
        default=None,
        metavar="EMAIL",
        help="Act as this user in the audit log (default: the operating-system user).",
    )(function)


def acting_user(session: Session, email: str | None) -> User | None:
    """The active user named by ``--as``, or None without it. Raises NotFound."""
    if email is None:
        return None
    user = users.find_by_email(session, email)
    if user is None or not user.active:
        raise NotFound(f"--as {email}: no active user has this email.")
    return user
