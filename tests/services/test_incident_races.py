"""Incidents race as a single freeze does: an entry racing a client-wide start commits before
it (and is counted) or is refused, never both, never lost; two incidents over overlapping
projects never deadlock and never hold a project twice.

Real concurrency on whichever database the run uses (PostgreSQL: advisory locks taken in
ascending project id order; SQLite: BEGIN IMMEDIATE).
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from tests.dates import yesterday
from tests.edge import edge
from tests.services.test_hold_races import STILL_WAITING, WAIT, Worker
from tracker.db import unit_of_work
from tracker.errors import Invalid, ProjectFrozen
from tracker.models import Hold, Project, TimeEntry, User
from tracker.services import entries, incidents, projects

FIELDS = {"title": "Race", "reason": "race test", "notice": "Paused for the race test."}


def _start(session, admin_id, **scope):
    return incidents.start_incident(session, session.get(User, admin_id), **FIELDS, **scope)


def _client(make, n=3):
    admin = make.admin()
    person = make.contractor()
    made = [make.project(client="Acme") for _ in range(n)]
    for project in made:
        make.assign(project, person)
    return admin, person, made


@pytest.mark.slow
def test_an_entry_holding_its_lock_makes_the_client_wide_start_wait_and_is_counted(app, db, make):
    admin, person, made = _client(make)
    target = made[-1]
    locked, release = threading.Event(), threading.Event()

    def write() -> int:
        try:
            with unit_of_work() as session:
                entry = entries.log_time(
                    session,
                    session.get(User, person.id),
                    project_id=target.id,
                    work_date=yesterday(),
                    minutes=60,
                )
                locked.set()
                release.wait(WAIT)
                return entry.id
        finally:
            locked.set()

    def start() -> int:
        with unit_of_work() as session:
            return _start(session, admin.id, client="Acme").incident.id

    writer = Worker(app, write)
    writer.start()
    try:
        assert locked.wait(WAIT)
        starter = Worker(app, start)
        starter.start()
        assert not starter.done.wait(STILL_WAITING), "the start did not wait for the entry"
    finally:
        release.set()
    assert writer.done.wait(WAIT)
    assert starter.done.wait(WAIT)
    assert writer.error is None, writer.error
    assert starter.error is None, starter.error
    rows = db.scalars(select(TimeEntry).where(TimeEntry.project_id == target.id)).all()
    assert [e.id for e in rows] == [writer.result]
    db.expire_all()
    assert db.get(Project, target.id).status == "frozen"


@pytest.mark.slow
def test_a_client_wide_start_holding_its_locks_makes_an_entry_wait_and_refuses_it(app, db, make):
    admin, person, made = _client(make)
    target = made[1]
    locked, release = threading.Event(), threading.Event()

    def start() -> int:
        try:
            with unit_of_work() as session:
                started = _start(session, admin.id, client="Acme")
                locked.set()
                release.wait(WAIT)
                return started.incident.id
        finally:
            locked.set()

    def write() -> int:
        with edge() as session:
            return entries.log_time(
                session,
                session.get(User, person.id),
                project_id=target.id,
                work_date=yesterday(),
                minutes=60,
            ).id

    starter = Worker(app, start)
    starter.start()
    try:
        assert locked.wait(WAIT)
        writer = Worker(app, write)
        writer.start()
        assert not writer.done.wait(STILL_WAITING), "the entry did not wait for the start"
    finally:
        release.set()
    assert starter.done.wait(WAIT)
    assert writer.done.wait(WAIT)
    assert starter.error is None, starter.error
    assert isinstance(writer.error, ProjectFrozen), writer.error
    assert db.scalars(select(TimeEntry)).all() == []


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(5))
def test_two_overlapping_incidents_never_deadlock_nor_hold_a_project_twice(app, db, make, round_):
    admin = make.admin()
    made = [make.project(client="Acme" if n < 4 else "Other") for n in range(6)]
    for project in made:
        make.assign(project, make.contractor())
    # A: every Acme project (ids ascending); B: chosen projects, overlapping, listed descending.
    chosen = [made[5].id, made[3].id, made[2].id, made[0].id]
    go = threading.Barrier(2)

    def first():
        go.wait(WAIT)
        with unit_of_work() as session:
            return [h.project_id for h in _start(session, admin.id, client="acme").holds]

    def second():
        go.wait(WAIT)
        with unit_of_work() as session:
            return [h.project_id for h in _start(session, admin.id, project_ids=chosen).holds]

    workers = [Worker(app, first), Worker(app, second)]
    for worker in workers:
        worker.start()
    for worker in workers:
        assert worker.done.wait(WAIT), "an incident start never finished (deadlock?)"
    for worker in workers:
        assert worker.error is None or isinstance(worker.error, Invalid), worker.error
    held = [w.result or [] for w in workers]
    assert not set(held[0]) & set(held[1]), "a project was held by both incidents"
    active = db.execute(
        select(Hold.project_id, func.count())
        .where(Hold.ended_at.is_(None))
        .group_by(Hold.project_id)
    ).all()
    assert all(n == 1 for _id, n in active)
    assert {pid for pid, _n in active} == {p.id for p in made[:4]} | {made[5].id}
    db.expire_all()
    statuses = {p.id: db.get(Project, p.id).status for p in made}
    assert statuses[made[4].id] == "open"


@pytest.mark.slow
def test_a_project_created_for_the_client_while_its_incident_starts_ends_up_frozen(app, db, make):
    admin, _person, _made = _client(make, n=2)
    locked, release = threading.Event(), threading.Event()

    def start() -> int:
        try:
            with unit_of_work() as session:
                started = _start(session, admin.id, client="Acme")
                locked.set()
                release.wait(WAIT)
                return started.incident.id
        finally:
            locked.set()

    def create() -> int:
        with unit_of_work() as session:
            return projects.create_project(
                session, None, code="LATE", name="Late", client="acme", hourly_rate="40"
            ).id

    starter = Worker(app, start)
    starter.start()
    try:
        assert locked.wait(WAIT)
        creator = Worker(app, create)
        creator.start()
        creator.done.wait(STILL_WAITING)
    finally:
        release.set()
    assert starter.done.wait(WAIT)
    assert creator.done.wait(WAIT)
    assert starter.error is None, starter.error
    assert creator.error is None, creator.error
    db.expire_all()
    assert db.get(Project, creator.result).status == "frozen"
    hold = db.scalars(select(Hold).where(Hold.project_id == creator.result)).one()
    assert hold.incident_id == starter.result
