"""Migration 0011 keys every existing project's and incident's client in Python casefold."""

from __future__ import annotations

from tests.test_migration_0004 import _query, empty_database  # noqa: F401
from tracker import migrate


def test_0011_keys_existing_clients_the_same_on_both_databases(empty_database):  # noqa: F811
    url = empty_database
    migrate.upgrade(url, "0007")
    for code, client in (("A1", "ÉCOLE"), ("A2", " école "), ("A3", "")):
        _query(
            url,
            "INSERT INTO projects (code, name, client, status, skills, hourly_rate, currency,"
            " open_to_reassignment, created_at) VALUES"
            f" ('{code}', 'P', '{client}', 'open', '[]', 10, 'EUR', true, CURRENT_TIMESTAMP)",
        )
    migrate.upgrade(url, "0011")
    assert _query(url, "SELECT code, client, client_key FROM projects ORDER BY code") == [
        ("A1", "ÉCOLE", "école"),
        ("A2", " école ", "école"),
        ("A3", "", ""),
    ]
