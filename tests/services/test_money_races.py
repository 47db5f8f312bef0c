"""Money and control are the same whichever door and however many at once: a bulk move pays
the rate the offer showed; one recovery code signs in once; two admins demoting each other leave
one admin (the races run on PostgreSQL, where transactions really overlap; SQLite's single
writer serialises them by construction)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tests.services.test_reassignment import _move
from tracker.errors import Invalid
from tracker.models import Assignment, Project, User
from tracker.services import mfa, reassignment, users


@pytest.fixture
def postgres_only(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("SQLite's single writer serialises these by construction")


def test_a_bulk_move_pays_the_rate_the_offer_showed(app, make, db):
    admin = make.admin()
    held = make.project(code="HELDOFFER", hourly_rate="30.00")
    target = make.project(code="OFFERED", hourly_rate="55.00")
    with_default, without = make.contractor(hourly_rate="47.50"), make.contractor()
    for person in (with_default, without):
        make.assign(held, person)
    make.hold(held)
    shown = {
        person.id: next(
            o.rate
            for o in reassignment.offers(db, db.get(User, person.id))
            if o.project.id == target.id
        )
        for person in (with_default, without)
    }
    _move(app, admin, held, target)
    db.expire_all()
    paid = {
        a.user_id: a.rate_on(db.get(Project, target.id))
        for a in db.scalars(select(Assignment).where(Assignment.project_id == target.id))
    }
    assert paid == shown
    assert shown[with_default.id] != shown[without.id]


def _someone_waits_for_a_lock(engine: Any, done: threading.Event) -> bool:
    """Poll until a backend waits for a lock (or the other side finished without waiting)."""
    deadline = time.monotonic() + 10
    with engine.connect() as observer:
        while time.monotonic() < deadline and not done.is_set():
            waiting = observer.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
            if waiting:
                return True
            time.sleep(0.01)
    return False


def _second_while_first_is_open(engine: Any, first: Any, second: Any) -> tuple[Any, Any]:
    """Run ``first`` in a transaction left open, then ``second`` in a thread, then commit the
    first: the outcomes of both (an exception counts as an outcome)."""
    outcome: list[Any] = []
    done = threading.Event()

    def run_second() -> None:
        with Session(engine, expire_on_commit=False) as session:
            try:
                outcome.append(second(session))
                session.commit()
            except Exception as exc:
                session.rollback()
                outcome.append(exc)
        done.set()

    with Session(engine, expire_on_commit=False) as session:
        result = first(session)
        thread = threading.Thread(target=run_second, daemon=True)
        thread.start()
        _someone_waits_for_a_lock(engine, done)
        session.commit()
    thread.join(20)
    assert done.is_set(), "the second transaction never finished"
    return result, outcome[0]


@pytest.mark.usefixtures("postgres_only")
def test_one_recovery_code_used_twice_at_once_signs_in_once(app, make, db):
    user = db.get(User, make.contractor().id)
    secret = mfa.pending_secret(db, user)
    codes = mfa.enable(db, user, mfa.code_at(secret, time.time() - mfa.STEP))
    db.commit()
    engine = app.extensions["tracker.engine"]

    def use(session: Session) -> bool:
        return mfa.verify(session, session.get(User, user.id), codes[0], "203.0.113.9")

    first, second = _second_while_first_is_open(engine, use, use)
    assert (first, second) == (True, False)
    db.expire_all()
    assert len(db.get(User, user.id).recovery_codes) == len(codes) - 1


@pytest.mark.usefixtures("postgres_only")
def test_two_admins_demoting_each_other_at_once_leave_one_admin(app, make, db):
    ada, bob = make.admin(), make.admin()
    engine = app.extensions["tracker.engine"]

    def demote(actor: User, target: User) -> Any:
        def run(session: Session) -> Any:
            return users.update_user(
                session, session.get(User, actor.id), session.get(User, target.id), role="payroll"
            )

        return run

    first, second = _second_while_first_is_open(engine, demote(ada, bob), demote(bob, ada))
    assert first.role == "payroll"
    assert isinstance(second, Invalid)
    db.expire_all()
    admins = select(func.count()).where(User.role == "admin", User.active.is_(True))
    assert db.scalar(admins) == 1


@pytest.mark.usefixtures("postgres_only")
def test_an_admin_disabling_the_other_while_being_demoted_leaves_one_admin(app, make, db):
    ada, bob = make.admin(), make.admin()
    engine = app.extensions["tracker.engine"]

    def disable_bob(session: Session) -> Any:
        return users.update_user(
            session, session.get(User, ada.id), session.get(User, bob.id), active=False
        )

    def demote_ada(session: Session) -> Any:
        return users.update_user(
            session, session.get(User, bob.id), session.get(User, ada.id), role="contractor"
        )

    _first, second = _second_while_first_is_open(engine, disable_bob, demote_ada)
    assert isinstance(second, Invalid)
    db.expire_all()
    admins = select(func.count()).where(User.role == "admin", User.active.is_(True))
    assert db.scalar(admins) == 1
