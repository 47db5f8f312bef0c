"""The outbox worker: claim due deliveries, send them, record each result.

The worker is an edge, like a request or a command: it commits its own short transactions — the
claim, then one per result — and holds none while it talks to a mail server or a webhook
receiver, so on SQLite it never keeps the write lock during a send. Everything a send needs
(the recipient's name and timezone, the endpoint's secret) is read during the claim.

``run(app, once=True)`` drains what is due and returns (cron, tests, ``outbox work --once``);
``run(app)`` loops until ``stop`` is set, checking for due messages every few seconds with a
read that takes no write lock.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tracker.models import OutboxMessage, User, WebhookEndpoint, utcnow
from tracker.services import mail, outbox, webhooks
from tracker.services.outbox import DeliveryFailed

log = logging.getLogger("tracker.outbox")
BATCH = 100
# Accepted deliveries are recorded together, every RECORD_EVERY messages or RECORD_SECONDS,
# whichever comes first: one commit instead of one per message. A worker killed in between
# leaves at most that many to be sent again (at least once; the ids stay the same).
RECORD_EVERY = 20
RECORD_SECONDS = 0.5
PURGE_EVERY = dt.timedelta(hours=1)
# A running worker writes its heartbeat (for GET /readyz) at most this often, so an idle worker
# on SQLite takes the write lock a few times a minute, not at every poll.
HEARTBEAT_EVERY = 15.0


@dataclass(frozen=True)
class Job:
    """One claimed delivery with everything its send needs."""

    id: int
    kind: str
    topic: str
    recipient: str
    subject: str | None
    payload: dict[str, Any]
    body: str | None
    key: str
    created_at: dt.datetime
    message_id: str  # the email's Message-ID, or the webhook-id: the same on every attempt
    person: mail.Recipient | None = None
    secret: str | None = None  # the endpoint's signing secret (None: the endpoint is gone)


@dataclass
class Tally:
    """What one run did."""

    sent: int = 0
    retrying: int = 0
    dead: int = 0

    def add(self, other: Tally) -> None:
        """Add another run's counts to these."""
        self.sent += other.sent
        self.retrying += other.retrying
        self.dead += other.dead


def _jobs(session: Session, messages: list[OutboxMessage]) -> list[Job]:
    user_ids = {m.user_id for m in messages if m.user_id is not None}
    endpoint_ids = {m.endpoint_id for m in messages if m.endpoint_id is not None}
    people = {
        u.id: mail.Recipient(u.email, u.name, u.timezone, u.language)
        for u in (session.scalars(select(User).where(User.id.in_(user_ids))) if user_ids else [])
    }
    endpoints = {
        e.id: e.secret
        for e in (
            session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(endpoint_ids)))
            if endpoint_ids
            else []
        )
    }
    domain = mail.settings().domain
    jobs = []
    for m in messages:
        person = people.get(m.user_id) if m.user_id is not None else None
        jobs.append(
            Job(
                id=m.id,
                kind=m.kind,
                topic=m.topic,
                recipient=m.recipient,
                subject=m.subject,
                payload=dict(m.payload or {}),
                body=m.body,
                key=m.key,
                created_at=m.created_at,
                message_id=m.message_id(domain) if m.kind == "email" else m.webhook_id,
                # The address the message was written to; the name, zone and language as
                # they are now (a language changed before the send is the one it is sent in).
                person=mail.Recipient(m.recipient, person.name, person.timezone, person.language)
                if person
                else mail.Recipient(m.recipient),
                secret=endpoints.get(m.endpoint_id) if m.endpoint_id is not None else None,
            )
        )
    return jobs


class Worker:
    """Sends what the outbox holds for one app."""

    def __init__(self, app: Flask, batch: int = BATCH) -> None:
        self.app = app
        self.batch = batch
        self.max_attempts = int(app.config["OUTBOX_MAX_ATTEMPTS"])
        self.first_retry = dt.timedelta(seconds=int(app.config["OUTBOX_RETRY_SECONDS"]))
        self.keep = dt.timedelta(days=int(app.config["OUTBOX_KEEP_DAYS"]))
        self.lease = dt.timedelta(seconds=int(app.config["OUTBOX_LEASE_SECONDS"]))
        self.stop = threading.Event()
        self.keep_going: Callable[[], bool] = lambda: True  # checked while idle
        self._last_purge = 0.0
        self._last_beat: float | None = None

    def _session(self) -> Session:
        session: Session = self.app.extensions["tracker.sessions"]["write"]()
        return session

    def _claim(self, due_by: dt.datetime | None) -> list[Job]:
        with self._session() as session, session.begin():
            messages = outbox.claim(
                session,
                limit=self.batch,
                max_attempts=self.max_attempts,
                lease=self.lease,
                due_by=due_by,
            )
            return _jobs(session, messages)

    def _due(self, due_by: dt.datetime | None) -> bool:
        # A deferred BEGIN on SQLite: an idle worker's check never takes the write lock.
        with self.app.extensions["tracker.sessions"]["read"]() as session:
            return outbox.is_anything_due(session, due_by)

    def _send(self, job: Job, senders: dict[str, Any]) -> None:
        if job.kind == "email":
            if "email" not in senders:
                senders["email"] = mail.sender()
            message = mail.compose(
                template=job.topic,
                subject_line=job.subject or "",
                payload=job.payload,
                recipient=job.person or mail.Recipient(job.recipient),
                message_id=job.message_id,
                created_at=job.created_at,
            )
            name = f"{job.created_at:%Y%m%d-%H%M%S}-{job.id}-{job.topic}"
            senders["email"].send(message, job.recipient, name)
            return
        if job.secret is None:
            raise DeliveryFailed("The webhook endpoint was removed.", permanent=True)
        webhooks.deliver(
            job.recipient,
            job.body or "",
            job.message_id,
            job.secret,
            bool(self.app.config["WEBHOOK_ALLOW_PRIVATE"]),
        )

    def _record_sent(self, done: list[Job], tally: Tally) -> None:
        """Record accepted deliveries in one short transaction (see ``RECORD_EVERY``)."""
        if not done:
            return
        with self._session() as session, session.begin():
            outbox.mark_sent(session, [(job.id, job.payload) for job in done])
        tally.sent += len(done)
        done.clear()

    def _record_failure(self, job: Job, failure: DeliveryFailed, tally: Tally) -> None:
        with self._session() as session, session.begin():
            message = outbox.mark_failed(
                session,
                job.id,
                failure.message,
                permanent=failure.permanent,
                max_attempts=self.max_attempts,
                first_retry=self.first_retry,
            )
            dead = message.status == "dead"
            retry_at = message.next_attempt_at
        if dead:
            tally.dead += 1
        else:
            tally.retrying += 1
        log.warning(
            "delivery %s (%s %s) failed%s: %s",
            job.id,
            job.kind,
            job.topic,
            "; dead" if dead else f"; retry at {retry_at:%Y-%m-%d %H:%M:%S} UTC",
            failure.message,
        )

    def run_batch(self, due_by: dt.datetime | None = None) -> tuple[int, Tally]:
        """Claim one batch (due by ``due_by``, default now) and send it.

        Returns how many were claimed and what happened to them.
        """
        tally = Tally()
        with self.app.app_context():
            jobs = self._claim(due_by)
            started = time.monotonic()
            senders: dict[str, Any] = {}
            done: list[Job] = []
            recorded = time.monotonic()
            try:
                for index, job in enumerate(jobs):
                    # Stop early, and leave the rest to be claimed again at once, rather than
                    # send after the lease ran out (another worker may have taken them).
                    late = time.monotonic() - started > self.lease.total_seconds() / 2
                    if self.stop.is_set() or late:
                        with self._session() as session, session.begin():
                            outbox.release(session, [j.id for j in jobs[index:]])
                        break
                    try:
                        self._send(job, senders)
                    except DeliveryFailed as failure:
                        self._record_failure(job, failure, tally)
                    except Exception as exc:  # a bug for one message must not stop the rest
                        log.exception(
                            "delivery %s (%s %s) could not be sent", job.id, job.kind, job.topic
                        )
                        unexpected = DeliveryFailed(f"{type(exc).__name__}: {exc}")
                        self._record_failure(job, unexpected, tally)
                    else:
                        done.append(job)
                    if len(done) >= RECORD_EVERY or time.monotonic() - recorded > RECORD_SECONDS:
                        self._record_sent(done, tally)
                        recorded = time.monotonic()
            finally:
                self._record_sent(done, tally)
                for sender in senders.values():
                    sender.close()
            self._purge()
        return len(jobs), tally

    def beat(self) -> None:
        """Record that this worker is alive, unless it did so less than HEARTBEAT_EVERY ago."""
        if self._last_beat is not None and time.monotonic() - self._last_beat < HEARTBEAT_EVERY:
            return
        with self.app.app_context(), self._session() as session, session.begin():
            outbox.record_worker_seen(session)
        self._last_beat = time.monotonic()

    def _purge(self) -> None:
        if time.monotonic() - self._last_purge < PURGE_EVERY.total_seconds():
            return
        self._last_purge = time.monotonic()
        with self._session() as session, session.begin():
            purged = outbox.purge_sent(session, utcnow() - self.keep)
        if purged:
            log.info("outbox: removed %s sent deliveries older than %s", purged, self.keep)

    def run(self, *, once: bool = False, poll: float = 2.0) -> Tally:
        """Send until nothing is due (``once``) or until ``stop`` is set; returns the counts.

        ``once`` sends what was due when it started: a message that fails is not tried again
        in the same run, however short its backoff.
        """
        total = Tally()
        started = utcnow() if once else None
        while not self.stop.is_set():
            try:
                self.beat()
                claimed, tally = self.run_batch(started) if self._due(started) else (0, Tally())
            except DBAPIError:
                if once:
                    raise
                # The database is away (a restart, a failover): keep looking, do not exit.
                log.exception("outbox: the database did not answer; trying again")
                self.stop.wait(poll)
                continue
            total.add(tally)
            if tally.sent or tally.retrying or tally.dead:
                log.info(
                    "outbox: %s sent, %s to retry, %s dead", tally.sent, tally.retrying, tally.dead
                )
            if claimed:
                continue
            if once or not self.keep_going():
                break
            self.stop.wait(poll)
        return total
