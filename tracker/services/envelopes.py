"""What the outbox carries and how a send fails: shared by the outbox, email and webhooks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class DeliveryFailed(Exception):
    """A send did not succeed: ``permanent`` when retrying cannot help (the receiver refused)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


@dataclass(frozen=True)
class Email:
    """An email to write: its template (``templates/email/<template>.*``) and their context.

    The context is JSON (strings, numbers, lists, dicts): it is stored with the message and
    rendered for each recipient when the worker sends it. It never holds an internal reason.
    """

    template: str
    payload: dict[str, Any] = field(default_factory=dict)
