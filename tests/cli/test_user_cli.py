"""Command line: user create, token create, setup-link and demo."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tracker.models import Assignment, AuditEvent, Project, TimeEntry, User


def _users(db) -> int:
    return db.scalar(select(func.count()).select_from(User))


def test_user_create_with_a_password_from_stdin(runner, db, client):
    result = runner.invoke(
        args=[
            "user",
            "create",
            "Cli.User@Example.com",
            "--name",
            "Cli User",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input="a cli chosen passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert "created admin cli.user@example.com" in result.output
    assert "setup" not in result.output
    user = db.scalar(select(User).where(User.email == "cli.user@example.com"))
    assert user.role == "admin"
    assert (
        client.post(
            "/login", data={"email": "cli.user@example.com", "password": "a cli chosen passphrase"}
        ).status_code
        == 302
    )
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "user.create"))
    assert event.origin.startswith("cli:")
    assert "a cli chosen passphrase" not in str(event.data)


def test_user_create_without_a_password_prints_a_working_setup_link(runner, db, app):
    result = runner.invoke(
        args=[
            "user",
            "create",
            "new@example.com",
            "--name",
            "New Person",
            "--role",
            "contractor",
            "--timezone",
            "Europe/Berlin",
            "--skills",
            "python,sql",
            "--hourly-rate",
            "50",
        ]
    )
    assert result.exit_code == 0, result.output
    match = re.search(r"http://tracker\.test(/setup/\S+)", result.output)
    assert match
    browser = app.test_client()
    assert browser.post(match.group(1), data={"password": "set via the link ok"}).status_code == 302
    user = db.scalar(select(User).where(User.email == "new@example.com"))
    assert (user.timezone, user.skills) == ("Europe/Berlin", ["python", "sql"])


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["not-an-email", "--name", "X", "--role", "contractor"], "error: email:"),
        (
            ["x@example.com", "--name", "X", "--role", "contractor", "--timezone", "Mars/Base"],
            "error: timezone: Unknown timezone",
        ),
        (
            ["x@example.com", "--name", "X", "--role", "contractor", "--hourly-rate", "-2"],
            "error: hourly_rate: Cannot be negative.",
        ),
    ],
)
def test_bad_user_input_is_one_error_line_and_exit_1(runner, db, args, says):
    before = _users(db)
    result = runner.invoke(args=["user", "create", *args])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(says)
    assert _users(db) == before


def test_a_duplicate_email_is_refused(runner, db, make):
    make.contractor(email="dup@example.com")
    result = runner.invoke(
        args=["user", "create", "DUP@example.com", "--name", "Again", "--role", "contractor"]
    )
    assert result.exit_code == 1
    assert result.output.strip() == "error: email: A user with this email already exists."


def test_a_weak_stdin_password_is_refused(runner, db):
    result = runner.invoke(
        args=[
            "user",
            "create",
            "weak@example.com",
            "--name",
            "W",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input="password1234\n",
    )
    assert result.exit_code == 1
    assert result.output.startswith("error: password:")
    assert _users(db) == 0


def test_an_unknown_role_is_a_usage_error(runner):
    result = runner.invoke(
        args=["user", "create", "r@example.com", "--name", "R", "--role", "root"]
    )
    assert result.exit_code == 2


def test_token_create_prints_only_a_working_token(runner, make, client):
    user = make.contractor()
    result = runner.invoke(args=["token", "create", user.email.upper(), "--name", "runbook"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 1
    token = lines[0]
    assert re.fullmatch(r"trk_[A-Za-z0-9_-]{20,}", token)
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.get_json()["email"] == user.email


def test_token_create_for_an_unknown_email_exits_1(runner):
    result = runner.invoke(args=["token", "create", "ghost@example.com"])
    assert result.exit_code == 1
    assert result.output.strip() == "error: no user with email ghost@example.com"


def test_setup_link_is_printed_only_while_there_is_no_admin(runner, make, app):
    result = runner.invoke(args=["setup-link"])
    assert result.exit_code == 0
    match = re.search(r"http://tracker\.test(/setup/\S+)", result.output)
    assert match
    browser = app.test_client()
    assert browser.get(match.group(1)).status_code == 303
    assert browser.get("/setup").status_code == 200
    make.admin()
    after = runner.invoke(args=["setup-link"])
    assert "An admin exists already" in after.output
    assert "/setup/" not in after.output
    assert app.test_client().get(match.group(1)).status_code == 404


def test_demo_fills_an_empty_database_and_refuses_a_second_time(runner, db):
    result = runner.invoke(args=["demo", "--weeks", "1"])
    assert result.exit_code == 0, result.output
    assert "demo data:" in result.output
    assert db.scalar(select(func.count()).select_from(Project)) >= 8
    assert db.scalar(select(func.count()).select_from(User).where(User.role == "contractor")) >= 40
    assert db.scalar(select(func.count()).select_from(TimeEntry)) > 0
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 1
    assert again.output.startswith("error: the database already has projects")


def test_demo_leaves_free_seats_and_one_project_on_hold(runner, db):
    result = runner.invoke(args=["demo", "--weeks", "1"])
    assert result.exit_code == 0, result.output
    from tracker.services import reassignment, seats

    everything = db.scalars(select(Project)).all()
    assert [p.code for p in everything if p.status == "frozen"] == ["CHORPAY"]
    free = seats.free_seats_of(db, everything)
    assert all(free[p.id] is None or free[p.id] >= 2 for p in everything if p.status == "open")
    held = next(p for p in everything if p.code == "CHORPAY")
    on_hold = db.scalars(
        select(User)
        .join(Assignment, Assignment.user_id == User.id)
        .where(Assignment.project_id == held.id)
    ).all()
    assert on_hold, "somebody is on the held project"
    assert any(reassignment.offers(db, person) for person in on_hold)
