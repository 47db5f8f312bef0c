"""The outbox: written with the change, set-based, claimed once, retried with backoff, then dead."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import threading

import pytest
from sqlalchemy import event, func, select

from tracker.errors import AlreadyFrozen, NotDead, NotFound
from tracker.models import AuditEvent, Notification, OutboxMessage, WebhookEndpoint, utcnow
from tracker.services import delivery, holds, outbox, outbox_admin, projects, users

REASON = "Client breach INC-7: credentials leaked"  # internal; never in an email
NOTICE = "The client paused <all> work while they audit. Hours so far are safe & paid."
LEASE = dt.timedelta(minutes=5)


def _freeze(db, project, actor=None):
    hold, affected = holds.freeze_project(db, actor, project, reason=REASON, notice=NOTICE)
    db.commit()
    return hold, affected


def _emails(db, **where):
    query = select(OutboxMessage).where(OutboxMessage.kind == "email").order_by(OutboxMessage.id)
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return list(db.scalars(query))


def test_a_freeze_writes_an_email_for_each_active_contractor_on_the_project(db, make):
    project = make.project(code="CHORDUS", name="Core banking")
    on_it = [make.contractor() for _ in range(3)]
    for person in on_it:
        make.assign(project, person)
    disabled = make.contractor()
    make.assign(project, disabled)
    users.update_user(db, None, db.merge(disabled), active=False)
    make.assign(make.project(), make.contractor())  # elsewhere: not told
    db.commit()

    _freeze(db, project)

    rows = _emails(db, topic="hold_started")
    assert sorted(r.recipient for r in rows) == sorted(p.email for p in on_it)
    assert {r.user_id for r in rows} == {p.id for p in on_it}
    for row in rows:
        assert row.status == "pending"
        assert row.attempts == 0
        assert row.subject == "CHORDUS is on hold: time entry is paused"
        assert row.payload["notice"] == NOTICE
        assert row.payload["projects"] == [{"code": "CHORDUS", "name": "Core banking"}]
        assert REASON not in repr(row.payload)
        assert REASON not in row.subject
    # one statement wrote them: they share the key, and the id makes each Message-ID unique
    assert len({r.key for r in rows}) == 1
    assert len({r.message_id("example.com") for r in rows}) == 3


def test_a_refused_freeze_writes_no_email(app, db, make):
    from tracker.db import unit_of_work

    project = make.project()
    make.assign(project, make.contractor())
    _freeze(db, project)
    before = len(_emails(db))
    with pytest.raises(AlreadyFrozen), unit_of_work() as session:
        holds.freeze_project(session, None, project, reason=REASON, notice=NOTICE)
    assert len(_emails(db)) == before


def test_unfreezing_and_closing_email_the_same_people(db, make):
    project = make.project(code="ORION")
    person = make.contractor()
    make.assign(project, person)
    _freeze(db, project)
    holds.unfreeze_project(db, None, db.merge(project), note="Client cleared the audit.")
    db.commit()
    lifted = _emails(db, topic="hold_lifted")
    assert [r.recipient for r in lifted] == [person.email]
    assert lifted[0].payload["note"] == "Client cleared the audit."
    assert lifted[0].payload["closed"] is False

    _freeze(db, project)
    projects.update_project(db, None, db.merge(project), status="closed")
    db.commit()
    closed = _emails(db, topic="hold_lifted")[-1]
    assert closed.payload["closed"] is True
    assert closed.subject == "ORION: the hold ended, the project is closed"


class Statements:
    """Counts the statements an engine runs inside the block."""

    def __init__(self, engine):
        self.engine = engine
        self.count = 0

    def _count(self, *_args):
        self.count += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._count)


def _team(make, size):
    project = make.project()
    for _ in range(size):
        make.assign(project, make.contractor())
    return project


def test_a_freeze_writes_its_emails_in_a_fixed_number_of_statements(db, make, test_engine):
    db.add(WebhookEndpoint(url="https://93.184.215.14/h", events=["hold.started"], secret="whsec_"))
    db.commit()
    small, large = _team(make, 2), _team(make, 40)
    with Statements(test_engine) as few:
        _freeze(db, small)
    with Statements(test_engine) as many:
        _freeze(db, large)
    assert many.count == few.count
    assert len(_emails(db, topic="hold_started")) == 42
    assert db.scalar(select(func.count()).where(OutboxMessage.kind == "webhook")) == 2


def test_backoff_doubles_from_the_first_retry_up_to_an_hour():
    first = dt.timedelta(seconds=60)
    waits = [outbox.backoff(n, first).total_seconds() for n in range(1, 9)]
    assert waits == [60, 120, 240, 480, 960, 1920, 3600, 3600]


def _one_email(db, make):
    person = make.contractor()
    outbox.email_user(db, person.id, outbox.Email("setup_link", _link_payload()))
    db.commit()
    return db.scalar(select(OutboxMessage).order_by(OutboxMessage.id.desc()))


def _link_payload():
    return {"purpose": "reset", "token": "one-time-token", "hours": 24}


def test_a_claimed_message_is_nobody_elses_until_its_lease_runs_out(db, make):
    message = _one_email(db, make)
    now = utcnow()
    taken = outbox.claim(db, limit=10, max_attempts=8, lease=LEASE, now=now)
    db.commit()
    assert [m.id for m in taken] == [message.id]
    assert taken[0].attempts == 1
    assert outbox.claim(db, limit=10, max_attempts=8, lease=LEASE, now=now) == []
    later = now + LEASE + dt.timedelta(seconds=1)  # the claimer died: it is due again
    again = outbox.claim(db, limit=10, max_attempts=8, lease=LEASE, now=later)
    assert [m.id for m in again] == [message.id]
    assert again[0].attempts == 2


def test_failures_back_off_then_the_message_is_dead_with_the_last_error(db, make):
    message = _one_email(db, make)
    now = utcnow()
    first = dt.timedelta(seconds=60)
    for attempt in range(1, 4):
        [taken] = outbox.claim(db, limit=10, max_attempts=3, lease=LEASE, now=now)
        failed = outbox.mark_failed(
            db,
            taken.id,
            f"421 try later ({attempt})",
            permanent=False,
            max_attempts=3,
            first_retry=first,
            now=now,
        )
        db.commit()
        if attempt < 3:
            assert failed.status == "pending"
            assert failed.next_attempt_at == now + outbox.backoff(attempt, first)
            now = failed.next_attempt_at
    db.refresh(message)
    assert message.status == "dead"
    assert message.attempts == 3
    assert message.last_error == "421 try later (3)"
    assert outbox.claim(db, limit=10, max_attempts=3, lease=LEASE, now=now + first * 100) == []


def test_a_permanent_failure_is_dead_at_once(db, make):
    message = _one_email(db, make)
    [taken] = outbox.claim(db, limit=1, max_attempts=8, lease=LEASE)
    outbox.mark_failed(
        db,
        taken.id,
        "550 5.1.1 user unknown",
        permanent=True,
        max_attempts=8,
        first_retry=dt.timedelta(seconds=60),
    )
    db.commit()
    db.refresh(message)
    assert (message.status, message.attempts) == ("dead", 1)


def test_an_admin_retries_a_dead_message_and_it_is_audited(db, make):
    admin = make.admin()
    message = _one_email(db, make)
    [taken] = outbox.claim(db, limit=1, max_attempts=1, lease=LEASE)
    outbox.mark_failed(
        db,
        taken.id,
        "550 no",
        permanent=False,
        max_attempts=1,
        first_retry=dt.timedelta(seconds=60),
    )
    db.commit()
    retried = outbox_admin.retry(db, admin, message.id)
    db.commit()
    assert (retried.status, retried.attempts) == ("pending", 0)
    assert outbox.claim(db, limit=1, max_attempts=1, lease=LEASE)[0].id == message.id
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "outbox.retry"))
    assert (event.actor_id, event.target_type, event.target_id) == (
        admin.id,
        "delivery",
        message.id,
    )
    with pytest.raises(NotDead):
        outbox_admin.retry(db, admin, message.id)
    with pytest.raises(NotFound):
        outbox_admin.retry(db, admin, 999999)


def test_a_worker_that_stopped_on_every_attempt_leaves_the_message_dead(db, make):
    message = _one_email(db, make)
    now = utcnow()
    for _ in range(2):  # claimed, and the worker died before it could record anything
        outbox.claim(db, limit=1, max_attempts=2, lease=LEASE, now=now)
        now += LEASE + dt.timedelta(seconds=1)
    assert outbox.claim(db, limit=1, max_attempts=2, lease=LEASE, now=now) == []
    db.commit()
    db.refresh(message)
    assert message.status == "dead"
    assert "stopped while sending" in message.last_error


def test_a_released_message_is_due_again_without_counting_an_attempt(db, make):
    message = _one_email(db, make)
    [taken] = outbox.claim(db, limit=1, max_attempts=8, lease=LEASE)
    outbox.release(db, [taken.id])
    db.commit()
    [again] = outbox.claim(db, limit=1, max_attempts=8, lease=LEASE)
    assert (again.id, again.attempts) == (message.id, 1)


def test_a_sent_setup_email_keeps_no_token(db, make):
    message = _one_email(db, make)
    outbox.mark_sent(db, [(message.id, message.payload)])
    db.commit()
    db.refresh(message)
    assert message.status == "sent"
    assert "token" not in message.payload
    assert message.payload["purpose"] == "reset"


def test_two_claimers_at_once_on_postgres_take_different_messages(
    app, make, test_engine, is_postgres
):
    if not is_postgres:
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite's BEGIN IMMEDIATE serialises claimers")
    from sqlalchemy.orm import Session

    people = [make.contractor() for _ in range(6)]
    with Session(test_engine) as writer:
        for person in people:
            outbox.email_user(writer, person.id, outbox.Email("setup_link", _link_payload()))
        writer.commit()
    first = Session(test_engine)
    taken_first = [m.id for m in outbox.claim(first, limit=3, max_attempts=8, lease=LEASE)]
    result: list[list[int]] = []

    def second_claim():
        with Session(test_engine) as second:
            result.append(
                [m.id for m in outbox.claim(second, limit=10, max_attempts=8, lease=LEASE)]
            )
            second.commit()

    thread = threading.Thread(target=second_claim)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the second claimer waited for the first one's rows"
    first.commit()
    first.close()
    assert set(result[0]).isdisjoint(taken_first)
    assert len(result[0]) == 3


def test_the_worker_writes_each_email_as_an_eml_file_without_smtp(app, db, make, tmp_path):
    person = make.contractor(name="Dana Diaz", timezone="Asia/Tokyo")
    project = make.project(code="CHORDUS", name="Core banking")
    make.assign(project, person)
    hold, _ = _freeze(db, project)

    tally = delivery.Worker(app).run(once=True)

    assert (tally.sent, tally.retrying, tally.dead) == (1, 0, 0)
    [path] = sorted((tmp_path / "mail").glob("*.eml"))
    assert path.name.endswith("-hold_started.eml")
    assert path.stat().st_mode & 0o777 == 0o600
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    row = _emails(db)[0]
    assert message["To"].addresses[0].addr_spec == person.email
    assert message["Message-ID"] == row.message_id(app.extensions["tracker.mail"].domain)
    text = message.get_body(("plain",)).get_content()
    assert "Hello Dana Diaz," in text
    assert NOTICE in text
    assert REASON not in message.as_string()
    started = hold.started_at.astimezone(dt.timezone(dt.timedelta(hours=9)))
    assert f"since {started:%Y-%m-%d %H:%M} JST" in text
    assert "http://tracker.test/offers" in text
    html = message.get_body(("html",)).get_content()
    assert "&lt;all&gt;" in html
    assert "<all>" not in html
    db.refresh(row)
    assert (row.status, row.attempts) == ("sent", 1)
    assert row.sent_at is not None
    assert delivery.Worker(app).run(once=True).sent == 0  # nothing twice


def test_notifications_and_emails_of_one_notice_count_the_same_people(db, make):
    project = _team(make, 4)
    _hold, affected = _freeze(db, project)
    notes = db.scalar(
        select(func.count()).select_from(Notification).where(Notification.kind == "hold_started")
    )
    assert affected == notes == len(_emails(db, topic="hold_started")) == 4


def test_a_message_that_cannot_be_built_fails_alone_and_the_rest_go_out(app, db, make, tmp_path):
    broken, fine = make.contractor(), make.contractor()
    outbox.email_user(db, fine.id, outbox.Email("setup_link", _link_payload()))
    db.add(
        OutboxMessage(
            kind="email",
            topic="no_such_notice",
            recipient=broken.email,
            user_id=broken.id,
            payload={},
            key="k",
            next_attempt_at=utcnow(),
        )
    )
    db.commit()
    tally = delivery.Worker(app).run(once=True)
    assert (tally.sent, tally.retrying) == (1, 1)
    failed = db.scalar(select(OutboxMessage).where(OutboxMessage.topic == "no_such_notice"))
    assert failed.status == "pending"
    assert failed.last_error.startswith("TemplateNotFound: email/no_such_notice.txt")
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1
