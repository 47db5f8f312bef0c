"""GET /readyz: 200 when traffic may be sent; 503 naming what is not ready (for orchestrators)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text, update

from tracker import create_app, migrate, readiness
from tracker.models import WorkerHeartbeat, utcnow


def _readyz(app: Any) -> tuple[int, Any]:
    response = app.test_client().get("/readyz")
    return response.status_code, response.get_json()


@pytest.fixture
def app_on(app_config: dict[str, Any]) -> Any:
    """``app_on(url)``: an app on another database (disposed at the end)."""
    made = []

    def make(url: str) -> Any:
        made.append(create_app({**app_config, "DATABASE_URL": url}))
        return made[-1]

    yield make
    for app in made:
        app.extensions["tracker.engine"].dispose()


def _previous_revision() -> str:
    scripts = ScriptDirectory(str(migrate.MIGRATIONS))
    down = scripts.get_revision(scripts.get_current_head()).down_revision
    assert isinstance(down, str)
    return down


def test_ready_when_the_database_answers_and_the_schema_is_current(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok"},
    }


def test_not_ready_while_migrations_are_pending_and_ready_after_db_upgrade(own_url, app_on):
    previous = _previous_revision()
    # own_url is migrated to the head; take it back one revision, as before an upgrade
    from alembic import command

    command.downgrade(migrate.alembic_config(own_url), previous)
    app = app_on(own_url)

    status, body = _readyz(app)
    upgraded = app.test_cli_runner().invoke(args=["db", "upgrade"])
    status_after, body_after = _readyz(app)

    assert status == 503
    assert body["status"] == "not_ready"
    assert body["checks"]["database"] == "ok"
    message = body["checks"]["migrations"]
    assert f"at revision {previous}" in message
    assert "db upgrade" in message
    assert upgraded.exit_code == 0, upgraded.output
    assert (status_after, body_after["status"]) == (200, "ready")


def test_not_ready_before_the_schema_exists(tmp_path, app_on):
    status, body = _readyz(app_on(f"sqlite:///{tmp_path / 'empty.db'}"))

    assert status == 503
    assert "no schema yet" in body["checks"]["migrations"]


def test_a_database_migrated_by_a_newer_version_stays_ready(own_url, app_on):
    engine = create_engine(own_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dface'"))
    engine.dispose()

    status, _body = _readyz(app_on(own_url))

    assert status == 200  # a rolling upgrade: the older code keeps serving meanwhile


def test_not_ready_when_the_database_does_not_answer(tmp_path, app_on):
    status, body = _readyz(app_on(f"sqlite:///{tmp_path / 'missing' / 'db.sqlite'}"))

    assert status == 503
    assert body == {"status": "not_ready", "checks": {"database": "the database cannot be reached"}}


def test_a_check_a_feature_registers_is_part_of_readiness(app, client):
    readiness.register_check(app, "search", lambda _session: "the search index is rebuilding")

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["checks"]["search"] == "the search index is rebuilding"
    assert response.get_json()["checks"]["migrations"] == "ok"


def test_not_ready_until_an_outbox_worker_runs_and_again_once_it_goes_quiet(app, app_config, db):
    watched = create_app({**app_config, "OUTBOX_STALE_SECONDS": 60})
    try:
        status, body = _readyz(watched)
        assert status == 503
        assert body["checks"]["outbox"].startswith("no outbox worker has run yet")

        ran = watched.test_cli_runner().invoke(args=["outbox", "work", "--once"])
        assert ran.exit_code == 0, ran.output
        status, body = _readyz(watched)
        assert (status, body["checks"]["outbox"]) == (200, "ok")

        # The worker stopped 61 s ago: past the window, traffic should not come here.
        db.execute(update(WorkerHeartbeat).values(seen_at=utcnow() - dt.timedelta(seconds=61)))
        db.commit()
        status, body = _readyz(watched)
        assert status == 503
        assert "last seen 61 s ago (more than 60 s)" in body["checks"]["outbox"]
        assert body["checks"]["migrations"] == "ok"
    finally:
        watched.extensions["tracker.engine"].dispose()


def test_the_outbox_check_is_off_when_its_window_is_zero(app, client):
    assert "outbox" not in client.get("/readyz").get_json()["checks"]


def test_readiness_reads_the_migration_scripts_once_per_process_not_per_request(
    client, monkeypatch
):
    def no_scan(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("the migration scripts were read again")

    monkeypatch.setattr(ScriptDirectory, "__init__", no_scan)

    assert client.get("/readyz").status_code == 200
