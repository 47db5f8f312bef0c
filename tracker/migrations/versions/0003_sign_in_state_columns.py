"""sign-in state in its own columns: users.totp_last_step and auth_failures

The second factor's last accepted step and the failed second-step codes and re-entered
passwords used to be rows of login_attempts under the keys "totp:<id>", "mfa:<id>" and
"reauth:<id>", in the column typed emails go in. They move to a column and a table of their
own; login_attempts keeps typed emails only.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 09:00:00
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tracker.models

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The keys the old rows used, and the kind of failure each becomes.
FAILURE_PREFIXES = {"mfa:": "mfa", "reauth:": "reauth"}
STEP_PREFIX = "totp:"

login_attempts = sa.table(
    "login_attempts",
    sa.column("id", sa.Integer),
    sa.column("email", sa.String),
    sa.column("address", sa.String),
    sa.column("at", tracker.models.UTCDateTime(timezone=True)),
)
auth_failures = sa.table(
    "auth_failures",
    sa.column("user_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("address", sa.String),
    sa.column("at", tracker.models.UTCDateTime(timezone=True)),
)
users = sa.table("users", sa.column("id", sa.Integer), sa.column("totp_last_step", sa.Integer))


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
    op.create_table(
        "auth_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=100), nullable=False),
        sa.Column("at", tracker.models.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('mfa', 'reauth')", name=op.f("ck_auth_failures_kind")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_auth_failures_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_failures")),
    )
    with op.batch_alter_table("auth_failures", schema=None) as batch_op:
        batch_op.create_index("ix_auth_failures_at", ["at"], unique=False)
        batch_op.create_index(
            "ix_auth_failures_user_kind_at", ["user_id", "kind", "at"], unique=False
        )
    _move_rows_out_of_login_attempts()


def _user_id(key: str, prefix: str, known: set[int]) -> int | None:
    """The user id of an old key like "mfa:42", when it names a user; else None."""
    rest = key.removeprefix(prefix)
    return int(rest) if rest.isdigit() and int(rest) in known else None


def _move_rows_out_of_login_attempts() -> None:
    bind = op.get_bind()
    known = set(bind.scalars(sa.select(users.c.id)))
    rows = bind.execute(
        sa.select(login_attempts).where(
            sa.or_(
                *(
                    login_attempts.c.email.startswith(prefix)
                    for prefix in (STEP_PREFIX, *FAILURE_PREFIXES)
                )
            )
        )
    ).all()
    moved, failures, steps = [], [], {}
    for row in rows:
        if row.email.startswith(STEP_PREFIX):
            user_id = _user_id(row.email, STEP_PREFIX, known)
            if user_id is not None and row.address.isdigit():
                steps[user_id] = max(int(row.address), steps.get(user_id, -1))
                moved.append(row.id)
            continue
        prefix = next(p for p in FAILURE_PREFIXES if row.email.startswith(p))
        user_id = _user_id(row.email, prefix, known)
        if user_id is not None:
            failures.append(
                {
                    "user_id": user_id,
                    "kind": FAILURE_PREFIXES[prefix],
                    "address": row.address,
                    "at": row.at,
                }
            )
            moved.append(row.id)
    if failures:
        bind.execute(auth_failures.insert(), failures)
    for user_id, step in steps.items():
        bind.execute(users.update().where(users.c.id == user_id).values(totp_last_step=step))
    if moved:
        bind.execute(login_attempts.delete().where(login_attempts.c.id.in_(moved)))


def downgrade() -> None:
    bind = op.get_bind()
    old = [
        {"email": f"{kind}:{user_id}", "address": address, "at": at}
        for user_id, kind, address, at in bind.execute(sa.select(auth_failures))
    ]
    now = dt.datetime.now(dt.UTC)
    old += [
        {"email": f"{STEP_PREFIX}{user_id}", "address": str(step), "at": now}
        for user_id, step in bind.execute(
            sa.select(users.c.id, users.c.totp_last_step).where(
                users.c.totp_last_step.is_not(None)
            )
        )
    ]
    if old:
        bind.execute(login_attempts.insert(), old)
    with op.batch_alter_table("auth_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_auth_failures_user_kind_at")
        batch_op.drop_index("ix_auth_failures_at")
    op.drop_table("auth_failures")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
