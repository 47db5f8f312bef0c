"""Migration 0006 (the second factor's pending secret on the server) keeps existing data."""

from __future__ import annotations

from alembic import command

from tests.test_migration_0004 import _query, empty_database  # noqa: F401  (a fixture)
from tracker import migrate


def test_0006_adds_the_pending_secret_and_keeps_every_user_and_their_second_factor(
    empty_database,  # noqa: F811
):
    url = empty_database
    migrate.upgrade(url, "0004")
    _query(
        url,
        "INSERT INTO users (email, name, role, active, timezone, skills, session_token,"
        " totp_secret, recovery_codes, reminders, created_at) VALUES ('old@example.com', 'Old',"
        " 'admin', true, 'UTC', '[]', 'token', 'JBSWY3DPEHPK3PXP', '[]', true,"
        " CURRENT_TIMESTAMP)",
    )
    migrate.upgrade(url, "0006")
    assert _query(url, "SELECT email, totp_secret, totp_pending_secret FROM users") == [
        ("old@example.com", "JBSWY3DPEHPK3PXP", None)
    ]
    _query(url, "UPDATE users SET totp_pending_secret = 'KRSXG5CTMVRXEZLU'")
    command.downgrade(migrate.alembic_config(url), "0004")
    assert _query(url, "SELECT email, totp_secret FROM users") == [
        ("old@example.com", "JBSWY3DPEHPK3PXP")
    ]
    migrate.upgrade(url)
    assert _query(url, "SELECT totp_pending_secret FROM users") == [(None,)]
