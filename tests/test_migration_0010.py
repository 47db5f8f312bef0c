"""Migration 0010 (the pages' indexes) keeps every row, and the lists read the same after it."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect

from tests.test_migration_0004 import _query, empty_database  # noqa: F401  (a fixture)
from tracker import migrate


def _indexes(url: str, table: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {i["name"] for i in inspect(engine).get_indexes(table)}
    finally:
        engine.dispose()


def _arrange(url: str) -> None:
    _query(
        url,
        "INSERT INTO users (email, name, role, active, timezone, skills, session_token,"
        " recovery_codes, reminders, created_at) VALUES ('c@example.com', 'C', 'contractor',"
        " true, 'UTC', '[]', 'token', '[]', true, CURRENT_TIMESTAMP)",
    )
    _query(
        url,
        "INSERT INTO projects (code, name, client, status, hourly_rate, currency, seats,"
        " skills, open_to_reassignment, created_at) VALUES ('P1', 'Project', 'Client', 'open',"
        " 50, 'EUR', NULL, '[]', false, CURRENT_TIMESTAMP)",
    )
    for n, day in enumerate(("2026-01-05", "2026-01-06", "2026-01-06")):
        _query(
            url,
            "INSERT INTO time_entries (user_id, project_id, work_date, minutes, description,"
            " status, hourly_rate, currency, is_correction, created_at) SELECT u.id, p.id,"
            f" '{day}', {60 + n}, 'Work', 'submitted', 50, 'EUR', false, CURRENT_TIMESTAMP"
            " FROM users u, projects p",
        )
    _query(
        url,
        "INSERT INTO audit_events (at, actor_id, action, target_type, target_id, origin, data)"
        " SELECT CURRENT_TIMESTAMP, id, 'entry.created', 'time_entry', 1, 'cli', '{}'"
        " FROM users",
    )
    _query(
        url,
        "INSERT INTO notifications (user_id, kind, message, created_at) SELECT id,"
        " 'entry_rejected', 'Rejected', CURRENT_TIMESTAMP FROM users",
    )
    _query(
        url,
        "INSERT INTO outbox (kind, status, topic, recipient, payload, key, attempts,"
        " next_attempt_at, created_at) VALUES ('email', 'sent', 'entry_rejected',"
        " 'c@example.com', '{}', 'k1', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    )


def _rows(url: str) -> list[list[tuple]]:
    return [
        _query(url, "SELECT work_date, minutes FROM time_entries ORDER BY work_date DESC, id DESC"),
        _query(url, "SELECT action, target_id FROM audit_events ORDER BY id"),
        _query(url, "SELECT kind, message FROM notifications ORDER BY id"),
        _query(url, "SELECT status, recipient FROM outbox ORDER BY id"),
    ]


def test_0010_swaps_the_list_indexes_and_keeps_every_row(empty_database):  # noqa: F811
    url = empty_database
    migrate.upgrade(url, "0007")
    _arrange(url)
    before = _rows(url)
    migrate.upgrade(url, "0010")
    assert _rows(url) == before
    assert {"ix_time_entries_user_day_id", "ix_time_entries_user_status_day"} <= _indexes(
        url, "time_entries"
    )
    assert "ix_time_entries_user_day" not in _indexes(url, "time_entries")
    assert {
        "ix_audit_events_actor_id",
        "ix_audit_events_action_id",
        "ix_audit_events_target_id",
    } <= _indexes(url, "audit_events")
    assert "ix_notifications_user_created" in _indexes(url, "notifications")
    assert "ix_outbox_status_id" in _indexes(url, "outbox")
    command.downgrade(migrate.alembic_config(url), "0007")
    assert _rows(url) == before
    assert "ix_time_entries_user_day" in _indexes(url, "time_entries")
    assert "ix_audit_events_actor_at" in _indexes(url, "audit_events")
    migrate.upgrade(url)
    assert _rows(url) == before
