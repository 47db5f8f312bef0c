"""The outbox: every email and webhook delivery, written in the same
transaction as the change that causes it and sent afterwards by the worker.

Writing is set-based: a notice to 10,000 people is one ``INSERT … SELECT`` over the users, never
one statement per person. Reading is the worker's: ``claim`` takes due messages
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers never take the same one; SQLite's
``BEGIN IMMEDIATE`` serialises claims) and moves each a lease into the future; ``mark_sent`` and
``mark_failed`` settle them. A worker that dies mid-batch leaves its messages due again when the
lease runs out: at least once, never lost. Failures back off exponentially and a message is dead
after ``max_attempts``; an admin can send a dead one again (``tracker.services.outbox_admin``).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

from sqlalchemy import (
    JSON,
    Integer,
    String,
    Table,
    bindparam,
    cast,
    delete,
    exists,
    insert,
    literal,
    null,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from tracker.db import is_postgres
from tracker.models import OutboxMessage, User, UTCDateTime, WorkerHeartbeat, utcnow
from tracker.services import mail
from tracker.services.envelopes import DeliveryFailed, Email

__all__ = ["DeliveryFailed", "Email"]  # where callers have always found them

MAX_BACKOFF = dt.timedelta(hours=1)
# Payload keys that hold a one-time secret (a setup link's token): dropped once the email is sent.
SECRETS = frozenset({"token"})
_COLUMNS = [
    "kind",
    "status",
    "topic",
    "recipient",
    "subject",
    "user_id",
    "payload",
    "key",
    "dedupe_key",
    "attempts",
    "next_attempt_at",
    "created_at",
]


def _new_key() -> str:
    return secrets.token_hex(8)


def email_people(
    session: Session,
    people: Select[Any],
    email: Email,
    *,
    optional: bool = False,
    dedupe_prefix: str | None = None,
) -> int:
    """Write one email per active user whose id ``people`` selects; returns how many.

    One ``INSERT … SELECT`` statement, whatever the number of people. ``optional`` emails
    (reminders) skip people who turned them off; notices that matter never do. With
    ``dedupe_prefix``, each row's ``dedupe_key`` is the prefix and the user id, unique in the
    table, so the same reminder can never be written twice.
    """

    now = utcnow()
    dedupe: Any = null()
    if dedupe_prefix is not None:
        dedupe = literal(dedupe_prefix, String()) + cast(User.id, String())
    rows = select(
        literal("email", String()),
        literal("pending", String()),
        literal(email.template, String()),
        User.email,
        literal(mail.subject(email), String()),
        User.id,
        literal(email.payload, JSON()),
        literal(_new_key(), String()),
        dedupe,
        literal(0, Integer()),
        literal(now, UTCDateTime()),
        literal(now, UTCDateTime()),
    ).where(
        # correlate(None): a people query over users stays a query of its own here
        User.id.in_(people.correlate(None).scalar_subquery()),
        User.active.is_(True),
    )
    if optional:
        rows = rows.where(User.reminders.is_(True))
    statement = insert(OutboxMessage).from_select(_COLUMNS, rows)
    result = session.execute(statement.execution_options(preserve_rowcount=True))
    return int(result.rowcount)  # type: ignore[attr-defined]


def email_user(session: Session, user_id: int, email: Email) -> int:
    """Write one email to one user (if active); returns 1, or 0 for a disabled account."""
    return email_people(session, select(User.id).where(User.id == user_id), email)


def email_each(session: Session, emails: list[tuple[int, Email]]) -> int:
    """Write emails whose context differs per person, as (user id, email); returns how many.

    Two statements whatever the number: read the addresses, insert the rows. Disabled accounts
    are skipped.
    """

    if not emails:
        return 0
    wanted = {user_id for user_id, _email in emails}
    addresses = dict(
        session.execute(
            select(User.id, User.email).where(User.id.in_(wanted), User.active.is_(True))
        ).all()
    )
    now = utcnow()
    key = _new_key()
    subjects: dict[str, str] = {}

    def subject(email: Email) -> str:
        # A subject never shows a secret, so emails alike but for their tokens share one:
        # 10,000 welcome emails render it once.
        shown = {k: v for k, v in email.payload.items() if k not in SECRETS}
        alike = json.dumps([email.template, shown], sort_keys=True, default=str)
        if alike not in subjects:
            subjects[alike] = mail.subject(email)
        return subjects[alike]

    rows = [
        {
            "kind": "email",
            "status": "pending",
            "topic": email.template,
            "recipient": addresses[user_id],
            "subject": subject(email),
            "user_id": user_id,
            "payload": email.payload,
            "key": key,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for user_id, email in emails
        if user_id in addresses
    ]
    if rows:
        session.execute(insert(OutboxMessage), rows)
    return len(rows)


def add_webhooks(session: Session, event: str, deliveries: list[tuple[int, str, str]]) -> int:
    """Write one webhook delivery per (endpoint id, URL, exact JSON body); returns how many."""
    if not deliveries:
        return 0
    now = utcnow()
    key = _new_key()
    session.execute(
        insert(OutboxMessage),
        [
            {
                "kind": "webhook",
                "status": "pending",
                "topic": event,
                "recipient": url,
                "endpoint_id": endpoint_id,
                "payload": {},
                "body": body,
                "key": key,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for endpoint_id, url, body in deliveries
        ],
    )
    return len(deliveries)


def backoff(attempts: int, first_retry: dt.timedelta) -> dt.timedelta:
    """How long to wait after the attempts so far: first_retry, then doubling, at most an hour."""
    if attempts < 1:
        return dt.timedelta(0)
    return min(first_retry * (2 ** (attempts - 1)), max(MAX_BACKOFF, first_retry))


def _due(now: dt.datetime) -> Any:
    return (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now)


def is_anything_due(session: Session, due_by: dt.datetime | None = None) -> bool:
    """True when a pending message is due (the worker's cheap check before it claims)."""
    return session.scalar(select(exists().where(_due(due_by or utcnow())))) or False


def claim(
    session: Session,
    *,
    limit: int,
    max_attempts: int,
    lease: dt.timedelta,
    now: dt.datetime | None = None,
    due_by: dt.datetime | None = None,
) -> list[OutboxMessage]:
    """Take up to ``limit`` messages due by ``due_by`` (default now), oldest first, for the
    lease; counts the attempt.

    A message that used up its attempts while a worker was sending it (the worker died each
    time) is marked dead here instead. PostgreSQL: rows another worker is claiming are skipped,
    never waited for, and never taken twice.
    """
    now = now or utcnow()
    due_by = min(due_by or now, now)
    session.execute(
        update(OutboxMessage)
        .where(_due(due_by), OutboxMessage.attempts >= max_attempts)
        .values(
            status="dead",
            last_error="The worker stopped while sending it, on every attempt.",
        )
        .execution_options(synchronize_session=False)
    )
    due = (
        select(OutboxMessage.id)
        .where(_due(due_by))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if is_postgres(session):
        due = due.with_for_update(skip_locked=True)
    claimed = session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()))
        .values(next_attempt_at=now + lease, attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False, populate_existing=True)
    ).all()
    return sorted(claimed, key=lambda m: m.id)


def mark_sent(
    session: Session, sent: list[tuple[int, dict[str, Any]]], now: dt.datetime | None = None
) -> None:
    """Record deliveries the receivers accepted, as (id, context), in one statement.

    A one-time secret in a context (a setup link's token) is dropped from the stored copy.
    """
    if not sent:
        return
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_([message_id for message_id, _payload in sent]))
        .values(status="sent", sent_at=now or utcnow(), last_error=None)
        .execution_options(synchronize_session=False)
    )
    scrubbed = [
        {"message_id": message_id, "clean": {k: v for k, v in payload.items() if k not in SECRETS}}
        for message_id, payload in sent
        if SECRETS & payload.keys()
    ]
    if scrubbed:
        table: Table = OutboxMessage.__table__  # type: ignore[assignment]  # Core executemany
        session.execute(
            update(table)
            .where(table.c.id == bindparam("message_id"))
            .values(payload=bindparam("clean", type_=JSON())),
            scrubbed,
        )


def mark_failed(
    session: Session,
    message_id: int,
    error: str,
    *,
    permanent: bool,
    max_attempts: int,
    first_retry: dt.timedelta,
    now: dt.datetime | None = None,
) -> OutboxMessage:
    """Record a failed attempt: retried after a backoff, or dead (permanent, or out of attempts)."""
    now = now or utcnow()
    message = session.get_one(OutboxMessage, message_id)
    message.last_error = error[:2000]
    if permanent or message.attempts >= max_attempts:
        message.status = "dead"
    else:
        message.next_attempt_at = now + backoff(message.attempts, first_retry)
    return message


def release(session: Session, message_ids: list[int], now: dt.datetime | None = None) -> None:
    """Give back claimed messages a stopping worker did not try: due now, attempt not counted."""
    if message_ids:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(message_ids), OutboxMessage.status == "pending")
            .values(next_attempt_at=now or utcnow(), attempts=OutboxMessage.attempts - 1)
            .execution_options(synchronize_session=False)
        )


def purge_sent(session: Session, older_than: dt.datetime, limit: int = 5000) -> int:
    """Delete up to ``limit`` sent deliveries older than the given instant; returns how many."""
    doomed = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "sent", OutboxMessage.sent_at < older_than)
        .limit(limit)
    )
    result = session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.id.in_(doomed.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


WORKER = "outbox"


def record_worker_seen(session: Session, now: dt.datetime | None = None) -> None:
    """Note that an outbox worker is alive now (``GET /readyz`` asks when this last happened)."""
    now = now or utcnow()
    updated = session.execute(
        update(WorkerHeartbeat).where(WorkerHeartbeat.kind == WORKER).values(seen_at=now)
    )
    if updated.rowcount:  # type: ignore[attr-defined]
        return
    try:
        with session.begin_nested():  # another worker may insert the row at the same moment
            session.execute(insert(WorkerHeartbeat).values(kind=WORKER, seen_at=now))
    except IntegrityError:
        session.execute(
            update(WorkerHeartbeat).where(WorkerHeartbeat.kind == WORKER).values(seen_at=now)
        )


def worker_last_seen(session: Session) -> dt.datetime | None:
    """When an outbox worker last showed it was alive; None when none ever ran here."""
    seen: dt.datetime | None = session.scalar(
        select(WorkerHeartbeat.seen_at).where(WorkerHeartbeat.kind == WORKER)
    )
    return seen


def worker_staleness(session: Session, stale_after: dt.timedelta) -> str | None:
    """None while a worker was seen within ``stale_after``; otherwise a sentence saying not."""
    seen = worker_last_seen(session)
    if seen is None:
        return "no outbox worker has run yet; start `flask --app tracker outbox work`"
    quiet = utcnow() - seen
    if quiet <= stale_after:
        return None
    return (
        f"the outbox worker was last seen {int(quiet.total_seconds())} s ago (more than "
        f"{int(stale_after.total_seconds())} s); emails and webhooks are not being sent"
    )
