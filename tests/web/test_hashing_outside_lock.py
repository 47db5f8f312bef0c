"""No password is hashed while the request holds the write lock: anonymous sign-ins (and every
other password check) hash first, then write briefly, so a crowd of wrong passwords cannot
queue a freeze behind their hashing."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from sqlalchemy import make_url

from tests.conftest import PASSWORD
from tracker import db as tracker_db
from tracker.services import passwords, users

NEW = "a completely new passphrase 77"


class _Spy:
    """The app's Argon2 hasher, noting for each hash or verify whether a write lock was held."""

    def __init__(self, real: Any, database_url: str) -> None:
        self.real, self.database_url, self.calls = real, database_url, []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def _probe(self, what: str) -> None:
        self.calls.append((what, _request_writes() or _sqlite_locked(self.database_url)))

    def verify(self, *args: Any) -> Any:
        self._probe("verify")
        return self.real.verify(*args)

    def hash(self, *args: Any) -> Any:
        self._probe("hash")
        return self.real.hash(*args)


def _request_writes() -> bool:
    """Whether the request's session is in a writer's transaction now."""
    from flask import g, has_request_context

    if not has_request_context() or g.get("db_session") is None:
        return False
    session = g.db_session
    if not session.in_transaction():
        return False
    return not session.connection().get_execution_options().get(tracker_db.READ_ONLY)


def _sqlite_locked(database_url: str) -> bool:
    """On SQLite, whether any connection holds the database's write lock right now."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return False
    probe = sqlite3.connect(url.database, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


@pytest.fixture
def spy(app, database_url, monkeypatch):
    watcher = _Spy(passwords._hasher, app.config["DATABASE_URL"])
    monkeypatch.setattr(passwords, "_hasher", watcher)
    return watcher


def _login(client, email, password):
    return client.post("/login", data={"email": email, "password": password})


def test_a_wrong_password_or_an_unknown_email_is_hashed_outside_the_lock(client, make, spy):
    user = make.contractor()
    spy.calls.clear()  # the arrangement's own hashing
    assert _login(client, user.email, "not the password at all").status_code == 401
    assert _login(client, "nobody@example.com", "not the password at all").status_code == 401
    assert spy.calls == [("verify", False), ("verify", False)]


def test_a_right_password_is_hashed_outside_the_lock(client, make, spy):
    user = make.contractor()
    spy.calls.clear()
    assert _login(client, user.email, PASSWORD).status_code == 302
    assert spy.calls == [("verify", False)]


def test_a_password_with_old_parameters_is_rehashed_outside_the_lock(client, make, db, spy):
    user = make.contractor()
    old = passwords.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    db.merge(user).password_hash = old.hash(PASSWORD)
    db.commit()
    spy.calls.clear()
    assert _login(client, user.email, PASSWORD).status_code == 302
    assert spy.calls == [("verify", False), ("hash", False)]


def test_re_entering_changing_and_setting_passwords_hash_outside_the_lock(
    client, auth, make, db, spy
):
    user = make.contractor()
    spy.calls.clear()
    auth.login(user)
    assert client.post("/reauth", data={"password": PASSWORD}).status_code == 302
    changed = client.post(
        "/account/password", data={"pw-current_password": PASSWORD, "pw-new_password": NEW}
    )
    assert changed.status_code == 302
    token = users.create_setup_link(db, None, db.merge(user), "reset")
    db.commit()
    before_link = len(spy.calls)
    client.get(f"/setup/{token}")
    assert client.post("/setup", data={"password": NEW + "!"}).status_code == 302
    held = [call for call in spy.calls if call[1]]
    assert held == []
    assert len(spy.calls) == before_link + 1 == 5  # sign-in, re-entry, current, new, the link
