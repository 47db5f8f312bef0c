"""What admins see and do with the outbox: deliveries by status, and a dead one sent again."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.errors import Invalid, NotDead, NotFound
from tracker.models import DELIVERY_STATUSES, OutboxMessage, User, utcnow
from tracker.services import audit


def list_deliveries(
    session: Session,
    *,
    status: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[OutboxMessage]:
    """Deliveries newest first, optionally of one status; ``before_id`` pages back (keyset).

    Raises Invalid for a status other than pending, sent or dead.
    """
    if status is not None and status not in DELIVERY_STATUSES:
        raise Invalid.field("status", _("Choose pending, sent or dead."))
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    if before_id is not None:
        query = query.where(OutboxMessage.id < before_id)
    return list(session.scalars(query))


def shown_recipient(message: OutboxMessage) -> str:
    """Who a delivery goes to, as lists show it: the address, or the endpoint's origin only.

    A webhook URL's path can be its credential (chat services put the token there), so lists
    of deliveries show ``https://host/…``; the endpoint list shows the whole URL to admins.
    """
    if message.kind == "email":
        return message.recipient
    parts = urlsplit(message.recipient)
    tail = "/…" if (parts.path not in ("", "/") or parts.query) else "/"
    return f"{parts.scheme}://{parts.netloc}{tail}"


# Counts per status stop here: a page never counts a whole delivery history.
COUNT_CAP = 1000


@dataclass(frozen=True)
class Counts:
    """How many deliveries are pending, sent and dead, each counted up to ``COUNT_CAP``;
    ``capped`` names the statuses that hold more than that."""

    by_status: dict[str, int]
    capped: frozenset[str]

    def shown(self, status: str | None = None) -> str:
        """One status's count as lists show it (``1000+`` past the cap); None: all of them."""
        if status is None:
            total = sum(self.by_status.values())
            return f"{total}+" if self.capped else str(total)
        count = self.by_status[status]
        return f"{count}+" if status in self.capped else str(count)


def counts(session: Session) -> Counts:
    """How many deliveries are pending, sent and dead, in one statement that reads at most
    ``COUNT_CAP + 1`` index entries per status (``ix_outbox_status_id``)."""
    statuses = ("pending", "sent", "dead")
    found = session.execute(
        select(
            *(
                select(func.count())
                .select_from(
                    select(OutboxMessage.id)
                    .where(OutboxMessage.status == status)
                    .limit(COUNT_CAP + 1)
                    .subquery()
                )
                .scalar_subquery()
                for status in statuses
            )
        )
    ).one()
    return Counts(
        by_status={s: min(int(n), COUNT_CAP) for s, n in zip(statuses, found, strict=True)},
        capped=frozenset(s for s, n in zip(statuses, found, strict=True) if n > COUNT_CAP),
    )


def retry(session: Session, actor: User | None, message_id: int) -> OutboxMessage:
    """Send a dead delivery again: pending, due now, with a fresh set of attempts.

    Raises NotFound, NotDead (pending or sent: nothing to retry).
    """
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(_("No such delivery."))
    if message.status != "dead":
        if message.status == "pending":
            why = _("Delivery %(id)s is pending; only a dead one can be retried.", id=message.id)
        else:
            why = _("Delivery %(id)s is sent; only a dead one can be retried.", id=message.id)
        raise NotDead(why)
    message.status = "pending"
    message.attempts = 0
    message.next_attempt_at = utcnow()
    audit.record(
        session,
        actor,
        "outbox.retry",
        message,
        target_type="delivery",
        kind=message.kind,
        topic=message.topic,
        last_error=message.last_error,
    )
    return message
