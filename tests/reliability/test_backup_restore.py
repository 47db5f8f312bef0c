"""``db backup`` and ``db restore``: a consistent copy of a live SQLite database, brought back.

PostgreSQL has pg_dump and pg_restore for this; both commands point there and refuse.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url

from tests import live
from tests.reliability.support import api, flask_cli, utc_days_ago
from tracker import migrate
from tracker.models import AuditEvent, Base, TimeEntry


@pytest.fixture
def sqlite_only(is_postgres: bool) -> None:
    if is_postgres:
        pytest.skip("SQLite files only (PostgreSQL: pg_dump and pg_restore)")


def _path(url: str) -> Path:
    return Path(make_url(url).database or "")


def _rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(sql).fetchall()


def _with_entries(own: Any, count: int = 3) -> list[int]:
    person = own.make.contractor()
    project = own.make.project()
    own.make.assign(project, person)
    ids = [
        own.make.entry(person, project, work_date=utc_days_ago(1 + n), minutes=60 + n).id
        for n in range(count)
    ]
    own.db.close()
    return ids


def _invoke(own: Any, *args: str) -> Any:
    return own.app.test_cli_runner().invoke(args=["db", *args])


@pytest.mark.usefixtures("sqlite_only")
def test_a_backup_is_a_private_intact_copy_and_is_audited(own, tmp_path):
    ids = _with_entries(own)
    target = tmp_path / "copies" / "tracker-backup.db"
    target.parent.mkdir()

    result = _invoke(own, "backup", str(target))

    assert result.exit_code == 0, result.output
    assert f"backup written to {target}" in result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert list(target.parent.iterdir()) == [target]  # no temporary file left beside it
    assert _rows(target, "PRAGMA integrity_check") == [("ok",)]
    assert [r[0] for r in _rows(target, "SELECT id FROM time_entries ORDER BY id")] == ids
    assert _rows(target, "SELECT version_num FROM alembic_version") == [
        (next(iter(migrate.heads())),)
    ]
    event = own.db.scalars(select(AuditEvent).where(AuditEvent.action == "database.backup")).one()
    assert event.origin.startswith("cli:")
    assert event.data["file"] == str(target)


@pytest.mark.usefixtures("sqlite_only")
def test_a_backup_never_overwrites_a_file_without_force(own, tmp_path):
    _with_entries(own)
    target = tmp_path / "existing.db"
    target.write_bytes(b"keep me")

    refused = _invoke(own, "backup", str(target))
    forced = _invoke(own, "backup", "--force", str(target))

    assert refused.exit_code == 1
    assert "exists already; give --force" in refused.output
    assert forced.exit_code == 0, forced.output
    assert _rows(target, "PRAGMA integrity_check") == [("ok",)]


@pytest.mark.usefixtures("sqlite_only")
def test_a_backup_into_a_folder_that_does_not_exist_is_refused_in_one_line(own, tmp_path):
    refused = _invoke(own, "backup", str(tmp_path / "no-such-folder" / "copy.db"))

    assert refused.exit_code == 1
    assert (
        refused.output.strip() == f"error: the folder {tmp_path / 'no-such-folder'} does not exist"
    )


@pytest.mark.usefixtures("sqlite_only")
def test_restore_refuses_a_database_that_holds_data_unless_forced_and_audits_it(own, tmp_path):
    ids = _with_entries(own)
    backup = tmp_path / "backup.db"
    assert _invoke(own, "backup", str(backup)).exit_code == 0
    extra = _with_entries(own, count=1)  # made after the backup: the restore takes it away

    refused = _invoke(own, "restore", str(backup))
    forced = _invoke(own, "restore", "--force", str(backup))

    assert refused.exit_code == 1
    assert "holds data" in refused.output
    assert "--force" in refused.output
    assert forced.exit_code == 0, forced.output
    assert "no upgrade needed" in forced.output
    stored = list(own.db.scalars(select(TimeEntry.id).order_by(TimeEntry.id)))
    assert stored == ids
    assert extra[0] not in stored
    actions = list(own.db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-1] == "database.restore"  # recorded after it, in the restored database
    assert "database.backup" not in actions  # the backup's own event came after the copy


@pytest.mark.usefixtures("sqlite_only")
def test_restore_into_a_new_database_file_makes_it_private(own, tmp_path):
    _with_entries(own)
    backup = tmp_path / "backup.db"
    assert _invoke(own, "backup", str(backup)).exit_code == 0
    fresh = tmp_path / "fresh.db"

    done = flask_cli(f"sqlite:///{fresh}", "db", "restore", str(backup))

    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    assert _rows(fresh, "PRAGMA integrity_check") == [("ok",)]


@pytest.mark.usefixtures("sqlite_only")
def test_restore_of_an_older_schema_says_to_upgrade_and_the_upgrade_keeps_the_data(own, tmp_path):
    older = tmp_path / "older.db"
    previous = _revision_before_head()
    migrate.upgrade(f"sqlite:///{older}", previous)
    with sqlite3.connect(older) as connection:
        connection.execute(
            "INSERT INTO users (email, name, role, active, timezone, skills, session_token, "
            "recovery_codes, created_at) VALUES ('old@example.com', 'Old', 'contractor', 1, "
            "'UTC', '[]', 'x', '[]', '2026-01-01 00:00:00')"
        )

    restored = _invoke(own, "restore", str(older))
    upgraded = _invoke(own, "upgrade")

    assert restored.exit_code == 0, restored.output
    assert f"schema revision {previous}" in restored.output
    assert "run `flask --app tracker db upgrade` next" in restored.output
    assert upgraded.exit_code == 0, upgraded.output
    assert _rows(_path(own.url), "SELECT email FROM users") == [("old@example.com",)]


def _revision_before_head() -> str:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(str(migrate.MIGRATIONS))
    down = scripts.get_revision(scripts.get_current_head()).down_revision
    assert isinstance(down, str), "needs at least two revisions"
    return down


@pytest.mark.usefixtures("sqlite_only")
@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("not_sqlite", "is not a SQLite database"),
        ("damaged", "fails SQLite's integrity check"),
        ("other_app", "is not a database of this app"),
        ("newer", "which this version does not know"),
        ("missing", "there is no file at"),
    ],
)
def test_restore_refuses_a_file_that_is_not_a_good_backup_of_this_app(
    own, tmp_path, damage, message
):
    ids = _with_entries(own)
    source = tmp_path / "source.db"
    assert _invoke(own, "backup", str(source)).exit_code == 0
    if damage == "not_sqlite":
        source.write_text("id,minutes\n1,60\n")
    elif damage == "damaged":
        content = bytearray(source.read_bytes())
        content[4096 : 4096 * 3] = b"\xff" * (4096 * 2)  # the pages after the header page
        source.write_bytes(bytes(content))
    elif damage == "other_app":
        source.unlink()
        with sqlite3.connect(source) as connection:
            connection.execute("CREATE TABLE notes (body TEXT)")
    elif damage == "newer":
        with sqlite3.connect(source) as connection:
            connection.execute("UPDATE alembic_version SET version_num = 'f00dface'")
    else:
        source.unlink()

    refused = _invoke(own, "restore", "--force", str(source))

    assert refused.exit_code == 1
    assert message in refused.output
    assert "Traceback" not in refused.output
    assert list(own.db.scalars(select(TimeEntry.id).order_by(TimeEntry.id))) == ids


def test_on_postgresql_backup_and_restore_point_to_pg_dump_and_pg_restore(is_postgres, own):
    if not is_postgres:
        pytest.skip("PostgreSQL only")
    backup = own.app.test_cli_runner().invoke(args=["db", "backup", "copy.dump"])
    restore = own.app.test_cli_runner().invoke(args=["db", "restore", "copy.dump"])

    assert backup.exit_code == 1
    assert "pg_dump" in backup.output
    assert restore.exit_code == 1
    assert "pg_restore" in restore.output
    assert len(backup.output.strip().splitlines()) == 1


WRITERS = 8


@pytest.mark.slow
@pytest.mark.usefixtures("sqlite_only")
def test_a_backup_taken_under_load_restores_every_entry_acknowledged_before_it(own, tmp_path):
    project = own.make.project()
    people = []
    for _ in range(WRITERS):
        person = own.make.contractor()
        own.make.assign(project, person)
        people.append(own.make.token(person))
    project_id = project.id
    own.db.close()
    acknowledged: list[tuple[float, float, int]] = []  # (sent, 201 arrived, entry id)
    stop = threading.Event()

    def writer(number: int, token: str) -> None:
        request = 0
        while not stop.is_set():
            body = {
                "project_id": project_id,
                "work_date": utc_days_ago(1 + request % 10).isoformat(),
                "minutes": 1,
                "description": f"writer {number} request {request}",
            }
            sent = time.monotonic()
            answer = api(port, "POST", "/entries", token, body)
            if answer.status == 201:
                acknowledged.append((sent, time.monotonic(), answer.body["id"]))
            request += 1

    backup = tmp_path / "under-load.db"
    with live.gunicorn_server(own.url, workers=2, threads=4) as server:
        port = server.port
        threads = [
            threading.Thread(target=writer, args=(n, token), daemon=True)
            for n, token in enumerate(people)
        ]
        for thread in threads:
            thread.start()
        while len(acknowledged) < 50:
            time.sleep(0.05)
        started = time.monotonic()
        made = flask_cli(own.url, "db", "backup", str(backup))
        finished = time.monotonic()
        while not any(sent > finished for sent, _when, _id in acknowledged):
            time.sleep(0.05)  # writers carried on after the backup too
        stop.set()
        for thread in threads:
            thread.join(60)

    assert made.returncode == 0, made.stderr
    restored_path = tmp_path / "restored.db"
    restored = flask_cli(f"sqlite:///{restored_path}", "db", "restore", str(backup))
    assert restored.returncode == 0, restored.stderr

    before = {entry_id for _sent, when, entry_id in acknowledged if when < started}
    later = {entry_id for sent, _when, entry_id in acknowledged if sent > finished}
    in_copy = {row[0] for row in _rows(restored_path, "SELECT id FROM time_entries")}
    assert before
    assert later
    assert before <= in_copy
    assert not in_copy & later  # a snapshot: entries sent after it are not in it
    assert in_copy <= _rows_set(own.url)  # nothing the live database never had
    live_rows = _entries(_path(own.url), in_copy)
    assert _entries(restored_path, in_copy) == live_rows  # identical rows, not half-written
    assert _rows(restored_path, "PRAGMA integrity_check") == [("ok",)]
    actions = [
        row[0] for row in _rows(restored_path, "SELECT action FROM audit_events ORDER BY id")
    ]
    assert actions[-1] == "database.restore"


def _rows_set(url: str) -> set[int]:
    return {row[0] for row in _rows(_path(url), "SELECT id FROM time_entries")}


def _entries(path: Path, ids: set[int]) -> list[tuple[Any, ...]]:
    rows = _rows(path, "SELECT id, user_id, work_date, minutes, description FROM time_entries")
    return sorted(row for row in rows if row[0] in ids)


PG_DUMP = ("pg_dump", "--format=custom", "--no-owner")
PG_RESTORE = ("pg_restore", "--no-owner", "--single-transaction")


def _every_row(url: str) -> dict[str, list[Any]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table.name: list(
                    connection.execute(select(table).order_by(*table.primary_key.columns))
                )
                for table in Base.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.mark.slow
def test_the_readmes_pg_dump_and_pg_restore_commands_bring_every_row_back(
    is_postgres, own, tmp_path
):
    if not is_postgres or not shutil.which("pg_dump"):
        pytest.skip("PostgreSQL, with its client tools")
    readme = (live.ROOT / "README.md").read_text()
    assert " ".join(PG_DUMP) in readme
    assert " ".join(PG_RESTORE) in readme
    _with_entries(own)
    dump = tmp_path / "tracker.dump"
    subprocess.run([*PG_DUMP, f"--file={dump}", _libpq(own.url)], check=True, timeout=120)

    admin_url = os.environ["TRACKER_TEST_DATABASE_URL"]
    name, restored_url = live.create_postgres(admin_url, "tracker_restored")
    try:
        subprocess.run(
            [*PG_RESTORE, f"--dbname={_libpq(restored_url)}", str(dump)], check=True, timeout=120
        )
        upgraded = flask_cli(restored_url, "db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stderr
        assert _every_row(restored_url) == _every_row(own.url)
    finally:
        live.drop_postgres(admin_url, name)
