"""Fixtures: a fresh database per run (SQLite, or PostgreSQL when TRACKER_TEST_DATABASE_URL is
set), the app, clients, and factories for test data.

The test's own session (``db``) does not use BEGIN IMMEDIATE, so reading in a test never holds
SQLite's write lock while the app serves a request. Objects it loaded are not refreshed by
themselves: call ``db.refresh(obj)`` or query again after the app changed something.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from hypothesis import settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests import live
from tests.factories import Factory
from tracker import create_app, migrate
from tracker.models import Base

PASSWORD = "factory-password-1234"

# Property-based tests: a bounded number of examples per test in the suite, many more on demand
# (HYPOTHESIS_PROFILE=thorough). No example database: the suite leaves no state behind; a
# failure prints the falsifying example and how to reproduce it.
settings.register_profile("suite", max_examples=20, deadline=None, database=None)
settings.register_profile("thorough", max_examples=500, deadline=None, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A new, migrated database for this test run, dropped at the end."""
    admin_url = os.environ.get("TRACKER_TEST_DATABASE_URL")
    if not admin_url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        migrate.upgrade(url)
        yield url
        return
    with live.temporary_postgres(admin_url) as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture(scope="session")
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


@pytest.fixture
def app_config(database_url: str, tmp_path: Any) -> dict[str, Any]:
    """Settings for the app under test; override this fixture to change them."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_MEMORY_KIB": 1024,  # fast hashing in tests; production defaults are tested
        "PASSWORD_TIME_COST": 1,
        "SERVER_NAME": "tracker.test",
        "BASE_URL": "http://tracker.test",
        # The API's rate limits stay on (every API test goes through the limiter) but far above
        # anything a test sends; tests/api/test_rate_limits.py sets its own.
        "API_RATE_LIMIT": "100000/minute",
        "API_ADDRESS_RATE_LIMIT": "100000/minute",
        # /readyz's outbox check is off unless a test runs a worker (test_readiness.py does).
        "OUTBOX_STALE_SECONDS": 0,
    }


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context and ``g``, as on a server.

    Without this, a request made while the test holds an app context (the ``db`` fixture does)
    reuses that context: ``g`` — the signed-in user, the CSRF token, the session — would leak
    from one request into the next and hide real bugs.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        # Buffered, so a streamed body (CSV) is produced inside the same contexts it began in.
        kwargs.setdefault("buffered", True)
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def app(app_config: dict[str, Any], database_url: str, tmp_path: Any) -> Iterator[Flask]:
    """The app, with every table emptied after the test."""
    os.environ.setdefault("TRACKER_ENV", "development")
    application = create_app(app_config)
    application.test_client_class = IsolatedClient
    application.instance_path = str(tmp_path)
    yield application
    application.extensions["tracker.engine"].dispose()
    _empty_tables(database_url)


def _empty_tables(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
        # DELETE, not TRUNCATE: on tables this small it is ~15x faster (TRUNCATE rewrites files).
        for table in tables:
            connection.execute(text(f"DELETE FROM {table}"))
        if engine.dialect.name == "postgresql":
            sequences = connection.scalars(
                text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
            ).all()
            for sequence in sequences:
                connection.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
    engine.dispose()


@pytest.fixture
def test_engine(database_url: str) -> Iterator[Engine]:
    """An engine for the test's own reads and set-up writes (no BEGIN IMMEDIATE)."""
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db(app: Flask, test_engine: Engine) -> Iterator[Session]:
    """The test's own session, inside an app context."""
    with app.app_context():
        session = sessionmaker(bind=test_engine)()
        yield session
        session.close()


@pytest.fixture
def make(db: Session) -> Factory:
    """Factories that create users, projects, assignments and entries (committed)."""
    return Factory(db, PASSWORD)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


class Auth:
    """Sign a test client in and out as a user."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, user: Any, password: str = PASSWORD) -> Any:
        response = self.client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    def logout(self) -> Any:
        return self.client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)


class Api:
    """A JSON API client for one user's token."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def _call(self, method: str, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.open(
            "/api/v1" + path, method=method, json=json, headers=self.headers, **kw
        )

    def get(self, path: str, **kw: Any) -> Any:
        return self._call("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self._call("POST", path, json={} if json is None else json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self._call("PATCH", path, json={} if json is None else json, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self._call("DELETE", path, **kw)


@pytest.fixture
def api(client: FlaskClient, make: Factory) -> Any:
    """``api(user)`` → an API client authenticated with a new token of that user."""

    def for_user(user: Any) -> Api:
        return Api(client, make.token(user))

    return for_user
