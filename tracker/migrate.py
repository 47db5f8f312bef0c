"""Alembic, driven from code: ``flask --app tracker db upgrade`` and the tests use this.

Each migration runs in its own transaction (see migrations/env.py), on PostgreSQL and SQLite
alike: one that fails half-way leaves nothing of itself behind, and the database stays at the
last revision that completed. ``MigrationFailed`` names the failing step.
"""

from __future__ import annotations

import functools
import traceback
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from tracker import db_faults

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class MigrationFailed(RuntimeError):
    """A migration failed; the message names its file, line and statement, and the revision the
    database was left at."""


def alembic_config(url: str, scripts: Path | None = None) -> Config:
    """An Alembic config for the database at url (``scripts``: the migrations folder)."""
    config = Config()
    config.set_main_option("script_location", str(scripts or MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head", scripts: Path | None = None) -> None:
    """Bring the database at url to revision without losing data.

    Raises MigrationFailed when a migration's own code fails (the database stays at the last
    revision that completed); any other error (the database cannot be reached) as it is.
    """
    try:
        command.upgrade(alembic_config(url, scripts), revision)
    except Exception as exc:
        step = _failing_step(exc, scripts or MIGRATIONS)
        if step is None:
            raise
        raise MigrationFailed(
            f"{step} failed: {db_faults.driver_message(exc)}; the database is at revision "
            f"{current(url) or 'none (empty)'}, and nothing of the failed migration was applied"
        ) from exc


def current(url: str) -> str | None:
    """The revision the database is at."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


@functools.cache
def heads() -> frozenset[str]:
    """The head revisions this version of the code needs (read once per process)."""
    return frozenset(ScriptDirectory(str(MIGRATIONS)).get_heads())


@functools.cache
def known_revisions() -> frozenset[str]:
    """Every revision this version of the code has a migration for (read once per process)."""
    return frozenset(
        script.revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions()
    )


def _failing_step(exc: BaseException, scripts: Path) -> str | None:
    """'migration 0003 (its title), 0003_x.py line 12: `statement`' from the innermost frame in a
    migration file, or None when no migration's code was running."""
    versions = (scripts / "versions").resolve()
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if Path(frame.filename).resolve().parent == versions
    ]
    if not frames:
        return None
    frame = frames[-1]
    path = Path(frame.filename).resolve()
    script = next(
        (
            s
            for s in ScriptDirectory(str(scripts)).walk_revisions()
            if Path(s.path).resolve() == path
        ),
        None,
    )
    title = f"migration {script.revision} ({script.doc})" if script else f"migration {path.name}"
    return f"{title}, {path.name} line {frame.lineno}: `{(frame.line or '').strip()}`"
