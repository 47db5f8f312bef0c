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


def downgrade() -> None:
    op.drop_index("ix_outbox_status_id", table_name="outbox")
    op.drop_index("ix_notifications_user_created", table_name="notifications")
    op.drop_index("ix_time_entries_user_status_day", table_name="time_entries")
    op.drop_index("ix_time_entries_user_day_id", table_name="time_entries")
    op.create_index("ix_time_entries_user_day", "time_entries", ["user_id", "work_date"])
