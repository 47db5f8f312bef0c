"""Email over real SMTP (aiosmtpd on a free port): plain, STARTTLS, TLS, authentication, faults."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.live import free_port
from tests.receivers import self_signed, smtp_server
from tracker.models import OutboxMessage
from tracker.services import delivery, holds, mail

REASON = "Vendor compromise, legal hold INC-88"  # internal: never in an email
NOTICE = "ORION is paused while the client checks its systems. Logged hours are safe."
USER, PASSWORD = "relay@tracker.test", "s3cret:with@odd/chars"
QUOTED = "relay%40tracker.test:s3cret%3Awith%40odd%2Fchars"


def use_smtp(app, url):
    """Point the app at a mail server, through the same start-up check as TRACKER_SMTP_URL."""
    app.config["SMTP_URL"] = url
    app.config["MAIL_FROM"] = "Tracker <tracker@tracker.test>"
    mail.init_app(app)


def _freeze_team(db, make, size=3, **people):
    project = make.project(code="ORION", name="Orion platform")
    team = [make.contractor(**people) for _ in range(size)]
    for person in team:
        make.assign(project, person)
    holds.freeze_project(db, None, project, reason=REASON, notice=NOTICE)
    db.commit()
    return team


def _rows(db):
    return list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_plain_smtp_delivers_each_notice_to_its_contractor(app, db, make):
    team = _freeze_team(db, make, size=2)
    with smtp_server() as server:
        use_smtp(app, f"smtp://127.0.0.1:{server.port}")
        tally = delivery.Worker(app).run(once=True)
    assert tally.sent == 2
    assert sorted(r.rcpt_tos[0] for r in server.received) == sorted(p.email for p in team)
    rows = {r.recipient: r for r in _rows(db)}
    for got in server.received:
        row = rows[got.rcpt_tos[0]]
        assert got.mail_from == "tracker@tracker.test"
        assert got.message["Subject"] == "ORION is on hold: time entry is paused"
        assert got.message["Message-ID"] == row.message_id("tracker.test")
        assert got.message["Auto-Submitted"] == "auto-generated"
        assert NOTICE in got.text
        assert NOTICE in got.html
        assert "http://tracker.test/offers" in got.text
        assert REASON not in got.message.as_string()
        assert (row.status, row.attempts) == ("sent", 1)


def test_starttls_with_authentication(app, db, make, tmp_path, monkeypatch):
    certificate = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # trust the test's own CA
    _freeze_team(db, make, size=1)
    with smtp_server(
        security="starttls", certificate=certificate, login=(USER, PASSWORD)
    ) as server:
        use_smtp(app, f"smtp+starttls://{QUOTED}@127.0.0.1:{server.port}")
        assert delivery.Worker(app).run(once=True).sent == 1
    [got] = server.received
    assert got.tls is True
    assert got.authenticated_as == USER


def test_tls_from_the_first_byte_with_authentication(app, db, make, tmp_path, monkeypatch):
    certificate = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    _freeze_team(db, make, size=2)
    with smtp_server(security="tls", certificate=certificate, login=(USER, PASSWORD)) as server:
        use_smtp(app, f"smtps://{QUOTED}@127.0.0.1:{server.port}")
        assert delivery.Worker(app).run(once=True).sent == 2
    assert all(r.tls and r.authenticated_as == USER for r in server.received)


def test_a_wrong_password_keeps_the_messages_pending_and_never_shows_it(
    app, db, make, tmp_path, monkeypatch
):
    certificate = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    _freeze_team(db, make, size=2)
    with smtp_server(
        security="starttls", certificate=certificate, login=(USER, PASSWORD)
    ) as server:
        use_smtp(app, f"smtp+starttls://relay%40tracker.test:wrong-one@127.0.0.1:{server.port}")
        tally = delivery.Worker(app).run(once=True)
    assert server.received == []
    assert (tally.sent, tally.retrying) == (0, 2)
    for row in _rows(db):
        assert row.status == "pending"
        assert row.last_error.startswith(f"smtp+starttls://127.0.0.1:{server.port}: 535")
        assert "wrong-one" not in row.last_error


def test_a_certificate_nobody_vouches_for_is_refused(app, db, make, tmp_path):
    certificate = self_signed(tmp_path)  # not trusted: SSL_CERT_FILE left alone
    _freeze_team(db, make, size=1)
    with smtp_server(security="starttls", certificate=certificate) as server:
        use_smtp(app, f"smtp+starttls://127.0.0.1:{server.port}")
        delivery.Worker(app).run(once=True)
    assert server.received == []
    [row] = _rows(db)
    assert row.status == "pending"
    assert "certificate verify failed" in row.last_error


def test_a_rejected_recipient_is_dead_with_the_servers_answer_and_the_rest_go_out(app, db, make):
    team = _freeze_team(db, make, size=3)
    refused = team[1].email
    with smtp_server(reject={refused}) as server:
        use_smtp(app, f"smtp://127.0.0.1:{server.port}")
        tally = delivery.Worker(app).run(once=True)
    assert (tally.sent, tally.dead) == (2, 1)
    assert sorted(r.rcpt_tos[0] for r in server.received) == sorted(
        p.email for p in team if p.email != refused
    )
    dead = next(r for r in _rows(db) if r.recipient == refused)
    assert dead.status == "dead"
    assert dead.last_error == f"550 5.1.1 <{refused}>: Recipient address rejected: User unknown"


def test_smtp_down_keeps_every_message_pending_and_they_go_out_once_when_it_is_back(app, db, make):
    app.config["OUTBOX_RETRY_SECONDS"] = 0  # due again at once, so the test need not wait
    _freeze_team(db, make, size=4)
    port = free_port()
    use_smtp(app, f"smtp://127.0.0.1:{port}")
    down = delivery.Worker(app).run(once=True)
    assert (down.sent, down.retrying, down.dead) == (0, 4, 0)
    assert {(r.status, r.attempts) for r in _rows(db)} == {("pending", 1)}
    assert all("Connection refused" in r.last_error for r in _rows(db))
    with smtp_server(port=port) as server:
        up = delivery.Worker(app).run(once=True)
        again = delivery.Worker(app).run(once=True)
    assert (up.sent, again.sent) == (4, 0)
    assert sorted(server.message_ids()) == sorted(r.message_id("tracker.test") for r in _rows(db))
    assert len(set(server.message_ids())) == 4  # none lost, none doubled
    assert {(r.status, r.attempts, r.last_error) for r in _rows(db)} == {("sent", 2, None)}


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("smtpx://mail.example.com", "must start with smtp://, smtp+starttls:// or smtps://"),
        ("mail.example.com:587", "must start with smtp://"),
        ("smtp+starttls://user:pw@:587", "names no mail server host"),
        ("smtps://mail.example.com:99999", "has a port that is not a number"),
        ("smtp+starttls://mail.example.com/inbox", "no path or query"),
        ("smtp://user:hunter2secret@mail.example.com", "unencrypted connection"),
        ("smtp+starttls://user@mail.example.com", "both a user name and a password"),
    ],
)
def test_a_malformed_smtp_url_stops_the_app_naming_the_setting(url, problem, app_config):
    from tracker import create_app
    from tracker.config import ConfigError

    with pytest.raises(ConfigError) as refused:
        create_app({**app_config, "SMTP_URL": url})
    message = str(refused.value)
    assert message.startswith("TRACKER_SMTP_URL ")
    assert problem in message
    assert "hunter2secret" not in message
    assert "pw@" not in message


def test_the_three_schemes_and_their_default_ports():
    assert mail.parse_smtp_url("smtp://relay.internal") == mail.SmtpSettings(
        "smtp", "relay.internal", 25
    )
    starttls = mail.parse_smtp_url(f"smtp+starttls://{QUOTED}@mail.example.com")
    assert (starttls.security, starttls.port) == ("starttls", 587)
    assert (starttls.username, starttls.password) == (USER, PASSWORD)
    assert PASSWORD not in repr(starttls)
    assert PASSWORD not in starttls.describe()
    assert mail.parse_smtp_url("smtps://u:p@mail.example.com").port == 465
    assert mail.parse_smtp_url("SMTPS://u:p@mail.example.com:2465").port == 2465


def test_a_malformed_sender_stops_the_app_naming_the_setting(app_config):
    from tracker import create_app
    from tracker.config import ConfigError

    with pytest.raises(ConfigError, match="TRACKER_MAIL_FROM must be one address"):
        create_app({**app_config, "MAIL_FROM": "not an address"})
