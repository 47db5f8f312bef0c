"""Reassignment: who is offered what, joining, refusals, and the admin's bulk move."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.edge import edge
from tracker.clock import local_today
from tracker.db import unit_of_work
from tracker.errors import (
    AlreadyAssigned,
    NotFound,
    NotOnHold,
    NotOpenToReassignment,
    ProjectClosed,
    ProjectFrozen,
    ProjectFull,
)
from tracker.models import Assignment, AuditEvent, Hold, Notification, Project, User, utcnow
from tracker.services import assignments, projects, reassignment


@pytest.fixture
def held(make):
    """A contractor on CHORDUS (49.50/h), which is on hold."""
    contractor = make.contractor(skills=["python", "security", "sql"])
    chordus = make.project(code="CHORDUS", name="Core banking", hourly_rate="49.50")
    make.assign(chordus, contractor)
    hold = make.hold(chordus)
    return contractor, chordus, hold


def _offers(db, user):
    return reassignment.offers(db, db.get(User, user.id))


def _codes(db, user):
    return [o.project.code for o in _offers(db, user)]


def _accept(app, user, from_project, to_project):
    with app.app_context(), edge() as session:
        actor = session.get(User, user.id)
        return reassignment.accept(
            session, actor, from_project_id=from_project.id, to_project_id=to_project.id
        )


def _move(app, admin, held_project, to_project, user_ids=None):
    with app.app_context(), unit_of_work() as session:
        return reassignment.move(
            session,
            session.get(User, admin.id),
            session.get(Project, held_project.id),
            session.get(Project, to_project.id),
            user_ids,
        )


def test_offers_rank_by_matching_skills_then_free_seats(make, db, held):
    contractor, _chordus, _hold = held
    make.project(code="ONESKILL", skills=["python"], seats=10)
    make.project(code="TWOSKILL", skills=["python", "sql", "go"], seats=2)
    make.project(code="NOSKILLA", skills=["cobol"], seats=5)
    make.project(code="NOSKILLB", skills=[], seats=None)  # no limit ranks above any count
    make.project(code="ONESKILLX", skills=["security"], seats=3)
    assert _codes(db, contractor) == ["TWOSKILL", "ONESKILL", "ONESKILLX", "NOSKILLB", "NOSKILLA"]
    top = _offers(db, contractor)[0]
    assert top.matching_skills == ["python", "sql"]
    assert top.free_seats == 2


def test_offers_exclude_closed_frozen_full_closed_to_reassignment_and_own_projects(make, db, held):
    contractor, _chordus, _hold = held
    make.project(code="GOOD")
    closed = make.project(code="CLOSED")
    with unit_of_work(db):
        projects.update_project(db, None, db.get(Project, closed.id), status="closed")
    make.hold(make.project(code="FROZEN"))
    full = make.project(code="FULL", seats=1)
    make.assign(full, make.contractor())
    make.project(code="NOSEATS", seats=0)
    make.project(code="PRIVATE", open_to_reassignment=False)
    mine = make.project(code="MINE")
    make.assign(mine, contractor)
    assert _codes(db, contractor) == ["GOOD"]


def test_a_project_they_left_is_offered_again(make, db, held):
    contractor, _chordus, _hold = held
    old = make.project(code="OLDJOB")
    assignment = make.assign(old, contractor)
    with unit_of_work(db):
        assignments.end_assignment(db, None, db.get(Assignment, assignment.id))
    assert _codes(db, contractor) == ["OLDJOB"]


def test_no_offers_without_a_held_project(make, db):
    contractor = make.contractor()
    make.assign(make.project(code="RUNNING"), contractor)
    make.project(code="SPARE")
    assert _offers(db, contractor) == []


def test_no_offers_once_the_held_assignment_has_ended(make, db, held):
    contractor, chordus, _hold = held
    make.project(code="SPARE")
    assignment = db.scalar(select(Assignment).where(Assignment.project_id == chordus.id))
    with unit_of_work(db):
        assignments.end_assignment(db, None, assignment)
    assert _offers(db, contractor) == []


def test_offer_compares_the_project_rate_with_the_held_override(make, db):
    contractor = make.contractor()
    chordus = make.project(code="CHORDUS", hourly_rate="40.00")
    make.assign(chordus, contractor, hourly_rate="49.50")  # their own rate on the held project
    make.hold(chordus)
    make.project(code="LOWER", hourly_rate="45.00")
    offer = _offers(db, contractor)[0]
    assert offer.rate == Decimal("45.00")
    assert offer.held_rate == Decimal("49.50")
    assert offer.difference == Decimal("-4.50")
    assert offer.comparable


def test_a_zero_override_is_the_held_rate_not_the_project_rate(make, db):
    contractor = make.contractor()
    chordus = make.project(code="CHORDUS", hourly_rate="40.00")
    make.assign(chordus, contractor, hourly_rate="0.00")  # unpaid there: entries use 0.00
    make.hold(chordus)
    make.project(code="PAID", hourly_rate="45.00")
    offer = _offers(db, contractor)[0]
    assert offer.held_rate == Decimal("0.00")
    assert offer.difference == Decimal("45.00")


def test_accept_creates_a_reassignment_and_keeps_the_original(app, make, db, held):
    contractor, chordus, hold = held
    target = make.project(code="NEWJOB", hourly_rate="45.00", seats=2)
    created = _accept(app, contractor, chordus, target)
    rows = db.scalars(
        select(Assignment).where(Assignment.user_id == contractor.id).order_by(Assignment.id)
    ).all()
    assert [(a.project_id, a.end_date, a.origin) for a in rows] == [
        (chordus.id, None, "direct"),
        (target.id, None, "reassignment"),
    ]
    assert rows[1].id == created.id
    assert rows[1].from_project_id == chordus.id
    assert rows[1].from_hold_id == hold.id
    assert rows[1].hourly_rate is None  # the override on the held project does not carry over
    assert rows[1].start_date == local_today(contractor)


def test_accept_notifies_and_audits_with_the_hold(app, make, db, held):
    contractor, chordus, hold = held
    target = make.project(code="NEWJOB", name="New job", hourly_rate="45.00")
    created = _accept(app, contractor, chordus, target)
    note = db.scalar(select(Notification).where(Notification.user_id == contractor.id))
    assert note is not None
    assert note.kind == "reassignment_confirmed"
    assert "NEWJOB" in note.message
    assert "CHORDUS" in note.message
    assert "45.00 EUR/h" in note.message
    assert note.hold_id == hold.id
    assert note.project_id == target.id
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "reassignment.accept"))
    assert event is not None
    assert event.actor_id == contractor.id
    assert event.target_id == created.id
    assert event.data["after"]["from_hold_id"] == hold.id
    assert event.data["after"]["from_project_id"] == chordus.id


@pytest.mark.parametrize(
    ("arrange", "error"),
    [
        ("full", ProjectFull),
        ("private", NotFound),  # neither offered nor theirs: nothing about it is told
        ("already", AlreadyAssigned),
        ("closed", NotFound),
        ("frozen", NotFound),
        ("private-was-on", NotOpenToReassignment),  # theirs (ended): its real reason
        ("closed-was-on", ProjectClosed),
        ("frozen-was-on", ProjectFrozen),
    ],
)
def test_accept_refuses_a_project_that_is_not_on_offer(app, make, db, held, arrange, error):
    contractor, chordus, _hold = held
    target = make.project(
        code="TARGET",
        seats=1 if arrange == "full" else None,
        open_to_reassignment=not arrange.startswith("private"),
    )
    if arrange == "full":
        make.assign(target, make.contractor())
    if arrange == "already":
        make.assign(target, contractor)
    if arrange.endswith("-was-on"):
        ended = make.assign(target, contractor)
        db.get(Assignment, ended.id).end_date = local_today(contractor)
        db.commit()
        arrange = arrange.removesuffix("-was-on")
    if arrange == "closed":
        with unit_of_work(db):
            projects.update_project(db, None, db.get(Project, target.id), status="closed")
    if arrange == "frozen":
        make.hold(target)
    with pytest.raises(error):
        _accept(app, contractor, chordus, target)
    reassigned = db.scalars(select(Assignment).where(Assignment.origin == "reassignment")).all()
    assert reassigned == []
    refused = db.scalar(select(AuditEvent).where(AuditEvent.action == "reassignment.refused"))
    assert refused is not None
    assert refused.data["refused"] == error.code


def test_accept_refuses_when_the_hold_has_lifted(app, make, db, held):
    contractor, chordus, hold = held
    target = make.project(code="TARGET")
    db.get(Hold, hold.id).ended_at = utcnow()
    db.get(Project, chordus.id).status = "open"
    db.commit()
    with pytest.raises(NotOnHold, match="not on hold any more"):
        _accept(app, contractor, chordus, target)


def test_accept_refuses_someone_not_on_the_held_project(app, make, db, held):
    _contractor, chordus, _hold = held
    stranger = make.contractor()
    with pytest.raises(NotOnHold):
        _accept(app, stranger, chordus, make.project(code="TARGET"))


def test_accept_of_a_missing_project_is_not_found(app, make, db, held):
    contractor, chordus, _hold = held
    missing = Project(id=999_999)
    with pytest.raises(NotFound):
        _accept(app, contractor, chordus, missing)


def test_move_fills_seats_in_order_and_says_why_the_rest_stayed(app, make, db):
    admin = make.admin()
    chordus = make.project(code="CHORDUS")
    people = [make.contractor() for _ in range(4)]
    for person in people:
        make.assign(chordus, person)
    hold = make.hold(chordus)
    target = make.project(code="TARGET", seats=3)
    make.assign(target, people[1])  # already there: takes a seat and is skipped
    moved, skipped = _move(app, admin, chordus, target)
    assert moved == [people[0].id, people[2].id]
    assert skipped == [(people[1].id, "already_assigned"), (people[3].id, "project_full")]
    rows = db.scalars(
        select(Assignment).where(Assignment.project_id == target.id, Assignment.end_date.is_(None))
    ).all()
    assert len(rows) == 3
    new = [a for a in rows if a.origin == "reassignment"]
    assert {a.user_id for a in new} == set(moved)
    assert all(a.from_hold_id == hold.id and a.created_by_id == admin.id for a in new)
    # The original assignments stay.
    still = db.scalars(
        select(Assignment.user_id).where(
            Assignment.project_id == chordus.id, Assignment.end_date.is_(None)
        )
    ).all()
    assert set(still) == {p.id for p in people}


def test_move_notifies_and_audits_each_moved_contractor(app, make, db):
    admin = make.admin()
    chordus = make.project(code="CHORDUS")
    people = [make.contractor() for _ in range(3)]
    for person in people:
        make.assign(chordus, person)
    hold = make.hold(chordus)
    target = make.project(code="TARGET")
    moved, skipped = _move(app, admin, chordus, target, [people[2].id, people[0].id])
    assert moved == [people[2].id, people[0].id]
    assert skipped == []
    notes = db.scalars(select(Notification).where(Notification.kind == "reassignment_confirmed"))
    assert sorted(n.user_id for n in notes) == sorted(moved)
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "reassignment.move")).all()
    assert len(events) == 2
    assert all(e.actor_id == admin.id and e.data["hold_id"] == hold.id for e in events)


def test_move_skips_people_not_on_the_held_project(app, make, db, held):
    contractor, chordus, _hold = held
    stranger = make.contractor()
    moved, skipped = _move(
        app, make.admin(), chordus, make.project(code="TGT"), [stranger.id, contractor.id]
    )
    assert moved == [contractor.id]
    assert skipped == [(stranger.id, "not_on_hold")]


def test_move_refuses_a_project_that_is_not_held_or_a_target_not_open(app, make, db, held):
    _contractor, chordus, _hold = held
    admin = make.admin()
    running = make.project(code="RUNNING")
    with pytest.raises(NotOnHold):
        _move(app, admin, running, make.project(code="T1"))
    with pytest.raises(NotOpenToReassignment):
        _move(app, admin, chordus, make.project(code="T2", open_to_reassignment=False))
    with pytest.raises(ProjectFrozen):
        _move(app, admin, chordus, chordus)
    assert db.scalars(select(Assignment).where(Assignment.origin == "reassignment")).all() == []


def test_when_the_hold_lifts_they_are_on_both_and_either_can_be_ended(app, make, db, held):
    contractor, chordus, hold = held
    target = make.project(code="NEWJOB")
    created = _accept(app, contractor, chordus, target)
    db.get(Hold, hold.id).ended_at = utcnow()  # the hold lifts (freezing is the holds area's)
    db.get(Project, chordus.id).status = "open"
    db.commit()
    active = db.scalars(
        select(Assignment.project_id).where(
            Assignment.user_id == contractor.id, Assignment.end_date.is_(None)
        )
    ).all()
    assert sorted(active) == sorted([chordus.id, target.id])
    assert _offers(db, contractor) == []  # nothing is offered once no project of theirs is held
    with unit_of_work(db):
        assignments.end_assignment(db, None, db.get(Assignment, created.id))
    original = db.scalar(
        select(Assignment).where(
            Assignment.user_id == contractor.id, Assignment.project_id == chordus.id
        )
    )
    assert original is not None
    assert original.end_date is None


def test_a_bulk_move_pays_the_rate_a_contractor_joining_alone_would_get(app, make, db):
    admin = make.admin()
    held = make.project(code="HELDRATE", hourly_rate="30.00")
    target = make.project(code="GOODRATE", hourly_rate="50.00")
    moved_one, joins_alone = (
        make.contractor(hourly_rate="42.00"),
        make.contractor(hourly_rate="42.00"),
    )
    plain = make.contractor()
    for person in (moved_one, joins_alone, plain):
        make.assign(held, person)
    make.hold(held)
    _move(app, admin, held, target, [moved_one.id, plain.id])
    joined = _accept(app, joins_alone, held, target)
    rates = dict(
        db.execute(
            select(Assignment.user_id, Assignment.hourly_rate).where(
                Assignment.project_id == target.id
            )
        ).all()
    )
    assert rates == {
        moved_one.id: Decimal("42.00"),
        joins_alone.id: Decimal("42.00"),
        plain.id: None,
    }
    assert joined.hourly_rate == rates[moved_one.id]
    notes = db.scalars(
        select(Notification.message).where(
            Notification.kind == "reassignment_confirmed", Notification.user_id == moved_one.id
        )
    ).all()
    assert ["42.00 EUR/h" in note for note in notes] == [True]
