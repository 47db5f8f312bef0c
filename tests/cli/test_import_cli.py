"""``flask --app tracker import users|projects|assignments FILE [--dry-run]``."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.dates import days_ago
from tracker.models import Assignment, AuditEvent, Project, User


def _count(db, model):
    return db.scalar(select(func.count()).select_from(model))


def test_a_file_is_imported_from_the_terminal_and_audited_as_from_the_cli(runner, db, tmp_path):
    people = tmp_path / "people.csv"
    people.write_text("email,name,role\nada@example.com,Ada,contractor\n")
    projects = tmp_path / "projects.csv"
    projects.write_text("code,name,hourly_rate\nCHORDUS,Chordus,50.00\n")
    work = tmp_path / "assignments.csv"
    work.write_text(f"email,project_code,start_date\nada@example.com,CHORDUS,{days_ago(5)}\n")

    dry = runner.invoke(args=["import", "users", str(people), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "1 would be created" in dry.output
    assert _count(db, User) == 0

    for kind, path in (("users", people), ("projects", projects), ("assignments", work)):
        done = runner.invoke(args=["import", kind, str(path)])
        assert done.exit_code == 0, done.output
        assert f"{kind}: 1 were created, 0 updated, 0 unchanged" in done.output
    assert (_count(db, User), _count(db, Project), _count(db, Assignment)) == (1, 1, 1)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "import.users"))
    assert event.origin == "cli"


def test_errors_are_printed_by_line_and_column_and_exit_1(runner, db, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("email,name,role\nada@example.com,Ada,chief\nnot-an-email,Bob,contractor\n")
    result = runner.invoke(args=["import", "users", str(path)])
    assert result.exit_code == 1
    assert "line 2, column role: Choose contractor, admin or payroll." in result.output
    assert "line 3, column email:" in result.output
    assert "nothing was imported (2 errors)" in result.output
    assert _count(db, User) == 0


def test_a_file_over_the_limit_is_refused(app, runner, tmp_path):
    app.config["IMPORT_MAX_BYTES"] = 10
    path = tmp_path / "people.csv"
    path.write_text("email,name,role\n")
    result = runner.invoke(args=["import", "users", str(path)])
    assert result.exit_code == 1
    assert "over the import limit" in result.output
