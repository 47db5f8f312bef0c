"""Migrations build exactly the schema the models describe; `db upgrade` is safe to rerun."""

from __future__ import annotations

import stat
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from tracker import create_app, migrate
from tracker.models import Base


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
    from alembic import command

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
