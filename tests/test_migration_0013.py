"""Migration 0013 gives notifications their params; the ones written before keep their English
message, which is what pages show for them, in every language."""

from __future__ import annotations

from tests.test_migration_0004 import _query, empty_database  # noqa: F401
from tracker import migrate
from tracker.models import Notification
from tracker.services import notifications


def test_0013_keeps_earlier_notifications_and_shows_them_as_written(
    empty_database,  # noqa: F811
):
    url = empty_database
    migrate.upgrade(url, "0012")
    _query(
        url,
        "INSERT INTO users (email, name, role, active, timezone, skills, session_token,"
        " recovery_codes, reminders, created_at) VALUES ('c@example.com', 'Casey', 'contractor',"
        " true, 'UTC', '[]', 'token', '[]', true, CURRENT_TIMESTAMP)",
    )
    _query(
        url,
        "INSERT INTO notifications (user_id, kind, message, created_at) SELECT id,"
        " 'hold_started', 'ORBIT — Orbit is on hold: time entry is paused. Paused.',"
        " CURRENT_TIMESTAMP FROM users",
    )
    migrate.upgrade(url, "0013")
    assert _query(url, "SELECT kind, message, params FROM notifications") == [
        ("hold_started", "ORBIT — Orbit is on hold: time entry is paused. Paused.", None)
    ]
    old = Notification(
        kind="hold_started", message="ORBIT — Orbit is on hold: time entry is paused. Paused."
    )
    assert notifications.describe(old) == notifications.Shown(old.message)
