"""``outbox work`` and ``reminders send`` from the terminal, and the outbox worker as real
processes: killed mid-batch, two at once, and beside the development server under ``make run``."""

from __future__ import annotations

import email
import email.policy
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.live import SECRET, free_port, healthy
from tests.receivers import smtp_server
from tracker.models import OutboxMessage, utcnow
from tracker.services import delivery, holds, reminders, timesheet

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))
NOTICE = "Paused while the client investigates."


def _team(db, make, size, code="CHORDUS"):
    project = make.project(code=code)
    for _ in range(size):
        make.assign(project, make.contractor())
    return project


def _freeze(db, make, size):
    project = _team(db, make, size)
    holds.freeze_project(db, None, project, reason="internal", notice=NOTICE)
    db.commit()
    return project


def _rows(db):
    db.expire_all()
    return list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_outbox_work_once_sends_what_is_due_and_says_so(runner, db, make, app):
    _freeze(db, make, 3)
    result = runner.invoke(args=["outbox", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("sent 3, 0 to retry, 0 dead")
    assert len(list((Path(app.instance_path) / "mail").glob("*-hold_started.eml"))) == 3
    again = runner.invoke(args=["outbox", "work", "--once"])
    assert again.output.strip().endswith("sent 0, 0 to retry, 0 dead")


def test_reminders_send_twice_sends_nothing_twice(runner, db, make):
    _team(db, make, 2)
    make.admin()
    first = runner.invoke(args=["reminders", "send"])
    assert first.exit_code == 0, first.output
    label = timesheet.week_label(reminders.previous_week(utcnow().date()))
    assert f"week {label}: 2 reminders queued" in first.output
    assert "digest for" in first.output
    assert ": 0 admins" in first.output
    second = runner.invoke(args=["reminders", "send"])
    assert f"week {label}: 0 reminders queued" in second.output
    assert len([r for r in _rows(db) if r.topic == "reminder"]) == 2


def test_reminders_send_refuses_a_malformed_week_naming_the_option(runner):
    result = runner.invoke(args=["reminders", "send", "--week", "2026-W99"])
    assert result.exit_code == 2
    assert "--week" in result.output
    assert "Give an ISO week like 2026-W49." in result.output


def test_user_create_emails_the_link_it_prints(runner, db):
    result = runner.invoke(
        args=["user", "create", "kim@example.com", "--name", "Kim", "--role", "contractor"]
    )
    assert result.exit_code == 0, result.output
    assert "also emailed to kim@example.com" in result.output
    [row] = _rows(db)
    assert row.topic == "setup_link"
    assert f"/setup/{row.payload['token']}" in result.output


def _environment(database_url: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": database_url,
        "TRACKER_SECRET_KEY": SECRET,
        "TRACKER_ENV": "development",
        "TRACKER_PASSWORD_MEMORY_KIB": "1024",
        **extra,
    }
    env.pop("FLASK_DEBUG", None)
    return env


def _worker(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [FLASK, "--app", "tracker", "outbox", "work", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


@pytest.mark.slow
def test_a_worker_killed_mid_batch_loses_nothing(app, db, make, database_url):
    _freeze(db, make, 30)
    with smtp_server(delay=0.05) as server:
        env = _environment(
            database_url,
            TRACKER_SMTP_URL=f"smtp://127.0.0.1:{server.port}",
            TRACKER_OUTBOX_LEASE_SECONDS="4",
        )
        worker = _worker(env, "--batch", "30")
        try:
            _wait(lambda: len(server.received) >= 5, 60, "the first messages")
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.communicate(timeout=30)
        assert len(server.received) < 30, "the worker finished before it could be killed"
        # Another worker takes over once the dead one's lease on the rest runs out.
        app.config.update(SMTP_URL=f"smtp://127.0.0.1:{server.port}", OUTBOX_LEASE_SECONDS=4)
        from tracker.services import mail

        mail.init_app(app)

        def all_sent() -> bool:
            delivery.Worker(app).run(once=True)
            return all(r.status == "sent" for r in _rows(db))

        _wait(all_sent, 60, "every message to be sent")
    # The ids' right-hand side is each sender's own mail domain; the left names the message.
    expected = {r.message_id("x").split("@")[0] for r in _rows(db)}
    received = [m.split("@")[0] for m in server.message_ids()]
    assert set(received) == expected  # every message at least once
    # Sent again at most: the accepted ones not yet recorded, and the one in flight.
    assert len(received) - len(expected) <= delivery.RECORD_EVERY + 1


@pytest.mark.slow
def test_sigterm_stops_the_worker_after_the_message_it_is_sending(app, db, make, database_url):
    _freeze(db, make, 30)
    with smtp_server(delay=0.1) as server:
        env = _environment(
            database_url,
            TRACKER_SMTP_URL=f"smtp://127.0.0.1:{server.port}",
            TRACKER_OUTBOX_LEASE_SECONDS="600",  # only a release can hand the rest on at once
        )
        worker = _worker(env, "--batch", "30")
        try:
            _wait(lambda: len(server.received) >= 5, 60, "the first messages")
            worker.send_signal(signal.SIGTERM)
            _stdout, stderr = worker.communicate(timeout=30)
        finally:
            if worker.poll() is None:
                worker.kill()
        assert worker.returncode == 0, stderr.decode()
        rows = _rows(db)
        received = server.message_ids()
        sent = [r for r in rows if r.status == "sent"]
        assert 5 <= len(received) < 30, "the worker finished before it could be stopped"
        # Everything it sent is recorded as sent, and nothing it did not send is.
        assert len(sent) == len(received)
        assert {r.message_id("x").split("@")[0] for r in sent} == {
            m.split("@")[0] for m in received
        }
        # The rest were handed back, due now, with no attempt counted: the next worker sends
        # them without waiting for the ten-minute lease.
        rest = [r for r in rows if r.status != "sent"]
        assert {r.status for r in rest} == {"pending"}
        assert all(r.attempts == 0 for r in rest)
        app.config.update(SMTP_URL=f"smtp://127.0.0.1:{server.port}")
        from tracker.services import mail

        mail.init_app(app)
        delivery.Worker(app).run(once=True)
        assert {r.status for r in _rows(db)} == {"sent"}
        assert len(server.message_ids()) == 30  # each exactly once


@pytest.mark.slow
def test_two_workers_at_once_never_send_a_message_twice(db, make, database_url):
    _freeze(db, make, 120)
    with smtp_server() as server:
        env = _environment(database_url, TRACKER_SMTP_URL=f"smtp://127.0.0.1:{server.port}")
        workers = [_worker(env, "--once", "--batch", "10") for _ in range(2)]
        outputs = [w.communicate(timeout=120)[1].decode() for w in workers]
        assert [w.returncode for w in workers] == [0, 0], outputs
    received = server.message_ids()
    assert len(received) == 120
    assert len(set(received)) == 120  # counted at the receiver: nothing twice
    assert {r.status for r in _rows(db)} == {"sent"}
    assert all(" sent" in o for o in outputs)


@pytest.mark.slow
def test_make_run_shows_a_newcomer_the_email_seconds_after_a_freeze(tmp_path):
    from tracker import create_app
    from tracker.db import unit_of_work
    from tracker.services import assignments, projects, users

    database = f"sqlite:///{tmp_path / 'newcomer.db'}"
    mail_dir = tmp_path / "mail"
    port = free_port()
    env = _environment(database, TRACKER_MAIL_DIR=str(mail_dir))
    make = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the server and the worker in it
    )
    try:
        _wait(lambda: healthy(port) or make.poll() is not None, 120, "make run to serve")
        assert make.poll() is None, "make run stopped"
        app = create_app({"DATABASE_URL": database, "SECRET_KEY": SECRET})
        with app.app_context(), unit_of_work() as session:
            project = projects.create_project(
                session, None, code="CHORDUS", name="Core banking", hourly_rate="40"
            )
            person = users.create_user(
                session,
                None,
                email="newcomer@example.com",
                name="Newcomer",
                role="contractor",
                password="a long enough passphrase",
            )
            assignments.assign(session, None, project, person)
        app.extensions["tracker.engine"].dispose()
        frozen = subprocess.run(
            [
                FLASK,
                "--app",
                "tracker",
                "project",
                "freeze",
                "CHORDUS",
                "--reason",
                "internal",
                "--notice",
                NOTICE,
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert frozen.returncode == 0, frozen.stderr
        _wait(lambda: list(mail_dir.glob("*-hold_started.eml")), 30, "the .eml file")
        [eml] = mail_dir.glob("*-hold_started.eml")
        message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        assert message["To"].addresses[0].addr_spec == "newcomer@example.com"
        text = message.get_body(("plain",)).get_content()
        assert f"http://127.0.0.1:{port}/offers" in text  # links to the server make run started
    finally:
        os.killpg(make.pid, signal.SIGINT)  # Ctrl-C in the terminal
        make.wait(timeout=30)
    _wait(lambda: not _group_alive(make.pid), 30, "the worker and the server to stop")


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True
