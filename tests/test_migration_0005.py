"""Migration 0005 (incidents): every existing hold becomes an incident of one project, with the
people it told and, while it lasts, everyone on the project; nothing is lost."""

from __future__ import annotations

from alembic import command

from tests.test_migration_0004 import _query, _tables, empty_database  # noqa: F401 - fixture
from tracker import migrate

USER = (
    "INSERT INTO users (id, email, name, role, active, timezone, skills, session_token,"
    " recovery_codes, created_at) VALUES ({id}, 'u{id}@example.com', 'U{id}', '{role}', true,"
    " 'UTC', '[]', 'token{id}', '[]', CURRENT_TIMESTAMP)"
)
PROJECT = (
    "INSERT INTO projects (id, code, name, client, status, skills, hourly_rate, currency,"
    " open_to_reassignment, created_at) VALUES ({id}, '{code}', '{code}', 'Acme', '{status}',"
    " '[]', 40, 'EUR', true, CURRENT_TIMESTAMP)"
)
ASSIGN = (
    "INSERT INTO assignments (user_id, project_id, start_date, origin, created_at)"
    " VALUES ({user}, {project}, '2026-01-01', 'direct', CURRENT_TIMESTAMP)"
)
HOLD = (
    "INSERT INTO holds (id, project_id, started_at, started_by_id, reason, notice, incident_ref,"
    " allow_backfill, affected_count, ended_at, ended_by_id, note) VALUES ({id}, {project},"
    " '2026-11-02 09:30:00', 1, 'Breach {id}', 'Notice {id}', 'INC-{id}', {backfill}, {count},"
    " {ended}, {ended_by}, {note})"
)


def test_0005_turns_every_hold_into_a_one_project_incident(empty_database):  # noqa: F811
    url = empty_database
    migrate.upgrade(url, "0004")
    _query(url, USER.format(id=1, role="admin"))
    for n in (2, 3, 4):
        _query(url, USER.format(id=n, role="contractor"))
    _query(url, PROJECT.format(id=10, code="OLD", status="open"))
    _query(url, PROJECT.format(id=11, code="HELD", status="frozen"))
    _query(url, ASSIGN.format(user=2, project=10))
    _query(url, ASSIGN.format(user=3, project=11))
    _query(url, ASSIGN.format(user=4, project=11))
    # A past hold on OLD (told user 2), and the hold in force on HELD (users 3 and 4 on it).
    _query(
        url,
        HOLD.format(
            id=5,
            project=10,
            backfill="true",
            count=1,
            ended="'2026-11-03 10:00:00'",
            ended_by=1,
            note="'All clear'",
        ),
    )
    _query(
        url,
        "INSERT INTO notifications (user_id, kind, message, project_id, hold_id, created_at)"
        " VALUES (2, 'hold_started', 'on hold', 10, 5, CURRENT_TIMESTAMP)",
    )
    _query(
        url,
        HOLD.format(
            id=6, project=11, backfill="false", count=2, ended="NULL", ended_by="NULL", note="NULL"
        ),
    )

    migrate.upgrade(url, "0005")

    assert {"incidents", "incident_updates", "incident_contractors"} <= _tables(url)
    assert _query(url, "SELECT id, incident_id FROM holds ORDER BY id") == [(5, 5), (6, 6)]
    rows = _query(
        url,
        "SELECT id, title, reason, notice, incident_ref, allow_backfill, scope, review_by,"
        " started_by_id, lifted_at IS NOT NULL, lifted_by_id, note, affected_count"
        " FROM incidents ORDER BY id",
    )
    assert [r[:7] for r in rows] == [
        (5, "Hold on OLD", "Breach 5", "Notice 5", "INC-5", True, "projects"),
        (6, "Hold on HELD", "Breach 6", "Notice 6", "INC-6", False, "projects"),
    ]
    assert [str(r[7]) for r in rows] == ["2026-11-16", "2026-11-16"]
    assert [r[8:] for r in rows] == [(1, True, 1, "All clear", 1), (1, False, None, None, 2)]
    people = _query(
        url, "SELECT incident_id, user_id FROM incident_contractors ORDER BY incident_id, user_id"
    )
    assert people == [(5, 2), (6, 3), (6, 4)]
    # New incidents continue after the migrated ids.
    _query(
        url,
        "INSERT INTO incidents (title, reason, notice, allow_backfill, allow_same_client, scope,"
        " review_by, started_at, affected_count) VALUES ('t', 'r', 'n', false, false,"
        " 'client', '2026-12-31', CURRENT_TIMESTAMP, 0)",
    )
    assert _query(url, "SELECT max(id) FROM incidents") == [(7,)]

    command.downgrade(migrate.alembic_config(url), "0004")
    assert not {"incidents", "incident_updates", "incident_contractors"} & _tables(url)
    assert _query(url, "SELECT id, project_id, reason FROM holds ORDER BY id") == [
        (5, 10, "Breach 5"),
        (6, 11, "Breach 6"),
    ]
