"""Webhooks: registration checks, signed deliveries verified by the standardwebhooks library at a
real HTTP receiver, Slack format, the reason only for internal endpoints, retries, redirects."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from tests.dates import days_ago
from tests.receivers import json_of, self_signed, webhook_receiver
from tracker.errors import Invalid
from tracker.models import AuditEvent, OutboxMessage, User, WebhookEndpoint
from tracker.services import delivery, entries, holds, payroll_batches, reassignment, webhooks

REASON = "Client breach INC-7: credentials leaked"
NOTICE = "CHORDUS is paused <while> the client investigates & audits."
PUBLIC_URL = "https://93.184.215.14/hooks/tracker"  # a public address: nothing is sent to it


@pytest.fixture
def private_ok(app):
    """Let endpoints on 127.0.0.1 be registered and reached (the test receivers live there)."""
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True


def _register(db, url, events=("hold.started", "hold.lifted"), **kw):
    endpoint, secret = webhooks.register(db, None, url=url, events=list(events), **kw)
    db.commit()
    return endpoint, secret


def _freeze(db, make, size=2):
    project = make.project(code="CHORDUS", name="Core banking", client="Acme")
    for _ in range(size):
        make.assign(project, make.contractor())
    hold, _ = holds.freeze_project(db, None, project, reason=REASON, notice=NOTICE)
    db.commit()
    return project, hold


def _webhook_rows(db):
    return list(
        db.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "webhook").order_by(OutboxMessage.id)
        )
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "Give the URL that should receive the events."),
        ("ftp://93.184.215.14/x", "Only http:// and https:// URLs can receive webhooks."),
        ("javascript:alert(1)", "Not a URL: give the full address"),
        ("hooks.example.com/tracker", "Not a URL: give the full address"),
        ("https://", "Not a URL: give the full address"),
        ("https://93.184.215.14:99999/x", "The port must be a number from 1 to 65535."),
        ("https://user:pw@93.184.215.14/x", "Leave credentials out of the URL"),
        ("https://93.184.215.14/x y", "A URL has no spaces or control characters."),
        ("http://127.0.0.1:8080/x", "127.0.0.1, which is not a public address"),
        ("http://localhost/x", "localhost resolves to"),
        ("http://10.1.2.3/x", "10.1.2.3, which is not a public address"),
        ("http://192.168.1.20/x", "not a public address"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254, which is not a public"),
        ("http://[::1]/x", "::1, which is not a public address"),
        ("http://[::ffff:10.0.0.1]/x", "not a public address"),
        ("http://100.64.0.1/x", "not a public address"),
        ("https://no-such-host.invalid/x", "could not be found"),
        ("https://93.184.215.14/x#frag", "no #fragment"),
        ("https://93.184.215.14/" + "x" * 2100, "At most 2,048 characters."),
    ],
)
def test_a_url_that_cannot_receive_webhooks_is_refused_naming_the_field(db, url, message):
    with pytest.raises(Invalid) as refused:
        webhooks.register(db, None, url=url, events=["hold.started"])
    assert list(refused.value.fields) == ["url"]
    assert message in refused.value.fields["url"][0]


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"events": []}, "events"),
        ({"events": "hold.started"}, "events"),
        ({"events": ["hold.started", "hold.exploded"]}, "events"),
        ({"format": "teams"}, "format"),
        ({"internal": "yes"}, "internal"),
    ],
)
def test_bad_events_format_or_flag_are_refused_naming_the_field(db, fields, name):
    values = {"url": PUBLIC_URL, "events": ["hold.started"], **fields}
    with pytest.raises(Invalid) as refused:
        webhooks.register(db, None, **values)
    assert list(refused.value.fields) == [name]


def test_registering_gives_a_standard_webhooks_secret_once_and_audits_without_it(db, make):
    admin = make.admin()
    endpoint, secret = webhooks.register(
        db,
        admin,
        url=PUBLIC_URL,
        events=["incident.updated", "incident.started", "hold.started"],
    )
    db.commit()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
    assert endpoint.events == ["incident.started", "incident.updated", "hold.started"]
    assert (endpoint.format, endpoint.internal) == ("standard", False)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "webhook.create"))
    assert event.actor_id == admin.id
    assert event.data["after"]["url"] == PUBLIC_URL
    assert secret not in str(event.data)


def test_each_delivery_is_signed_so_the_standard_library_verifies_it(app, db, make, private_ok):
    with webhook_receiver() as receiver:
        _endpoint, secret = _register(db, receiver.url())
        receiver.secret = secret
        project, hold = _freeze(db, make, size=3)
        assert delivery.Worker(app).run(once=True).sent == 4  # 3 emails and the webhook
    [got] = receiver.deliveries
    assert got.path == "/hooks/tracker"
    assert got.verified is not None, "standardwebhooks could not verify the signature"
    assert got.headers["content-type"] == "application/json"
    assert got.headers["webhook-id"] == _webhook_rows(db)[0].webhook_id
    body = got.verified
    assert body["type"] == "hold.started"
    assert body["timestamp"].endswith("Z")
    assert body["data"]["project"] == {
        "id": project.id,
        "code": "CHORDUS",
        "name": "Core banking",
        "client": "Acme",
        "status": "frozen",
    }
    assert body["data"]["hold"]["notice"] == NOTICE
    assert body["data"]["hold"]["id"] == hold.id
    assert body["data"]["affected_contractors"] == 3
    assert "reason" not in body["data"]["hold"]
    assert REASON not in got.body.decode()


def test_only_an_internal_endpoint_gets_the_reason(app, db, make, private_ok):
    with webhook_receiver() as receiver:
        _inside, _inside_secret = _register(db, receiver.url("/internal"), internal=True)
        _outside, _outside_secret = _register(db, receiver.url("/outside"))
        _freeze(db, make)
        delivery.Worker(app).run(once=True)
    by_path = {d.path: d for d in receiver.deliveries}
    assert json_of(by_path["/internal"])["data"]["hold"]["reason"] == REASON
    assert REASON not in by_path["/outside"].body.decode()


def test_a_slack_endpoint_gets_a_readable_message_with_the_same_signed_headers(
    app, db, make, private_ok
):
    with webhook_receiver() as receiver:
        _endpoint, secret = _register(db, receiver.url("/slack"), format="slack")
        receiver.secret = secret
        project, _hold = _freeze(db, make, size=2)
        holds.unfreeze_project(db, None, db.merge(project), note="Client is clear.")
        db.commit()
        delivery.Worker(app).run(once=True)
    started, lifted = receiver.deliveries
    assert set(started.verified) == {"text"}
    text = started.verified["text"]
    assert "*CHORDUS — Core banking* is on hold" in text
    assert "2 contractors" in text
    assert "&lt;while&gt;" in text
    assert "&amp; audits" in text
    assert REASON not in text
    assert "The hold on *CHORDUS — Core banking* is lifted" in lifted.verified["text"]
    assert "Note: Client is clear." in lifted.verified["text"]


def test_a_receiver_answering_500_then_200_gets_it_once_more_with_the_same_id(
    app, db, make, private_ok
):
    app.config["OUTBOX_RETRY_SECONDS"] = 0
    with webhook_receiver() as receiver:
        _endpoint, secret = _register(db, receiver.url())
        receiver.secret = secret
        receiver.answers = [(500, {})]
        _freeze(db, make)
        first = delivery.Worker(app).run(once=True)
        [row] = _webhook_rows(db)
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.last_error == "127.0.0.1 answered HTTP 500 ok"
        second = delivery.Worker(app).run(once=True)
        third = delivery.Worker(app).run(once=True)
    assert (first.retrying, second.sent, third.sent) == (1, 1, 0)
    assert [d.verified is not None for d in receiver.deliveries] == [True, True]
    assert len(set(receiver.ids())) == 1  # a retry is recognisable: the same webhook-id
    db.refresh(row)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)


def test_a_redirect_is_not_followed(app, db, make, private_ok):
    with webhook_receiver() as receiver:
        _register(db, receiver.url())
        elsewhere = receiver.url("/elsewhere")
        receiver.answers = [(307, {"Location": elsewhere})]
        _freeze(db, make)
        tally = delivery.Worker(app).run(once=True)
    assert tally.retrying == 1
    assert [d.path for d in receiver.deliveries] == ["/hooks/tracker"]
    [row] = _webhook_rows(db)
    assert row.status == "pending"
    assert "HTTP 307, a redirect to 127.0.0.1; redirects are not followed" in row.last_error


def test_addresses_are_checked_again_when_sending(app, db, make, private_ok):
    with webhook_receiver() as receiver:
        _register(db, receiver.url())
        _freeze(db, make)
        app.config["WEBHOOK_ALLOW_PRIVATE"] = False  # the setting was turned off since
        tally = delivery.Worker(app).run(once=True)
    assert receiver.deliveries == []
    assert tally.dead == 1
    [row] = _webhook_rows(db)
    assert row.status == "dead"
    assert "127.0.0.1, which is not a public address" in row.last_error


def test_an_endpoint_gets_only_the_events_it_chose(db, make, private_ok):
    _register(db, "http://127.0.0.1:9/lifted-only", events=["hold.lifted"])
    _register(db, "http://127.0.0.1:9/incidents", events=["incident.started"])
    project, _hold = _freeze(db, make)
    assert _webhook_rows(db) == []
    holds.unfreeze_project(db, None, db.merge(project))
    db.commit()
    [row] = _webhook_rows(db)
    assert (row.topic, row.recipient) == ("hold.lifted", "http://127.0.0.1:9/lifted-only")


def test_removing_an_endpoint_stops_what_was_waiting_for_it(app, db, make, private_ok):
    admin = make.admin()
    with webhook_receiver() as receiver:
        endpoint, _secret = _register(db, receiver.url())
        _freeze(db, make)
        webhooks.remove(db, admin, endpoint.id)
        db.commit()
        delivery.Worker(app).run(once=True)
    assert receiver.deliveries == []
    [row] = _webhook_rows(db)
    assert (row.status, row.last_error) == ("dead", "The webhook endpoint was removed.")
    assert db.get(WebhookEndpoint, endpoint.id) is None
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "webhook.delete")) is not None


def test_reassignment_and_payroll_batches_are_events_too(app, db, make, private_ok):
    _register(
        db, "http://127.0.0.1:9/all", events=["reassignment.accepted", "payroll.batch_created"]
    )
    admin = make.admin()
    contractor = make.contractor()
    held = make.project(code="CHORDUS")
    target = make.project(code="ORION", name="Orion platform")
    make.assign(held, contractor)
    make.hold(held)
    reassignment.accept(
        db, db.get(User, contractor.id), from_project_id=held.id, to_project_id=target.id
    )
    db.commit()
    day = days_ago(20)
    entry = make.entry(contractor, held, work_date=day, minutes=90)
    entries.approve(db, db.get(User, admin.id), [entry.id])
    batch = payroll_batches.create_batch(db, db.get(User, admin.id), day, day)
    db.commit()
    moved, batched = _webhook_rows(db)
    data = json_of_body(moved)["data"]
    assert moved.topic == "reassignment.accepted"
    assert (data["from_project"]["code"], data["to_project"]["code"], data["by"]) == (
        "CHORDUS",
        "ORION",
        "contractor",
    )
    assert [c["user_id"] for c in data["contractors"]] == [contractor.id]
    assert batched.topic == "payroll.batch_created"
    assert json_of_body(batched)["data"]["batch"]["sha256"] == batch.sha256


def json_of_body(row):
    import json

    return json.loads(row.body)


def test_https_endpoints_are_checked_against_their_certificate(
    app, db, make, private_ok, tmp_path, monkeypatch
):
    certificate = self_signed(tmp_path)
    with webhook_receiver(certificate=certificate) as receiver:
        _endpoint, secret = _register(db, receiver.url())
        receiver.secret = secret
        _freeze(db, make, size=1)
        delivery.Worker(app).run(once=True)  # not trusted yet: refused, retried later
        assert receiver.deliveries == []
        [row] = _webhook_rows(db)
        assert "CERTIFICATE_VERIFY_FAILED" in row.last_error
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
        row.next_attempt_at = row.created_at
        db.commit()
        assert delivery.Worker(app).run(once=True).sent == 1
    [got] = receiver.deliveries
    assert got.verified["type"] == "hold.started"


@pytest.mark.slow
def test_a_receiver_that_takes_more_than_5_seconds_has_failed(app, db, make, private_ok):
    with webhook_receiver() as receiver:
        _register(db, receiver.url())
        receiver.delay = webhooks.TIMEOUT + 1
        _freeze(db, make, size=1)
        tally = delivery.Worker(app).run(once=True)
    assert tally.retrying == 1
    [row] = _webhook_rows(db)
    assert row.status == "pending"
    assert "timed out" in row.last_error
