"""Migrations build exactly the schema the models describe; `db upgrade` is safe to rerun."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from tests import live
from tracker import create_app, migrate
from tracker.models import Base, UTCDateTime


def test_models_and_migrated_schema_do_not_differ(database_url):
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": False}
            )
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_the_test_database_is_at_the_head_revision(database_url):
    head = ScriptDirectory.from_config(migrate.alembic_config(database_url)).get_current_head()
    assert migrate.current(database_url) == head


def _cli_app(path: Path):
    return create_app(
        {
            "DATABASE_URL": f"sqlite:///{path}",
            "SECRET_KEY": "migration-test-secret-key-0123456789",
        }
    )


def test_db_upgrade_creates_an_empty_sqlite_database_and_can_run_again(tmp_path):
    path = tmp_path / "fresh.db"
    app = _cli_app(path)
    try:
        runner = app.test_cli_runner()
        first = runner.invoke(args=["db", "upgrade"])
        assert first.exit_code == 0, first.output
        assert "database is at revision" in first.output
        engine = create_engine(f"sqlite:///{path}")
        try:
            tables = set(inspect(engine).get_table_names())
        finally:
            engine.dispose()
        assert set(Base.metadata.tables) <= tables
        second = runner.invoke(args=["db", "upgrade"])
        assert second.exit_code == 0, second.output
        assert second.output == first.output
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        app.extensions["tracker.engine"].dispose()


def test_every_migration_has_a_downgrade_path_to_base(tmp_path):
    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    migrate.upgrade(url)
    command.downgrade(migrate.alembic_config(url), "base")
    engine = create_engine(url)
    try:
        remaining = set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()
    assert remaining == set()
    migrate.upgrade(url)
    assert migrate.current(url) is not None


def test_the_real_command_line_migrates_a_new_database(tmp_path):
    import os
    import subprocess
    import sys

    path = tmp_path / "cli.db"
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": f"sqlite:///{path}",
        "TRACKER_SECRET_KEY": "migration-test-secret-key-0123456789",
        "TRACKER_ENV": "development",
    }
    env.pop("FLASK_DEBUG", None)
    flask = str(Path(sys.executable).with_name("flask"))
    done = subprocess.run(
        [flask, "--app", "tracker", "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.returncode == 0, done.stderr
    assert "database is at revision" in done.stdout
    assert migrate.current(f"sqlite:///{path}") is not None


@pytest.fixture
def empty_database(database_url, tmp_path):
    """A new, empty database on the run's backend (a SQLite file, or a PostgreSQL database)."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'upgrade.db'}"
        return
    with live.temporary_postgres(os.environ["TRACKER_TEST_DATABASE_URL"]) as url:
        yield url


_users = sa.table(
    "users",
    *(sa.column(name) for name in ("id", "email", "name", "role", "timezone", "session_token")),
    sa.column("skills", sa.JSON),
    sa.column("recovery_codes", sa.JSON),
    sa.column("created_at", UTCDateTime()),
)
_attempts = sa.table(
    "login_attempts",
    sa.column("email"),
    sa.column("address"),
    sa.column("at", UTCDateTime()),
)


def test_sign_in_state_leaves_login_attempts_for_its_own_columns_keeping_existing_data(
    empty_database,
):
    url = empty_database
    migrate.upgrade(url, "0002")
    now = dt.datetime.now(dt.UTC)
    earlier = now - dt.timedelta(minutes=3)
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                _users.insert(),
                [
                    {
                        "id": n,
                        "email": f"person{n}@example.test",
                        "name": f"Person {n}",
                        "role": "contractor",
                        "timezone": "UTC",
                        "session_token": f"token-{n}",
                        "skills": [],
                        "recovery_codes": [],
                        "created_at": now,
                    }
                    for n in (1, 2)
                ],
            )
            connection.execute(
                _attempts.insert(),
                [
                    {"email": "person1@example.test", "address": "198.51.100.1", "at": now},
                    {"email": "totp:1", "address": "59123456", "at": now},
                    {"email": "mfa:1", "address": "198.51.100.2", "at": earlier},
                    {"email": "mfa:1", "address": "198.51.100.3", "at": now},
                    {"email": "reauth:2", "address": "198.51.100.4", "at": now},
                    {"email": "mfa:999", "address": "198.51.100.5", "at": now},  # nobody's
                ],
            )
        migrate.upgrade(url)
        with engine.connect() as connection:
            steps = dict(connection.execute(sa.text("SELECT id, totp_last_step FROM users")).all())
            failures = connection.execute(
                sa.text("SELECT user_id, kind, address FROM auth_failures ORDER BY address")
            ).all()
            typed = connection.execute(
                sa.text("SELECT email, address FROM login_attempts ORDER BY address")
            ).all()
        assert steps == {1: 59123456, 2: None}
        assert [tuple(row) for row in failures] == [
            (1, "mfa", "198.51.100.2"),
            (1, "mfa", "198.51.100.3"),
            (2, "reauth", "198.51.100.4"),
        ]
        # Typed emails stay, and a key that names nobody is left as the typed text it was.
        assert [tuple(row) for row in typed] == [
            ("person1@example.test", "198.51.100.1"),
            ("mfa:999", "198.51.100.5"),
        ]

        command.downgrade(migrate.alembic_config(url), "0002")
        with engine.connect() as connection:
            restored = connection.execute(
                sa.text("SELECT email, address FROM login_attempts ORDER BY email, address")
            ).all()
        assert [tuple(row) for row in restored] == [
            ("mfa:1", "198.51.100.2"),
            ("mfa:1", "198.51.100.3"),
            ("mfa:999", "198.51.100.5"),
            ("person1@example.test", "198.51.100.1"),
            ("reauth:2", "198.51.100.4"),
            ("totp:1", "59123456"),
        ]
    finally:
        engine.dispose()
