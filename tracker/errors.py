"""Domain errors raised by services; each interface translates them in one place.

Every error carries the API's fixed ``code``, its HTTP status, a sentence a contractor
understands, and any extra keys the API returns beside the code.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _


class DomainError(Exception):
    """A rule refused the action. Subclasses fix the code and the HTTP status."""

    code = "invalid"
    status = 422

    def __init__(self, message: str, **extra: Any) -> None:
        message = str(message)  # a lazily translated text becomes the reader's words now
        super().__init__(message)
        self.message = message
        self.extra = extra
        self.audit: dict[str, Any] | None = None

    def logged(self, action: str, actor_id: int | None, **data: Any) -> DomainError:
        """Ask the edge to record this refusal as an audit event after rolling back."""
        self.audit = {"action": action, "actor_id": actor_id, "data": data}
        return self

    def to_dict(self) -> dict[str, Any]:
        """The API's error body."""
        return {"error": {"code": self.code, "message": self.message, **self.extra}}


class Invalid(DomainError):
    """Input failed validation; ``fields`` maps each field to its messages."""

    code = "invalid"
    status = 422

    def __init__(self, fields: dict[str, list[str]], message: str | None = None) -> None:
        fields = {name: [str(text) for text in texts] for name, texts in fields.items()}
        self.fields = fields
        if message is None:
            first = next(iter(fields.items()), ("input", [_("The input is not valid.")]))
            message = f"{first[0]}: {first[1][0]}"
        super().__init__(message, fields=fields)

    @classmethod
    def field(cls, name: str, message: str) -> Invalid:
        """An Invalid error about one field."""
        return cls({name: [message]})


class NotFound(DomainError):
    """The object does not exist, or it is not the caller's (never say which)."""

    code = "not_found"
    status = 404


class Forbidden(DomainError):
    """The caller's role may not do this."""

    code = "forbidden"
    status = 403


class Unauthorized(DomainError):
    """No valid credentials."""

    code = "unauthorized"
    status = 401


class RateLimited(DomainError):
    """Too many attempts; ``retry_after`` is in seconds."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """Not a rule: the database cannot serve the request now (see ``tracker.db_faults``).

    Nothing was saved; ``retry_after`` (seconds, or None) says when sending it again may work.
    """

    code = "unavailable"
    status = 503

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


# 422: invalid input under the entry rules
class NotAssigned(DomainError):
    code = "not_assigned"
    status = 422


class NotAssignedOnDay(NotAssigned):
    """On the project, but not on that day: the work date is what to change (same API code)."""


class FutureDate(DomainError):
    code = "future_date"
    status = 422


class DailyLimit(DomainError):
    code = "daily_limit"
    status = 422


class PeriodLocked(DomainError):
    code = "period_locked"
    status = 422


# 409: a rule about the state of things refused it
class Conflict(DomainError):
    status = 409


class ProjectFrozen(Conflict):
    """The project is on hold; carries the hold (id, started_at, notice) for the API."""

    code = "project_frozen"


class ProjectClosed(Conflict):
    code = "project_closed"


class AlreadyFrozen(Conflict):
    code = "already_frozen"


class NotFrozen(Conflict):
    code = "not_frozen"


class ProjectFull(Conflict):
    code = "project_full"


class AlreadyAssigned(Conflict):
    code = "already_assigned"


class NotOnHold(Conflict):
    code = "not_on_hold"


class NotOpenToReassignment(Conflict):
    code = "not_open_to_reassignment"


class EntryLocked(Conflict):
    code = "entry_locked"


class EntryChanged(Conflict):
    """The entry changed after the caller saw it; ``changed`` maps each entry id to why."""

    code = "entry_changed"

    def __init__(self, message: str, changed: dict[int, str]) -> None:
        super().__init__(message, entries=[{"id": i, "reason": r} for i, r in changed.items()])
        self.changed = changed


class Duplicate(Invalid):
    """A unique value (email, project code) is taken; reported as a field error."""


class NotDead(Conflict):
    """Only a dead delivery can be sent again."""

    code = "not_dead"
