"""incidents, their updates and affected contractors; every hold belongs to an incident

Every existing hold becomes an incident of one project (its reason, notice, reference,
backfill, start and end), affecting the people it told (its ``hold_started`` notifications)
and, while it lasts, everyone on the project now.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 10:00:00
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tracker.models

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REVIEW_DAYS = 14


def _when(value: object) -> dt.datetime:
    """A timestamp as SQLite (text) or PostgreSQL (datetime) returns it, in UTC."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def upgrade() -> None:
    incidents = op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("notice", sa.Text(), nullable=False),
        sa.Column("incident_ref", sa.String(length=100), nullable=True),
        sa.Column("allow_backfill", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "allow_same_client", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("client", sa.String(length=200), nullable=True),
        sa.Column("review_by", sa.Date(), nullable=False),
        sa.Column("started_at", tracker.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("lifted_at", tracker.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lifted_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("affected_count", sa.Integer(), nullable=False),
        sa.CheckConstraint("scope IN ('client', 'projects')", name=op.f("ck_incidents_scope")),
        sa.ForeignKeyConstraint(
            ["started_by_id"],
            ["users.id"],
            name=op.f("fk_incidents_started_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["lifted_by_id"],
            ["users.id"],
            name=op.f("fk_incidents_lifted_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    op.create_index("ix_incidents_active", "incidents", ["lifted_at", "review_by"], unique=False)
    op.create_table(
        "incident_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("at", tracker.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_updates_incident_id_incidents"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["by_id"], ["users.id"], name=op.f("fk_incident_updates_by_id_users"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_updates")),
    )
    op.create_index(
        op.f("ix_incident_updates_incident_id"), "incident_updates", ["incident_id"], unique=False
    )
    people = op.create_table(
        "incident_contractors",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("added_at", tracker.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", tracker.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_contractors_incident_id_incidents"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_incident_contractors_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("incident_id", "user_id", name=op.f("pk_incident_contractors")),
    )
    op.create_index(
        op.f("ix_incident_contractors_user_id"), "incident_contractors", ["user_id"], unique=False
    )
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("incident_id", sa.Integer(), nullable=True))

    bind = op.get_bind()
    holds = bind.execute(
        sa.text(
            "SELECT h.id, h.project_id, p.code, h.reason, h.notice, h.incident_ref,"
            " h.allow_backfill, h.started_at, h.started_by_id, h.ended_at, h.ended_by_id,"
            " h.note, h.affected_count FROM holds h JOIN projects p ON p.id = h.project_id"
            " ORDER BY h.id"
        )
    ).all()
    # Each hold's incident takes the hold's id: the link needs no lookup.
    if holds:
        bind.execute(
            incidents.insert(),
            [
                {
                    "id": h.id,
                    "title": f"Hold on {h.code}",
                    "reason": h.reason,
                    "notice": h.notice,
                    "incident_ref": h.incident_ref,
                    "allow_backfill": bool(h.allow_backfill),
                    "allow_same_client": False,
                    "scope": "projects",
                    "client": None,
                    "review_by": _when(h.started_at).date() + dt.timedelta(days=REVIEW_DAYS),
                    "started_at": _when(h.started_at),
                    "started_by_id": h.started_by_id,
                    "lifted_at": _when(h.ended_at) if h.ended_at is not None else None,
                    "lifted_by_id": h.ended_by_id,
                    "note": h.note,
                    "affected_count": h.affected_count,
                }
                for h in holds
            ],
        )
        bind.execute(sa.text("UPDATE holds SET incident_id = id"))
        told = bind.execute(
            sa.text(
                "SELECT DISTINCT hold_id, user_id FROM notifications"
                " WHERE kind = 'hold_started' AND hold_id IS NOT NULL"
                " UNION SELECT h.id, a.user_id FROM holds h JOIN assignments a"
                " ON a.project_id = h.project_id AND a.end_date IS NULL"
                " WHERE h.ended_at IS NULL"
            )
        ).all()
        started = {h.id: _when(h.started_at) for h in holds}
        if told:
            bind.execute(
                people.insert(),
                [
                    {"incident_id": hold_id, "user_id": user_id, "added_at": started[hold_id]}
                    for hold_id, user_id in sorted(set(told))
                ],
            )
    if bind.dialect.name == "postgresql":
        bind.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence('incidents', 'id'),"
                " (SELECT COALESCE(MAX(id), 0) + 1 FROM incidents), false)"
            )
        )
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.alter_column("incident_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f("ix_holds_incident_id"), ["incident_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_holds_incident_id_incidents"),
            "incidents",
            ["incident_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_holds_incident_id_incidents"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_holds_incident_id"))
        batch_op.drop_column("incident_id")
    op.drop_index(op.f("ix_incident_contractors_user_id"), table_name="incident_contractors")
    op.drop_table("incident_contractors")
    op.drop_index(op.f("ix_incident_updates_incident_id"), table_name="incident_updates")
    op.drop_table("incident_updates")
    op.drop_index("ix_incidents_active", table_name="incidents")
    op.drop_table("incidents")
