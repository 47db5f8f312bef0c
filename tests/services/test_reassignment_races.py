"""Seats are never oversubscribed: real concurrent joins through a multi-worker server.

A gunicorn server with four worker processes serves the API against the test database (SQLite or
PostgreSQL, whichever the run uses); every request starts behind one barrier.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from tests import live
from tracker.models import Assignment

REQUEST_TIMEOUT = 60


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[int]:
    """A 4-worker gunicorn server on a free port; yields the port, always stopped at the end."""
    with live.gunicorn(database_url, workers=4) as port:
        yield port


def _post(port: int, path: str, token: str, body: dict[str, Any]) -> tuple[int, Any]:
    return live.call(port, "POST", path, token, body, timeout=REQUEST_TIMEOUT)


def _all_at_once(calls: list[Any]) -> list[tuple[int, Any]]:
    """Run each call in its own thread, all released by one barrier; results in call order."""
    barrier = threading.Barrier(len(calls), timeout=REQUEST_TIMEOUT)
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except Exception as exc:
            results[index] = (-1, repr(exc))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(REQUEST_TIMEOUT * 2)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    return results


def _held_crowd(make: Any, size: int) -> tuple[Any, list[tuple[Any, str]]]:
    """A held project with ``size`` contractors on it, each with an API token."""
    held = make.project(code="CHORDUS")
    people = []
    for _ in range(size):
        person = make.contractor()
        make.assign(held, person)
        people.append((person, make.token(person)))
    make.hold(held)
    return held, people


def _active_on(db: Any, project: Any) -> int:
    count: int = db.scalar(
        select(func.count()).where(
            Assignment.project_id == project.id, Assignment.end_date.is_(None)
        )
    )
    return count


@pytest.mark.slow
def test_twenty_contractors_accepting_three_seats_at_once_get_exactly_three(server, make, db):
    held, people = _held_crowd(make, 20)
    target = make.project(code="TARGET", seats=3)
    body = {"from_project_id": held.id, "to_project_id": target.id}
    results = _all_at_once(
        [lambda token=token: _post(server, "/reassignment", token, body) for _p, token in people]
    )
    statuses = sorted(status for status, _body in results)
    assert statuses == [201] * 3 + [409] * 17, results
    codes = [b["error"]["code"] for status, b in results if status == 409]
    assert codes == ["project_full"] * 17
    assert _active_on(db, target) == 3
    joined = {b["user_id"] for status, b in results if status == 201}
    on_target = set(
        db.scalars(select(Assignment.user_id).where(Assignment.project_id == target.id))
    )
    assert joined == on_target  # every 201 is exactly one committed row


@pytest.mark.slow
def test_admin_bulk_move_racing_accepts_never_exceeds_the_seats(server, make, db):
    held, people = _held_crowd(make, 12)
    target = make.project(code="TARGET", seats=3)
    admin_token = make.token(make.admin())
    body = {"from_project_id": held.id, "to_project_id": target.id}
    calls = [
        lambda token=token: _post(server, "/reassignment", token, body) for _p, token in people[:10]
    ]
    calls.append(
        lambda: _post(
            server, f"/projects/{held.id}/reassign", admin_token, {"to_project_id": target.id}
        )
    )
    results = _all_at_once(calls)
    accepts, (move_status, move_body) = results[:-1], results[-1]
    assert move_status == 200, move_body
    assert all(status in (201, 409) for status, _b in accepts), accepts
    refused = {b["error"]["code"] for status, b in accepts if status == 409}
    assert refused <= {"project_full", "already_assigned"}
    accepted = {b["user_id"] for status, b in accepts if status == 201}
    moved = set(move_body["moved"])
    assert not accepted & moved
    assert len(accepted) + len(moved) == 3
    assert _active_on(db, target) == 3
    skipped = {s["user_id"]: s["code"] for s in move_body["skipped"]}
    assert all(skipped[user_id] == "already_assigned" for user_id in accepted)
    assert len(moved) + len(skipped) == 12
