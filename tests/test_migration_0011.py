"""Migration 0011 keys every existing project's and incident's client in Python casefold."""

from __future__ import annotations

from tests.test_migration_0004 import _query, empty_database  # noqa: F401
from tracker import migrate


def test_0011_keys_existing_clients_the_same_on_both_databases(empty_database):  # noqa: F811
    url = empty_database
    migrate.upgrade(url, "0010")
    for code, client in (("A1", "ÉCOLE"), ("A2", " école "), ("A3", "")):
        _query(
            url,
            "INSERT INTO projects (code, name, client, status, skills, hourly_rate, currency,"
            " open_to_reassignment, created_at) VALUES"
            f" ('{code}', 'P', '{client}', 'open', '[]', 10, 'EUR', true, CURRENT_TIMESTAMP)",
        )
    migrate.upgrade(url, "0011")
    assert _query(url, "SELECT code, client, client_key FROM projects ORDER BY code") == [
        ("A1", "ÉCOLE", "école"),
        ("A2", " école ", "école"),
        ("A3", "", ""),
    ]


def test_0011_links_existing_hold_notifications_to_their_incident(empty_database):  # noqa: F811
    url = empty_database
    migrate.upgrade(url, "0010")
    _query(
        url,
        "INSERT INTO users (email, name, role, active, timezone, skills, session_token,"
        " recovery_codes, reminders, created_at) VALUES ('c@example.com', 'C', 'contractor',"
        " true, 'UTC', '[]', 'token', '[]', true, CURRENT_TIMESTAMP)",
    )
    _query(
        url,
        "INSERT INTO projects (code, name, client, status, skills, hourly_rate, currency,"
        " open_to_reassignment, created_at) VALUES"
        " ('H1', 'P', 'Acme', 'frozen', '[]', 10, 'EUR', true, CURRENT_TIMESTAMP)",
    )
    _query(
        url,
        "INSERT INTO incidents (title, reason, notice, allow_backfill, allow_same_client, scope,"
        " client, review_by, started_at, affected_count) VALUES ('Hold on H1', 'r', 'n', false,"
        " false, 'projects', NULL, '2027-01-01', CURRENT_TIMESTAMP, 1)",
    )
    _query(
        url,
        "INSERT INTO holds (project_id, incident_id, reason, notice, allow_backfill, started_at,"
        " affected_count) SELECT p.id, i.id, 'r', 'n', false, CURRENT_TIMESTAMP, 1"
        " FROM projects p, incidents i",
    )
    _query(
        url,
        "INSERT INTO notifications (user_id, kind, message, hold_id, created_at)"
        " SELECT u.id, 'hold_started', 'on hold', h.id, CURRENT_TIMESTAMP FROM users u, holds h",
    )
    _query(
        url,
        "INSERT INTO notifications (user_id, kind, message, created_at)"
        " SELECT u.id, 'entry_rejected', 'no', CURRENT_TIMESTAMP FROM users u",
    )
    migrate.upgrade(url, "0011")
    incident = _query(url, "SELECT id FROM incidents")[0][0]
    assert _query(url, "SELECT kind, incident_id FROM notifications ORDER BY id") == [
        ("hold_started", incident),
        ("entry_rejected", None),
    ]
    assert _query(url, "SELECT client_key FROM incidents") == [(None,)]
