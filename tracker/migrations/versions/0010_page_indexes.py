"""page indexes: the lists' keyset orders and filters, whatever the size of the history

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-07 10:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The audit page's filters, each ending in the page's keyset order (id) instead of the time:
# (old name, its columns, new name, its columns).
AUDIT = (
    (
        "ix_audit_events_target",
        ["target_type", "target_id"],
        "ix_audit_events_target_id",
        ["target_type", "target_id", "id"],
    ),
    (
        "ix_audit_events_actor_at",
        ["actor_id", "at"],
        "ix_audit_events_actor_id",
        ["actor_id", "id"],
    ),
    ("ix_audit_events_action_at", ["action", "at"], "ix_audit_events_action_id", ["action", "id"]),
)


def upgrade() -> None:
    op.drop_index("ix_time_entries_user_day", table_name="time_entries")
    op.create_index("ix_time_entries_user_day_id", "time_entries", ["user_id", "work_date", "id"])
    op.create_index(
        "ix_time_entries_user_status_day",
        "time_entries",
        ["user_id", "status", "work_date", "id"],
    )
    op.create_index(
        "ix_notifications_user_created", "notifications", ["user_id", "created_at", "id"]
    )
    op.create_index("ix_outbox_status_id", "outbox", ["status", "id"])
    for old, _old_columns, new, columns in AUDIT:
        op.drop_index(old, table_name="audit_events")
        op.create_index(new, "audit_events", columns)


def downgrade() -> None:
    for old, old_columns, new, _columns in AUDIT:
        op.drop_index(new, table_name="audit_events")
        op.create_index(old, "audit_events", old_columns)
    op.drop_index("ix_outbox_status_id", table_name="outbox")
    op.drop_index("ix_notifications_user_created", table_name="notifications")
    op.drop_index("ix_time_entries_user_status_day", table_name="time_entries")
    op.drop_index("ix_time_entries_user_day_id", table_name="time_entries")
    op.create_index("ix_time_entries_user_day", "time_entries", ["user_id", "work_date"])
