"""``db upgrade`` keeps every row, from every earlier schema revision; a failing one undoes itself.

The revisions come from the migration scripts, so a new migration is tested by itself: the
database is migrated to each earlier revision, filled with rows in every table it has then
(taken from a current database filled through the services, cut to that revision's columns),
upgraded to the head, and every row must still be there with the same values.
"""

from __future__ import annotations

import datetime as dt
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine, insert, inspect, select, text
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy.orm import sessionmaker

from tests.conftest import PASSWORD
from tests.factories import Factory
from tracker import create_app, migrate
from tracker.models import Base
from tracker.services import (
    auth,
    holds,
    incident_reads,
    incidents,
    outbox,
    payroll_batches,
    users,
    webhooks,
)

SCRIPTS = ScriptDirectory(str(migrate.MIGRATIONS))
HEAD = SCRIPTS.get_current_head()
EARLIER = [script.revision for script in SCRIPTS.walk_revisions() if script.revision != HEAD]

Rows = dict[str, list[dict[str, Any]]]


def _fill_every_table(url: str, app_config: dict[str, Any]) -> None:
    """Users, projects, assignments, entries, a hold lifted (its incident with an update and an
    acknowledgement, its emails and webhook calls), a batch, a token, a link, failures of each
    kind."""
    app = create_app({**app_config, "DATABASE_URL": url, "WEBHOOK_ALLOW_PRIVATE": True})
    engine = create_engine(url)
    try:
        with app.app_context():
            session = sessionmaker(bind=engine)()
            make = Factory(session, PASSWORD)
            admin, _payroll = make.admin(), make.payroll()
            people = [make.contractor(), make.contractor()]
            webhooks.register(
                session, admin, url="http://127.0.0.1:9/hooks", events=["hold.started"]
            )
            project, other = make.project(), make.project(seats=4)
            for person in people:
                make.assign(project, person)
                make.assign(other, person)
                for days in (2, 3):
                    make.entry(person, project, work_date=_days_ago(days), minutes=90)
            hold, _n = holds.freeze_project(
                session, admin, project, reason="incident", notice="Paused."
            )
            incident = incident_reads.get_incident(session, hold.incident_id)
            incidents.post_update(session, admin, incident, "Still paused.")
            incidents.acknowledge(session, people[0], incident.id)
            session.commit()
            holds.unfreeze_project(session, admin, project, note="Cleared.")
            session.commit()
            payroll_batches.create_batch(session, admin, _days_ago(10), _days_ago(1), "all")
            session.commit()
            make.token(admin)
            users.create_setup_link(session, admin, people[0], "reset")
            auth.record_failure(session, "someone@example.com", "203.0.113.9", 900)
            auth.record_user_failure(session, admin, "reauth", "203.0.113.9", 900)
            outbox.record_worker_seen(session)
            session.commit()
            session.close()
    finally:
        engine.dispose()
        app.extensions["tracker.engine"].dispose()


def _days_ago(days: int) -> dt.date:
    return dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Rows:
    """Every row of every table of a current database filled through the services."""
    url = f"sqlite:///{tmp_path_factory.mktemp('sample') / 'sample.db'}"
    migrate.upgrade(url)
    _fill_every_table(
        url,
        {
            "TESTING": True,
            "SECRET_KEY": "sample-secret-key-0123456789-abcdefghij",
            "PASSWORD_MEMORY_KIB": 1024,
            "PASSWORD_TIME_COST": 1,
        },
    )
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = {
                table.name: [dict(row) for row in connection.execute(select(table)).mappings()]
                for table in Base.metadata.sorted_tables
            }
    finally:
        engine.dispose()
    empty = [name for name, table_rows in rows.items() if not table_rows]
    assert not empty, f"no sample rows for {empty}: make some in _fill_every_table"
    return rows


def _columns_at(url: str) -> dict[str, set[str]]:
    """The tables and columns the database has now."""
    engine = create_engine(url)
    try:
        found = MetaData()
        found.reflect(engine)
        return {name: set(table.columns.keys()) for name, table in found.tables.items()}
    finally:
        engine.dispose()


def _insert(url: str, sample: Rows, columns: dict[str, set[str]]) -> None:
    """The sample's rows, cut to the columns each table has at this revision."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for table in Base.metadata.sorted_tables:
                if table.name not in columns:
                    continue
                missing = columns[table.name] - set(table.columns.keys())
                assert not missing, f"{table.name}.{missing} exist only in older revisions"
                present = sorted(columns[table.name])
                rows = [{k: r[k] for k in present} for r in sample[table.name]]
                # A bare table of the columns this revision has: the model's Python-side defaults
                # would add columns that only later revisions create.
                bare = sa_table(
                    table.name, *(sa_column(name, table.c[name].type) for name in present)
                )
                connection.execute(insert(bare), rows)
            if engine.dialect.name == "postgresql":  # the ids were given: move the sequences on
                for name in columns:
                    if "id" in columns[name]:
                        connection.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                f"(SELECT max(id) FROM {name}))"
                            )
                        )
    finally:
        engine.dispose()


def _read(url: str, columns: dict[str, set[str]]) -> Rows:
    """Every row of the given tables, those columns only, ordered by primary key."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            result = {}
            for table in Base.metadata.sorted_tables:
                if table.name not in columns:
                    continue
                wanted = [table.c[name] for name in sorted(columns[table.name])]
                query = select(*wanted).order_by(*table.primary_key.columns)
                result[table.name] = [dict(row) for row in connection.execute(query).mappings()]
            return result
    finally:
        engine.dispose()


@pytest.mark.parametrize("revision", EARLIER)
def test_db_upgrade_from_an_earlier_revision_keeps_every_row(revision, sample, blank_url):
    migrate.upgrade(blank_url, revision)
    columns = {name: cols for name, cols in _columns_at(blank_url).items() if name in sample}
    _insert(blank_url, sample, columns)
    before = _read(blank_url, columns)

    migrate.upgrade(blank_url)

    assert migrate.current(blank_url) == HEAD
    assert all(before[name] for name in before), "a table at this revision got no rows"
    assert _read(blank_url, columns) == before


def test_every_earlier_revision_is_tested():
    assert EARLIER, "only one revision: nothing to upgrade from"
    assert len(EARLIER) == len(list(SCRIPTS.walk_revisions())) - 1


FAILING = '''
    """adds a column and a table, then fails

    Revision ID: 0999
    Revises: {head}
    """

    import sqlalchemy as sa
    from alembic import op

    revision = "0999"
    down_revision = "{head}"
    branch_labels = None
    depends_on = None


    def upgrade():
        op.add_column("projects", sa.Column("half_way", sa.Integer(), nullable=True))
        op.create_table("half_way_rows", sa.Column("id", sa.Integer(), primary_key=True))
        op.execute("UPDATE projects SET no_such_column = 1")


    def downgrade():
        pass
'''


@pytest.fixture
def failing_scripts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The migrations, plus a new one that fails at its third step; used by ``db upgrade``."""
    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "0999_fails_half_way.py").write_text(
        textwrap.dedent(FAILING.format(head=HEAD))
    )
    monkeypatch.setattr(migrate, "MIGRATIONS", scripts)
    return scripts


def test_a_migration_failing_half_way_leaves_the_database_as_it_was_and_names_the_step(
    own, failing_scripts
):
    project = own.make.project()
    project_id = project.id
    own.db.close()

    result = own.app.test_cli_runner().invoke(args=["db", "upgrade"])

    assert result.exit_code == 1
    line = result.output.strip()
    assert line.startswith("error: migration 0999 (adds a column and a table, then fails)")
    assert 'op.execute("UPDATE projects SET no_such_column = 1")' in line
    failing_line = (
        textwrap.dedent(FAILING)
        .splitlines()
        .index('    op.execute("UPDATE projects SET no_such_column = 1")')
    )
    assert f"0999_fails_half_way.py line {failing_line + 1}:" in line
    assert "no_such_column" in line.split("failed:", 1)[1]  # the database's own words
    assert f"the database is at revision {HEAD}" in line
    assert "Traceback" not in result.output
    engine = create_engine(own.url)
    try:
        inspector = inspect(engine)
        assert "half_way" not in {c["name"] for c in inspector.get_columns("projects")}
        assert "half_way_rows" not in inspector.get_table_names()
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT id FROM projects")) == project_id
    finally:
        engine.dispose()
    assert migrate.current(own.url) == HEAD
