"""A client-wide incident racing entries on a live multi-worker server: 20 contractors keep
posting entries on the client's projects while an admin starts the incident through the API.

Every entry answered 201 was committed before the start (its created_at is not after the
incident's started_at, and it is in the database), every entry after it is refused with 409,
nothing answers otherwise and nothing is lost.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from tests import live
from tests.dates import today
from tracker.models import Hold, Incident, Project, TimeEntry

CLIENTS = 20
PROJECTS = 3
BEFORE = 2  # entries each client has answered before the admin starts the incident
AFTER = 3  # requests each client sends once the start has answered
WAIT = 120


@dataclass
class Poster:
    """One contractor posting entries until it has seen AFTER answers sent after the start."""

    token: str
    project_ids: list[int]
    answers: list[tuple[int, int | None, str | None, bool]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)


def _post(port: int, poster: Poster, n: int, started: threading.Event) -> None:
    after = started.is_set()  # sent after the start's answer arrived
    body = {
        "project_id": poster.project_ids[n % len(poster.project_ids)],
        "work_date": today().isoformat(),
        "minutes": 5,
    }
    status, answer = live.call(port, "POST", "/entries", poster.token, body, timeout=WAIT)
    entry_id = answer.get("id") if status == 201 and isinstance(answer, dict) else None
    code = answer.get("error", {}).get("code") if status >= 400 and answer else None
    poster.answers.append((status, entry_id, code, after))


def _run(port: int, poster: Poster, started: threading.Event) -> None:
    try:
        n = 0
        while sum(1 for *_, after in poster.answers if after) < AFTER and n < 500:
            _post(port, poster, n, started)
            n += 1
            if sum(1 for status, *_ in poster.answers if status == 201) >= BEFORE:
                poster.ready.set()
    except BaseException as exc:  # reported by the test
        poster.errors.append(exc)
    finally:
        poster.ready.set()


@pytest.fixture
def server(database_url: str) -> Iterator[live.Server]:
    with live.gunicorn_server(database_url, workers=4, threads=4) as running:
        yield running


@pytest.mark.slow
def test_entries_racing_a_client_wide_start_commit_before_it_or_are_refused(server, make, db):
    admin = make.admin()
    admin_token = make.token(admin)
    made = [make.project(code=f"RACE{n}", client="Acme") for n in range(PROJECTS)]
    posters = []
    for n in range(CLIENTS):
        person = make.contractor(name=f"Racer {n}")
        for project in made:
            make.assign(project, person)
        posters.append(Poster(make.token(person), [p.id for p in made]))

    started = threading.Event()
    threads = [
        threading.Thread(target=_run, args=(server.port, p, started), daemon=True) for p in posters
    ]
    for thread in threads:
        thread.start()
    for poster in posters:
        assert poster.ready.wait(WAIT)
    status, body = live.call(
        server.port,
        "POST",
        "/incidents",
        admin_token,
        {
            "client": "Acme",
            "title": "Acme stops",
            "reason": "race",
            "notice": "Paused while the client decides.",
        },
        timeout=WAIT,
    )
    started.set()
    for thread in threads:
        thread.join(WAIT)
        assert not thread.is_alive()

    assert status == 201, body
    assert [e for p in posters for e in p.errors] == []
    answers = [a for p in posters for a in p.answers]
    assert {(s, code) for s, _, code, _ in answers} <= {(201, None), (409, "project_frozen")}, {
        (s, code) for s, _, code, _ in answers
    }
    accepted = {entry_id for s, entry_id, _, _ in answers if s == 201}
    refused = [a for a in answers if a[0] == 409]
    assert len(accepted) >= CLIENTS * BEFORE
    assert len(refused) >= CLIENTS * AFTER
    # After the start answered, nothing more was accepted.
    assert [a for a in answers if a[3] and a[0] != 409] == []

    db.expire_all()
    incident = db.get(Incident, body["incident"]["id"])
    rows = db.scalars(select(TimeEntry)).all()
    assert {e.id for e in rows} == accepted  # nothing lost, nothing extra
    assert all(e.created_at <= incident.started_at for e in rows), [
        (e.id, e.created_at, incident.started_at)
        for e in rows
        if e.created_at > incident.started_at
    ]
    holds = db.scalars(select(Hold)).all()
    assert sorted(h.project_id for h in holds) == sorted(p.id for p in made)
    assert {h.started_at for h in holds} == {incident.started_at}
    assert {db.get(Project, p.id).status for p in made} == {"frozen"}
