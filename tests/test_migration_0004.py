"""Migration 0004 (outbox, webhook endpoints, the reminders preference) keeps existing data."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from tests import live
from tracker import migrate


@pytest.fixture
def empty_database(tmp_path) -> Iterator[str]:
    """A new, empty database on the backend under test."""
    admin_url = os.environ.get("TRACKER_TEST_DATABASE_URL")
    if not admin_url:
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    with live.temporary_postgres(admin_url, prefix="tracker_migrate") as url:
        yield url


def _query(url: str, sql: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            result = connection.execute(text(sql))
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_0004_adds_delivery_and_keeps_every_user_with_reminders_on(empty_database):
    url = empty_database
    migrate.upgrade(url, "0002")
    _query(
        url,
        "INSERT INTO users (email, name, role, active, timezone, skills, session_token,"
        " recovery_codes, created_at) VALUES ('old@example.com', 'Old', 'contractor', true,"
        " 'UTC', '[]', 'token', '[]', CURRENT_TIMESTAMP)",
    )
    migrate.upgrade(url, "0004")
    assert {"outbox", "webhook_endpoints"} <= _tables(url)
    assert _query(url, "SELECT email, reminders FROM users") == [("old@example.com", True)]
    _query(
        url,
        "INSERT INTO outbox (kind, status, topic, recipient, payload, key, dedupe_key, attempts,"
        " next_attempt_at, created_at) VALUES ('email', 'pending', 'reminder',"
        " 'old@example.com', '{}', 'k', 'reminder:2026-W49:1', 0, CURRENT_TIMESTAMP,"
        " CURRENT_TIMESTAMP)",
    )
    with pytest.raises(Exception, match=r"(?i)unique"):
        _query(
            url,
            "INSERT INTO outbox (kind, status, topic, recipient, payload, key, dedupe_key,"
            " attempts, next_attempt_at, created_at) VALUES ('email', 'pending', 'reminder',"
            " 'old@example.com', '{}', 'k', 'reminder:2026-W49:1', 0, CURRENT_TIMESTAMP,"
            " CURRENT_TIMESTAMP)",
        )
    command.downgrade(migrate.alembic_config(url), "0002")
    assert not {"outbox", "webhook_endpoints"} & _tables(url)
    assert _query(url, "SELECT email FROM users") == [("old@example.com",)]
    migrate.upgrade(url)
    assert _query(url, "SELECT reminders FROM users") == [(True,)]
