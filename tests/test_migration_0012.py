"""Migration 0012 gives every user a language column; existing users follow their browser."""

from __future__ import annotations

from tests.test_migration_0004 import _query, empty_database  # noqa: F401
from tracker import migrate


def test_0012_keeps_existing_users_and_leaves_their_language_to_the_browser(
    empty_database,  # noqa: F811
):
    url = empty_database
    migrate.upgrade(url, "0011")
    _query(
        url,
        "INSERT INTO users (email, name, role, active, timezone, skills, session_token,"
        " recovery_codes, reminders, created_at) VALUES ('c@example.com', 'رنا', 'contractor',"
        " true, 'Asia/Riyadh', '[]', 'token', '[]', true, CURRENT_TIMESTAMP)",
    )
    migrate.upgrade(url, "0012")
    assert _query(url, "SELECT email, name, timezone, language FROM users") == [
        ("c@example.com", "رنا", "Asia/Riyadh", None)
    ]
    _query(url, "UPDATE users SET language = 'ar'")
    assert _query(url, "SELECT language FROM users") == [("ar",)]
