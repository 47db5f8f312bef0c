"""Fixtures for the fault tests: a database of the test's own, and data made in it.

Tests that take a database away (block its connections, make its file read-only or full) work
on a database nobody else uses: a new SQLite file, or a new PostgreSQL database on the server of
TRACKER_TEST_DATABASE_URL, dropped at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from tests import live
from tests.conftest import PASSWORD
from tests.factories import Factory
from tracker import create_app, migrate


@pytest.fixture
def blank_url(tmp_path: Path) -> Iterator[str]:
    """A new, empty database for this test alone (the run's kind: SQLite or PostgreSQL)."""
    admin_url = os.environ.get("TRACKER_TEST_DATABASE_URL")
    if not admin_url:
        yield f"sqlite:///{tmp_path / 'own.db'}"
        return
    with live.temporary_postgres(admin_url, prefix="tracker_fault") as url:
        yield url


@pytest.fixture
def own_url(blank_url: str) -> str:
    """A new database for this test alone, migrated to the current schema."""
    migrate.upgrade(blank_url)
    return blank_url


@dataclass
class Own:
    """The test's own database: its URL, an app on it, a session, and factories writing there."""

    url: str
    app: Flask
    db: Session
    make: Factory


@pytest.fixture
def own(own_url: str, app_config: dict[str, Any]) -> Iterator[Own]:
    """An app, a session and factories on the test's own database."""
    app = create_app({**app_config, "DATABASE_URL": own_url})
    engine = create_engine(own_url, pool_pre_ping=True)  # outlives an outage the test causes
    with app.app_context():
        session = sessionmaker(bind=engine)()
        try:
            yield Own(own_url, app, session, Factory(session, PASSWORD))
        finally:
            session.close()
            engine.dispose()
            app.extensions["tracker.engine"].dispose()
