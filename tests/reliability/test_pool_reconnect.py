"""Pooled PostgreSQL connections the server ended: the next transaction gets a live one.

The pool does not ping each connection it hands out (that would cost every request a round
trip); a connection the server closed is noticed from its socket, and one whose death went
unnoticed fails at its BEGIN, before any statement ran, and is replaced then. Either way the
caller sees nothing.
"""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.exc import OperationalError

from tracker import db as tracker_db

WAIT = 10  # seconds; an upper bound, never expected to be reached


@pytest.fixture
def engine(own_url: str, is_postgres: bool) -> Any:
    if not is_postgres:
        pytest.skip("PostgreSQL only")
    engine = tracker_db.make_engine(own_url, pool_size=2)
    yield engine
    engine.dispose()


def _backend(engine: Any) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(text("SELECT pg_backend_pid()")))


def _admin(statement: str, **params: Any) -> None:
    admin = create_engine(os.environ["TRACKER_TEST_DATABASE_URL"], isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(statement), params)
    finally:
        admin.dispose()


def _end_backend(pid: int) -> None:
    """End one server process, as a restart would, and wait until it is gone."""
    admin = create_engine(os.environ["TRACKER_TEST_DATABASE_URL"], isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            deadline = time.monotonic() + WAIT
            while connection.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            ):
                assert time.monotonic() < deadline, "the server process did not end"
                time.sleep(0.05)
    finally:
        admin.dispose()


def _statements(engine: Any) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def test_a_connection_the_server_ended_is_replaced_when_it_is_handed_out(engine):
    first = _backend(engine)
    _end_backend(first)
    seen = _statements(engine)

    with engine.begin() as connection:
        assert connection.scalar(text("SELECT pg_backend_pid()")) != first

    assert seen == ["SELECT pg_backend_pid()"]  # no ping, no failed statement


def test_a_dead_connection_missed_at_checkout_is_replaced_at_its_begin(engine):
    event.remove(engine, "checkout", tracker_db._replace_if_closed)  # the socket check misses it
    first = _backend(engine)
    _end_backend(first)

    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE retried (n int)"))
        connection.execute(text("INSERT INTO retried VALUES (1)"))
        assert connection.scalar(text("SELECT pg_backend_pid()")) != first

    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM retried")) == 1


def test_when_the_database_is_still_away_the_error_is_the_usual_one(engine, own_url):
    event.remove(engine, "checkout", tracker_db._replace_if_closed)
    first = _backend(engine)
    name = make_url(own_url).database
    _admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    try:
        _end_backend(first)
        with pytest.raises(OperationalError) as caught, engine.begin() as connection:
            connection.execute(text("SELECT 1"))
        assert "not currently accepting connections" in str(caught.value)
    finally:
        _admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')

    with engine.begin() as connection:  # back: the next transaction works
        assert connection.scalar(text("SELECT 1")) == 1
