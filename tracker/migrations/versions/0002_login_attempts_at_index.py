"""index login_attempts.at, so old failed attempts are forgotten without a table scan

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 12:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Built without blocking sign-ins on a live table (needs to run outside a transaction).
        with op.get_context().autocommit_block():
            op.create_index(
                "ix_login_attempts_at", "login_attempts", ["at"], postgresql_concurrently=True
            )
    else:
        op.create_index("ix_login_attempts_at", "login_attempts", ["at"])


def downgrade() -> None:
    op.drop_index("ix_login_attempts_at", table_name="login_attempts")
