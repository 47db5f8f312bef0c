"""client_key on projects and incidents: the client's name case-folded in Python, one key on
SQLite and PostgreSQL alike (SQLite's lower() folds ASCII only); notifications.incident_id, so a
notification about an incident links to its page.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tracker.models.base import client_key

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _backfill(table: str) -> None:
    """Key every distinct client name once: one UPDATE per distinct name, not per row."""
    bind = op.get_bind()
    names = bind.execute(
        sa.text(f"SELECT DISTINCT client FROM {table} WHERE client IS NOT NULL")  # noqa: S608
    ).scalars()
    for name in list(names):
        bind.execute(
            sa.text(f"UPDATE {table} SET client_key = :key WHERE client = :name"),  # noqa: S608
            {"key": client_key(name), "name": name},
        )


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.add_column(
            sa.Column("client_key", sa.String(length=200), nullable=False, server_default="")
        )
    with op.batch_alter_table("projects") as batch:
        batch.alter_column("client_key", server_default=None)
        batch.create_index(batch.f("ix_projects_client_key"), ["client_key"], unique=False)
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("client_key", sa.String(length=200), nullable=True))
    _backfill("projects")
    _backfill("incidents")
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("incident_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_notifications_incident_id_incidents"), "incidents", ["incident_id"], ["id"]
        )
    # Notifications about a hold name its incident (every hold belongs to one since 0005).
    op.execute(
        "UPDATE notifications SET incident_id ="
        " (SELECT holds.incident_id FROM holds WHERE holds.id = notifications.hold_id)"
        " WHERE hold_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint(batch.f("fk_notifications_incident_id_incidents"), type_="foreignkey")
        batch.drop_column("incident_id")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("client_key")
    with op.batch_alter_table("projects") as batch:
        batch.drop_index(batch.f("ix_projects_client_key"))
        batch.drop_column("client_key")
