"""``flask --app tracker incident start|update|lift|list``: a client's stop from a terminal."""

from __future__ import annotations

from sqlalchemy import select

from tracker.models import AuditEvent, Incident, Notification, Project


def _start(runner, *scope):
    return runner.invoke(
        args=[
            "incident",
            "start",
            *scope,
            "--title",
            "Acme stop",
            "--reason",
            "Dispute",
            "--notice",
            "The client is reevaluating the scope.",
            "--incident-ref",
            "INC-4",
        ]
    )


def _statuses(db):
    db.expire_all()
    return dict(db.execute(select(Project.code, Project.status)).all())


def test_start_update_lift_and_list_from_the_terminal(runner, make, db):
    one = make.project(code="ACME1", client="Acme")
    make.project(code="ACME2", client="Acme")
    make.project(code="OTHER", client="Globex")
    make.assign(one, make.contractor())
    result = _start(runner, "--client", "acme")
    assert result.exit_code == 0, result.output
    incident_id = int(result.stdout.strip().splitlines()[0])
    assert _statuses(db) == {"ACME1": "frozen", "ACME2": "frozen", "OTHER": "open"}
    assert db.get(Incident, incident_id).started_by_id is None
    listed = runner.invoke(args=["incident", "list"])
    assert listed.exit_code == 0
    assert f"{incident_id}\t" in listed.output
    updated = runner.invoke(args=["incident", "update", str(incident_id), "--message", "Friday"])
    assert updated.exit_code == 0, updated.output
    assert db.scalars(select(Notification).where(Notification.kind == "incident_updated")).one()
    part = runner.invoke(args=["incident", "lift", str(incident_id), "--project", "acme1"])
    assert part.exit_code == 0, part.output
    assert "still in force" in part.output
    assert _statuses(db)["ACME1"] == "open"
    assert _statuses(db)["ACME2"] == "frozen"
    rest = runner.invoke(args=["incident", "lift", str(incident_id), "--note", "Back"])
    assert rest.exit_code == 0
    assert "lifted" in rest.output
    origins = set(db.scalars(select(AuditEvent.origin).where(AuditEvent.action.like("incident.%"))))
    assert origins == {"cli"}


def test_refusals_are_one_line_and_exit_status_1(runner, make, db):
    make.project(code="ACME1", client="Acme")
    unknown = _start(runner, "--client", "Initech")
    assert unknown.exit_code == 1
    assert "error:" in unknown.stderr
    assert "Initech" in unknown.stderr
    both = _start(runner, "--client", "Acme", "--project", "ACME1")
    assert both.exit_code == 1
    assert "error:" in both.stderr
    missing = _start(runner, "--project", "NOPE")
    assert missing.exit_code == 1
    assert "NOPE" in missing.stderr
    assert runner.invoke(args=["incident", "lift", "999"]).exit_code == 1
    assert db.scalars(select(Incident)).all() == []
