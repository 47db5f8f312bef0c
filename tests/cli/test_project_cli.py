"""``flask --app tracker project freeze|unfreeze``: an incident responder without a browser."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.dates import today
from tracker.errors import ProjectFrozen
from tracker.models import Assignment, AuditEvent, Hold, Notification, Project, User
from tracker.services import entries

NOTICE = "CHORDUS is paused while the client investigates a breach."


def _freeze(runner, code="CHORDUS", *extra):
    return runner.invoke(
        args=["project", "freeze", code, "--reason", "Breach at client", "--notice", NOTICE, *extra]
    )


def _status(db, project):
    return db.scalar(select(Project.status).where(Project.id == project.id))


def test_freeze_from_the_terminal_notifies_everyone_and_blocks_time(runner, make, db):
    project = make.project(code="CHORDUS")
    people = [make.contractor() for _ in range(2)]
    for person in people:
        make.assign(project, person)
    result = _freeze(runner, "chordus", "--incident-ref", "INC-11", "--allow-backfill")
    assert result.exit_code == 0, result.output
    assert "project CHORDUS is on hold" in result.output
    assert "2 contractors notified" in result.output
    assert _status(db, project) == "frozen"
    hold = db.scalar(select(Hold))
    assert hold.started_by_id is None
    assert hold.incident_ref == "INC-11"
    assert hold.allow_backfill
    assert db.scalar(select(func.count()).select_from(Notification)) == 2
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "project.freeze"))
    assert event.origin.startswith("cli:")
    with pytest.raises(ProjectFrozen):
        entries.log_time(
            db,
            db.get(User, people[0].id),
            project_id=project.id,
            work_date=today(),
            minutes=30,
        )


def test_unfreeze_from_the_terminal_with_a_note(runner, make, db):
    project = make.project(code="CHORDUS")
    make.assign(project, make.contractor())
    assert _freeze(runner).exit_code == 0
    result = runner.invoke(args=["project", "unfreeze", "CHORDUS", "--note", "All clear"])
    assert result.exit_code == 0, result.output
    assert "lifted" in result.output
    assert _status(db, project) == "open"
    assert db.scalar(select(Hold.note)) == "All clear"


@pytest.mark.parametrize(
    ("arrange", "args", "message"),
    [
        (
            "none",
            ["project", "freeze", "NOPE", "--reason", "r", "--notice", "n"],
            "error: No project with code 'NOPE'.",
        ),
        (
            "frozen",
            ["project", "freeze", "CHORDUS", "--reason", "r", "--notice", "n"],
            "error: Project CHORDUS is already on hold since",
        ),
        (
            "closed",
            ["project", "freeze", "CHORDUS", "--reason", "r", "--notice", "n"],
            "error: Project CHORDUS is closed",
        ),
        ("open", ["project", "unfreeze", "CHORDUS"], "error: Project CHORDUS is not on hold."),
        (
            "open",
            ["project", "freeze", "CHORDUS", "--reason", "r", "--notice", " "],
            "error: notice: This field is required.",
        ),
        (
            "open",
            ["project", "freeze", "CHORDUS", "--reason", "r", "--notice", "x" * 2001],
            "error: notice: At most 2,000 characters",
        ),
        ("none", ["project", "unfreeze", "NOPE"], "error: No project with code 'NOPE'."),
    ],
)
def test_refusals_print_one_line_and_exit_1_changing_nothing(
    runner, make, db, arrange, args, message
):
    if arrange != "none":
        project = make.project(code="CHORDUS")
        if arrange == "frozen":
            make.hold(project)
        if arrange == "closed":
            project.status = "closed"
            db.commit()
    holds_before = db.scalar(select(func.count()).select_from(Hold))
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(message)
    assert db.scalar(select(func.count()).select_from(Hold)) == holds_before
    assert db.scalar(select(func.count()).select_from(Notification)) == 0


def test_missing_options_are_a_usage_error(runner):
    result = runner.invoke(args=["project", "freeze", "CHORDUS", "--reason", "r"])
    assert result.exit_code == 2


def test_a_command_records_who_ran_it_as_the_user_given_or_the_os_user(runner, make, db):
    from tracker.cli.actor import os_user

    admin = make.admin(email="ada@example.com")
    first, second = make.project(code="FIRST"), make.project(code="SECOND")
    named = runner.invoke(
        args=["project", "freeze", "FIRST", "--reason", "r", "--notice", "n", "--as", admin.email]
    )
    assert named.exit_code == 0, named.output
    unnamed = runner.invoke(args=["project", "freeze", "SECOND", "--reason", "r", "--notice", "n"])
    assert unnamed.exit_code == 0, unnamed.output
    events = {
        e.target_id: e
        for e in db.scalars(select(AuditEvent).where(AuditEvent.action == "project.freeze"))
    }
    assert events[first.id].actor_id == admin.id
    assert events[second.id].actor_id is None
    assert events[second.id].origin == f"cli:{os_user()}"
    nobody = runner.invoke(args=["project", "unfreeze", "FIRST", "--as", "nobody@example.com"])
    assert nobody.exit_code == 1
    assert "error: --as nobody@example.com: no active user has this email." in nobody.output


def test_project_assign_sets_the_dates_through_the_assignment_rules(runner, make, db):
    from tests.dates import days_ago

    project, person = make.project(code="CHORDUS"), make.contractor(email="ana@example.com")
    made = runner.invoke(
        args=["project", "assign", "CHORDUS", "ana@example.com", "--start", days_ago(9).isoformat()]
    )
    assert made.exit_code == 0, made.output
    assert f"ana@example.com is on CHORDUS from {days_ago(9).isoformat()}" in made.output
    again = runner.invoke(
        args=["project", "assign", "CHORDUS", "ana@example.com", "--start", days_ago(3).isoformat()]
    )
    assert again.exit_code == 1
    assert "is already on CHORDUS" in again.output
    assert db.scalar(select(func.count()).select_from(Assignment)) == 1
    del project, person
