"""Imports: upsert by key, all or nothing, errors by line and column, audited, pay untouched."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.dates import days_ago
from tracker.models import Assignment, AuditEvent, OutboxMessage, Project, SetupLink, User
from tracker.services import csv_reader, imports

LIMIT = 5 * 1024 * 1024


def run(db, kind, text, *, dry_run=False, actor=None, raw=None):
    data = raw if raw is not None else text.encode()
    result = imports.run_import(db, actor, kind, data, dry_run=dry_run, max_bytes=LIMIT)
    db.commit()
    return result


def refused(db, kind, text=None, raw=None):
    with pytest.raises(imports.ImportRefused) as caught:
        run(db, kind, text, raw=raw)
    db.rollback()
    return [(e.line, e.column, e.message) for e in caught.value.result.sorted_errors()]


def count(db, model):
    return db.scalar(select(func.count()).select_from(model))


PEOPLE = (
    "email,name,role,timezone,skills,hourly_rate\n"
    "Ada@Example.com,Ada Lovelace,contractor,Europe/Berlin,python;SQL,45.00\n"
    "bob@example.com,Bob Builder,contractor,,,\n"
)


def test_people_are_created_with_setup_links_by_email_and_a_second_run_changes_nothing(db):
    result = run(db, "users", PEOPLE)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    ada = db.scalar(select(User).where(User.email == "ada@example.com"))
    assert ada.name == "Ada Lovelace"
    assert ada.skills == ["python", "sql"]
    assert ada.hourly_rate == Decimal("45.00")
    assert ada.timezone == "Europe/Berlin"
    assert ada.password_hash is None
    bob = db.scalar(select(User).where(User.email == "bob@example.com"))
    assert bob.timezone == "UTC"
    assert bob.hourly_rate is None
    mails = db.scalars(select(OutboxMessage).order_by(OutboxMessage.recipient)).all()
    assert [(m.recipient, m.topic) for m in mails] == [
        ("ada@example.com", "setup_link"),
        ("bob@example.com", "setup_link"),
    ]
    assert count(db, SetupLink) == 2
    events_before = count(db, AuditEvent)

    again = run(db, "users", PEOPLE)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert count(db, OutboxMessage) == 2
    # Only the import's own event: nothing else changed.
    assert count(db, AuditEvent) == events_before + 1


def test_every_created_or_changed_object_is_audited_and_the_import_has_its_counts(db, make):
    admin = make.admin()
    make.contractor(email="bob@example.com", name="Bob Old")
    run(db, "users", PEOPLE, actor=admin)
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == admin.id)).all()
    assert sorted(actions) == [
        "import.users",
        "setup_link.create",
        "user.create",
        "user.update",
    ]
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "import.users"))
    assert event.data == {"rows": 2, "created": 1, "updated": 1, "unchanged": 0}
    change = db.scalar(select(AuditEvent).where(AuditEvent.action == "user.update"))
    assert change.data["after"] == {"name": "Bob Builder"}


def test_people_are_matched_by_email_whatever_its_case_and_empty_cells_keep_values(db, make):
    ada = make.contractor(email="ada@example.com", name="Ada", timezone="Asia/Tokyo")
    result = run(db, "users", "email,name,role,timezone\nADA@EXAMPLE.COM,Ada L,contractor,\n")
    assert (result.created, result.updated) == (0, 1)
    db.refresh(ada)
    assert (ada.name, ada.timezone) == ("Ada L", "Asia/Tokyo")


def test_a_dry_run_writes_nothing_and_says_what_would_happen(db, make):
    make.contractor(email="bob@example.com", name="Bob Builder")
    before = count(db, AuditEvent)
    result = run(db, "users", PEOPLE, dry_run=True)
    assert (result.created, result.updated, result.unchanged) == (1, 0, 1)
    assert [(o.line, o.key, o.action) for o in result.outcomes] == [
        (3, "bob@example.com", "unchanged"),
        (2, "ada@example.com", "create"),
    ]
    assert count(db, User) == 1
    assert count(db, OutboxMessage) == 0
    assert count(db, AuditEvent) == before


def test_one_bad_row_among_many_writes_nothing_and_names_its_line(db):
    lines = ["email,name,role,hourly_rate"]
    lines += [f"c{n}@example.com,Contractor {n},contractor,40.00" for n in range(1, 10_001)]
    lines[7500] = "c7500@example.com,Contractor 7500,contractor,40.005"
    errors = refused(db, "users", "\n".join(lines))
    assert errors == [(7501, "hourly_rate", "Use at most two decimals (cents).")]
    assert count(db, User) == 0
    assert count(db, AuditEvent) == 0


def test_bad_values_are_each_named_by_line_and_column(db):
    errors = refused(
        db,
        "users",
        "email,name,role,timezone\n"
        "a@example.com,A,chief,UTC\n"
        "b@example.com,B,contractor,Moon/Base\n"
        "A@example.com,A again,contractor,UTC\n"
        "not-an-email,C,contractor,UTC\n",
    )
    assert [(line, column) for line, column, _ in errors] == [
        (2, "role"),
        (3, "timezone"),
        (5, "email"),
    ]
    assert "Moon/Base" in errors[1][2]
    # The duplicate of line 2 is reported once line 2 itself is valid.
    errors = refused(
        db, "users", "email,name,role\na@example.com,A,contractor\nA@example.com,B,contractor\n"
    )
    assert errors == [(3, "email", "a@example.com is also on line 2; each may appear once.")]


def test_missing_and_unknown_columns_are_listed(db):
    errors = refused(db, "users", "email,nickname,salary\na@example.com,A,1\n")
    assert [(line, column) for line, column, _ in errors] == [
        (1, "name"),
        (1, "nickname"),
        (1, "role"),
        (1, "salary"),
    ]
    assert "missing" in errors[0][2]
    assert "Unknown column 'nickname'" in errors[1][2]


def test_binary_and_non_utf8_files_are_refused_with_the_line(db):
    assert refused(db, "users", raw=b"PK\x03\x04\x14\x00binary")[0][0] == 1
    errors = refused(db, "users", raw=b"email,name,role\na@example.com,A\x00,contractor\n")
    assert errors[0][0] == 2
    assert "binary" in errors[0][2]
    errors = refused(db, "users", raw=b"email,name,role\n\na@example.com,Jos\xe9,contractor\n")
    assert errors[0][0] == 3
    assert "UTF-8" in errors[0][2]


def test_a_file_over_the_limit_is_refused(db):
    with pytest.raises(imports.FileTooLarge) as caught:
        imports.run_import(db, None, "users", b"x" * 101, max_bytes=100)
    assert caught.value.status == 413


def test_excel_csv_with_bom_semicolons_quotes_and_crlf_is_read(db):
    data = (
        "\ufeffemail;name;role;skills;hourly_rate\r\n"
        'ada@example.com;"Lovelace; Ada ""the first""";contractor;"python;sql";45,50\r\n'
        ";;;;\r\n"
    ).encode()
    result = run(db, "users", None, raw=data)
    assert result.created == 1
    ada = db.scalar(select(User))
    assert ada.name == 'Lovelace; Ada "the first"'
    assert ada.skills == ["python", "sql"]
    assert ada.hourly_rate == Decimal("45.50")


def test_the_separator_is_detected_from_the_header():
    assert csv_reader.detect_separator('a;b;"c,d"\r\n1,2,3') == ";"
    assert csv_reader.detect_separator("a,b;c,d\n") == ","


PROJECTS = (
    "code,name,client,seats,skills,hourly_rate,currency,open_to_reassignment\n"
    "chordus,Chordus platform,Acme,5,python;security,50.00,EUR,true\n"
    "NIMBUS,Nimbus,,,,60.00,usd,no\n"
)


def test_projects_are_upserted_by_code(db, make):
    result = run(db, "projects", PROJECTS)
    assert result.created == 2
    nimbus = db.scalar(select(Project).where(Project.code == "NIMBUS"))
    assert (nimbus.currency, nimbus.open_to_reassignment, nimbus.seats) == ("USD", False, None)
    assert run(db, "projects", PROJECTS).unchanged == 2
    changed = PROJECTS.replace("50.00", "55.00")
    result = run(db, "projects", changed)
    assert (result.updated, result.unchanged) == (1, 1)
    assert result.outcomes[0].fields == ("hourly_rate",)


def test_a_changed_project_rate_pays_new_entries_only(db, make):
    from tracker.services import entries

    run(db, "projects", PROJECTS)
    chordus = db.scalar(select(Project).where(Project.code == "CHORDUS"))
    casey = make.contractor()
    make.assign(chordus, casey)
    paid = make.entry(casey, chordus, work_date=days_ago(2), status="approved")
    run(db, "projects", PROJECTS.replace("50.00", "70.00"))
    db.refresh(paid)
    assert paid.hourly_rate == Decimal("50.00")
    fresh = entries.log_time(
        db, casey, user=casey, project_id=chordus.id, work_date=days_ago(1), hours="1"
    )
    db.commit()
    assert fresh.hourly_rate == Decimal("70.00")


def test_an_import_cannot_change_a_currency_or_a_closed_project_or_unfreeze_one(db, make):
    closed = make.project(code="OLD", name="Old", hourly_rate="10.00")
    from tracker.services import projects as project_service

    project_service.update_project(db, None, closed, status="closed")
    held = make.project(code="HELD", name="Held", hourly_rate="10.00")
    make.hold(held)
    errors = refused(
        db,
        "projects",
        "code,name,hourly_rate,currency\nOLD,Old renamed,10.00,EUR\nHELD,Held,10.00,USD\n",
    )
    assert [(line, column) for line, column, _ in errors] == [(2, "code"), (3, "currency")]
    # A held project takes a rename and stays held.
    run(db, "projects", "code,name,hourly_rate\nHELD,Held renamed,10.00\n")
    db.refresh(held)
    assert (held.name, held.status) == ("Held renamed", "frozen")


def test_an_unknown_currency_is_refused(db):
    errors = refused(db, "projects", "code,name,hourly_rate,currency\nABC,Abc,1.00,XYZ\n")
    assert errors == [
        (2, "currency", "Unknown currency 'XYZ'; use an ISO currency code, like EUR or USD.")
    ]


def test_project_values_are_checked_by_the_project_rules(db):
    errors = refused(
        db,
        "projects",
        "code,name,hourly_rate,currency,seats,open_to_reassignment\n"
        "1BAD,Bad,10.00,EUR,,\n"
        "GOOD,Good,10.001,EURO,-1,maybe\n"
        "good,Twin,10.00,EUR,,\n",
    )
    assert [(line, column) for line, column, _ in errors] == [
        (2, "code"),
        (3, "currency"),
        (3, "hourly_rate"),
        (3, "open_to_reassignment"),
        (3, "seats"),
    ]


def test_assignments_are_made_through_the_seat_rules_and_upserted_by_start_date(db, make):
    ada = make.contractor(email="ada@example.com", hourly_rate="41.00")
    bob = make.contractor(email="bob@example.com")
    make.admin(email="boss@example.com")
    project = make.project(code="CHORDUS", seats=1, hourly_rate="50.00")
    start = days_ago(10).isoformat()
    text = (
        f"email,project_code,start_date,end_date,hourly_rate\nada@example.com,chordus,{start},,\n"
    )
    result = run(db, "assignments", text)
    assert result.created == 1
    made = db.scalar(select(Assignment))
    assert (made.user_id, made.project_id) == (ada.id, project.id)
    assert made.hourly_rate == Decimal("41.00")
    assert run(db, "assignments", text).unchanged == 1
    errors = refused(
        db,
        "assignments",
        "email,project_code,start_date\n"
        f"bob@example.com,CHORDUS,{start}\n"
        f"boss@example.com,CHORDUS,{start}\n"
        f"nobody@example.com,NOPE,{start}\n",
    )
    assert [(line, column) for line, column, _ in errors] == [
        (2, "project_code"),
        (3, "email"),
        (4, "email"),
        (4, "project_code"),
    ]
    assert "no free seat" in errors[0][2]
    # Ending it and changing its rate is an update of the same assignment.
    end = days_ago(1).isoformat()
    result = run(
        db,
        "assignments",
        f"email,project_code,start_date,end_date,hourly_rate\nada@example.com,CHORDUS,{start},{end},42.00\n",
    )
    assert result.updated == 1
    db.refresh(made)
    assert (made.end_date, made.hourly_rate) == (dt.date.fromisoformat(end), Decimal("42.00"))
    assert bob.id not in db.scalars(select(Assignment.user_id)).all()


def test_an_import_onto_a_held_project_assigns_as_the_rules_allow(db, make):
    make.contractor(email="ada@example.com")
    held = make.project(code="HELD", hourly_rate="10.00")
    make.hold(held)
    result = run(
        db, "assignments", f"email,project_code,start_date\nada@example.com,HELD,{days_ago(3)}\n"
    )
    assert result.created == 1
    db.refresh(held)
    assert held.status == "frozen"


def test_duplicate_codes_in_one_file_and_a_closed_project_are_refused_by_line(db, make):
    errors = refused(db, "projects", "code,name,hourly_rate\nABC,A,1.00\nabc,B,2.00\n")
    assert errors == [(3, "code", "ABC is also on line 2; each may appear once.")]
    make.contractor(email="ada@example.com")
    closed = make.project(code="OLD", hourly_rate="10.00")
    from tracker.services import projects as project_service

    project_service.update_project(db, None, closed, status="closed")
    db.commit()
    errors = refused(
        db, "assignments", f"email,project_code,start_date\nada@example.com,OLD,{days_ago(1)}\n"
    )
    assert errors == [(2, "project_code", "Project OLD is closed.")]


def test_a_cell_with_line_breaks_keeps_the_next_rows_line_numbers_right():
    table = csv_reader.read(b'email,name\r\na@x.io,"two\r\nlines"\r\nb@x.io,B\r\nc@x.io\r\n')
    assert [row.line for row in table.rows] == [2, 4, 5]
    assert table.rows[2].cells == {"email": "c@x.io", "name": ""}
    broken = csv_reader.read(b'email,name\na@x.io,"open quote\n')
    assert broken.problems[0].line == 2  # where the quote opens


def test_past_assignments_import_beside_the_active_one_and_take_no_seat(db, make):
    ada = make.contractor(email="ada@example.com")
    project = make.project(code="CHORDUS", seats=1, hourly_rate="50.00")
    make.assign(project, ada, start_date=days_ago(30))
    text = (
        "email,project_code,start_date,end_date\n"
        f"ada@example.com,CHORDUS,{days_ago(200)},{days_ago(100)}\n"
        f"ada@example.com,CHORDUS,{days_ago(30)},\n"
    )
    result = run(db, "assignments", text)
    assert (result.created, result.unchanged) == (1, 1)
    ends = sorted(str(a.end_date) for a in db.scalars(select(Assignment)))
    assert ends == [str(days_ago(100)), "None"]
