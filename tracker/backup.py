"""Backup and restore of a SQLite database (``db backup`` and ``db restore``).

A backup is SQLite's online backup API: one consistent snapshot of the live database, taken
while writers carry on (under WAL a reader never blocks them). It is written to a temporary file
beside the target, checked, and only then renamed into place, with mode 0600. A restore checks
the file first (a SQLite database, intact, at a schema revision this code knows) and copies it
page by page into the configured database with the same API, so processes that have the
database open see the restored content, never a half-copied file.

PostgreSQL has its own tools (``pg_dump`` and ``pg_restore``, see the README); both functions
refuse it.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import make_url

from tracker import migrate
from tracker.db import BUSY_TIMEOUT_MS, private_sqlite_file
from tracker.errors import DomainError

SQLITE_HEADER = b"SQLite format 3\x00"
POSTGRES_TOOLS = {
    "backup": "on PostgreSQL use pg_dump (see the README, Backup and restore)",
    "restore": "on PostgreSQL use pg_restore (see the README, Backup and restore)",
}


class BackupRefused(DomainError):
    """The backup or restore cannot be done as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Copied:
    """What a backup or restore copied: the file, its size and its schema revision."""

    path: Path
    size: int
    revision: str

    @property
    def upgrade_needed(self) -> bool:
        """True when the copy is at an older schema than this code needs (run ``db upgrade``)."""
        return self.revision not in migrate.heads()


def backup(url: str, destination: Path, *, force: bool = False) -> Copied:
    """Write a consistent copy of the live SQLite database at url to destination.

    Raises BackupRefused: not SQLite, no database file, no such folder, destination exists
    (without force), or the copy could not be made (what SQLite or the system said).
    """
    source_path = _sqlite_path(url, "backup")
    if not source_path.is_file():
        raise BackupRefused(f"there is no database file at {source_path}")
    if not destination.parent.is_dir():
        raise BackupRefused(f"the folder {destination.parent} does not exist")
    if destination.exists() and not force:
        raise BackupRefused(_EXISTS.format(destination))
    try:
        handle, name = tempfile.mkstemp(  # mode 0600
            prefix=f".{destination.name}.", suffix=".partial", dir=destination.parent
        )
    except OSError as exc:
        raise BackupRefused(f"cannot write in {destination.parent}: {exc.strerror}") from None
    os.close(handle)
    temporary = Path(name)
    try:
        try:
            with _connect(source_path) as source, _connect(temporary) as copy:
                source.backup(copy)  # every page in one step: one snapshot, whatever writers do
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
                revision = _check(copy, destination)
            _sync(temporary)
        except (sqlite3.Error, OSError) as exc:
            raise BackupRefused(
                f"the backup failed and {destination} was not written: {exc}"
            ) from None
        _move_into_place(temporary, destination, force)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    _sync(destination.parent)
    return Copied(destination, destination.stat().st_size, revision)


_EXISTS = "{} exists already; give --force to replace it"


def _move_into_place(temporary: Path, destination: Path, force: bool) -> None:
    """Rename the finished copy to its name; without force, never over an existing file."""
    if force:
        os.replace(temporary, destination)
        return
    try:
        os.link(temporary, destination)  # fails, atomically, if the file appeared meanwhile
    except FileExistsError:
        raise BackupRefused(_EXISTS.format(destination)) from None
    except OSError:  # a filesystem without hard links: check, then rename
        if destination.exists():
            raise BackupRefused(_EXISTS.format(destination)) from None
        os.replace(temporary, destination)


def restore(url: str, source_path: Path, *, force: bool = False) -> Copied:
    """Replace the SQLite database at url with the backup at source_path.

    Raises BackupRefused: not SQLite, the file is not an intact backup of this app at a revision
    this code knows, the database holds data (without force), or the copy failed (what SQLite
    said; the database is then unchanged: the copy is one transaction).
    """
    target_path = _sqlite_path(url, "restore")
    try:
        return _restore(url, target_path, source_path, force)
    except (sqlite3.Error, OSError) as exc:
        raise BackupRefused(f"the restore failed and the database is unchanged: {exc}") from None


def _restore(url: str, target_path: Path, source_path: Path, force: bool) -> Copied:
    if not source_path.is_file():
        raise BackupRefused(f"there is no file at {source_path}")
    with source_path.open("rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupRefused(f"{source_path} is not a SQLite database")
    with _connect(source_path, read_only=True) as source:
        revision = _check(source, source_path)
        if revision not in migrate.known_revisions():
            raise BackupRefused(
                f"{source_path} is at schema revision {revision}, which this version does not "
                "know (a newer version made it); restore it with that version"
            )
        if target_path.exists() and not force:
            rows = _rows(target_path)
            if rows:
                raise BackupRefused(
                    f"the database {target_path} holds data ({rows} rows); give --force to "
                    "replace it with the backup"
                )
        private_sqlite_file(url)  # a new database file gets mode 0600 before SQLite opens it
        with _connect(target_path) as target:
            source.backup(target)
            target.execute("PRAGMA journal_mode=WAL")
    return Copied(source_path, source_path.stat().st_size, revision)


def _sqlite_path(url: str, action: str) -> Path:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise BackupRefused(f"db {action} works on SQLite databases; {POSTGRES_TOOLS[action]}")
    if not parsed.database or parsed.database == ":memory:":
        raise BackupRefused(f"db {action} needs a database file, not an in-memory database")
    return Path(parsed.database)


@contextlib.contextmanager
def _connect(path: Path, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection (closed afterwards) that waits for locks as the app does."""
    target = f"file:{path}?mode=ro" if read_only else str(path)
    connection = sqlite3.connect(
        target, uri=read_only, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
    )
    try:
        yield connection
    finally:
        connection.close()


def _check(connection: sqlite3.Connection, name: Path) -> str:
    """The schema revision of an intact database of this app; raises BackupRefused otherwise."""
    try:
        problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:  # too damaged for the check to run at all
        problems = [str(exc)]
    if problems != ["ok"]:
        raise BackupRefused(f"{name} fails SQLite's integrity check: {problems[0]}")
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        row = None
    if row is None:
        raise BackupRefused(f"{name} is not a database of this app (it has no schema revision)")
    revision: str = row[0]
    return revision


def _rows(path: Path) -> int:
    """How many rows the database's own tables hold (0 for an empty or unmigrated file)."""
    with _connect(path, read_only=True) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' AND name != 'alembic_version'"
            )
        ]
        return sum(
            connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608
            for table in tables
        )


def _sync(path: Path) -> None:
    """Flush a file's (or a folder's) contents to disk, so a crash cannot lose the rename."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
