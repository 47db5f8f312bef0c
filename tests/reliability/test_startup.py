"""Start-up without a database: one line naming where it is (never its password), exit non-zero.

gunicorn (through gunicorn.conf.py's start-up check) and the flask command line, for a
PostgreSQL server nobody listens for and a SQLite file in a folder that does not exist.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests import live
from tests.reliability.support import flask_cli, run_program

PASSWORD_IN_URL = "n0t-for-logs-8412"


@pytest.fixture(autouse=True)
def once(is_postgres: bool) -> None:
    """These never use the run's database (they name their own): the SQLite run runs them."""
    if is_postgres:
        pytest.skip("runs once, in the SQLite run")


def _unreachable_postgres() -> tuple[str, str]:
    """A PostgreSQL URL (with a password) on a port nothing listens on, and its host:port."""
    port = live.free_port()
    url = f"postgresql+psycopg://tracker:{PASSWORD_IN_URL}@127.0.0.1:{port}/tracker"
    return url, f"127.0.0.1:{port}/tracker"


def _gunicorn(database_url: str, **env: str) -> Any:
    program = ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
    bind = f"127.0.0.1:{live.free_port()}"
    return run_program(program, database_url, TRACKER_BIND=bind, TRACKER_WORKERS="1", **env)


def _one_error_line(output: str) -> str:
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, output
    assert "Traceback" not in output
    assert PASSWORD_IN_URL not in output
    return errors[0]


@pytest.mark.slow
def test_gunicorn_does_not_start_without_its_postgresql_and_says_where_in_one_line():
    url, where = _unreachable_postgres()
    done = _gunicorn(url)

    assert done.returncode != 0
    line = _one_error_line(done.stderr)
    assert where in line
    assert "cannot be reached" in line
    assert "Booting worker" not in done.stderr  # it stopped before serving anything


@pytest.mark.slow
def test_gunicorn_does_not_start_when_the_sqlite_file_cannot_be_opened(tmp_path):
    path = tmp_path / "no-such-folder" / "tracker.db"
    done = _gunicorn(f"sqlite:///{path}")

    assert done.returncode != 0
    assert str(path) in _one_error_line(done.stderr)


@pytest.mark.slow
def test_gunicorn_does_not_start_with_an_unsafe_configuration(tmp_path):
    done = _gunicorn(
        f"sqlite:///{tmp_path / 'db.sqlite'}", TRACKER_ENV="production", TRACKER_SECRET_KEY=""
    )

    assert done.returncode != 0
    assert "TRACKER_SECRET_KEY is not set in production" in _one_error_line(done.stderr)


@pytest.mark.parametrize(
    "command",
    [
        ("db", "upgrade"),
        ("project", "freeze", "CHORDUS", "--reason", "r", "--notice", "n"),
    ],
)
def test_a_command_without_its_database_says_so_in_one_line_and_exits_1(command):
    url, where = _unreachable_postgres()
    done = flask_cli(url, *command)

    assert done.returncode == 1
    assert done.stdout == ""
    line = _one_error_line(done.stderr)
    assert where in line
    assert len(done.stderr.strip().splitlines()) == 1
