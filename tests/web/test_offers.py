"""Offers page, one-click join with confirmation, dashboard panel, and the admin's bulk move."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tracker.models import Assignment, Notification


@pytest.fixture
def held(make):
    contractor = make.contractor(skills=["python", "sql"])
    chordus = make.project(code="CHORDUS", name="Core banking", hourly_rate="49.50")
    make.assign(chordus, contractor)
    hold = make.hold(chordus)
    return contractor, chordus, hold


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_offers_page_shows_a_lower_rate_plainly_beside_the_held_rate(client, auth, make, held):
    contractor, _chordus, _hold = held
    make.project(
        code="LOWPAY",
        name="Ledger migration",
        client="Acme Bank",
        hourly_rate="45.00",
        seats=3,
        skills=["python"],
    )
    auth.login(contractor)
    page = _text(client.get("/offers"))
    assert "LOWPAY" in page
    assert "Ledger migration" in page
    assert "Acme Bank" in page
    assert "45.00 EUR/h" in page
    assert "49.50 EUR/h" in page
    assert "4.50 EUR/h less than CHORDUS" in page
    assert "3 free seats" in page
    assert "python" in page


def test_offers_page_says_when_a_rate_is_higher_or_the_same(client, auth, make, held):
    contractor, _chordus, _hold = held
    make.project(code="HIGHPAY", hourly_rate="55.00")
    make.project(code="SAMEPAY", hourly_rate="49.50", seats=None)
    auth.login(contractor)
    page = _text(client.get("/offers"))
    assert "5.50 EUR/h more than CHORDUS" in page
    assert "Same rate as CHORDUS" in page
    assert "no seat limit" in page


def test_offers_are_listed_best_match_first(client, auth, make, held):
    contractor, _chordus, _hold = held
    make.project(code="NOMATCH", seats=50)
    make.project(code="BOTH", skills=["python", "sql"], seats=1)
    make.project(code="ONE", skills=["sql"], seats=2)
    auth.login(contractor)
    page = _text(client.get("/offers"))
    assert page.index("BOTH") < page.index("ONE") < page.index("NOMATCH")


def test_offers_page_explains_an_empty_list(client, auth, make, held):
    contractor, _chordus, _hold = held
    make.project(code="PRIVATE", open_to_reassignment=False)
    auth.login(contractor)
    page = _text(client.get("/offers"))
    assert "No offers right now" in page
    assert "PRIVATE" not in page


def test_offers_page_without_a_held_project_says_why_there_is_nothing(client, auth, make):
    contractor = make.contractor()
    make.assign(make.project(code="RUNNING"), contractor)
    make.project(code="SPARE")
    auth.login(contractor)
    page = _text(client.get("/offers"))
    assert "None of your projects is on hold" in page
    assert "SPARE" not in page


def test_join_goes_through_a_confirmation_then_notifies(client, auth, make, db, held):
    contractor, chordus, hold = held
    target = make.project(code="NEWJOB", name="New job", hourly_rate="45.00")
    auth.login(contractor)
    confirm = client.get(f"/offers/{chordus.id}/{target.id}")
    assert confirm.status_code == 200
    page = _text(confirm)
    assert "Join NEWJOB" in page
    assert "4.50 EUR/h less than CHORDUS" in page
    assert db.scalar(select(Assignment).where(Assignment.project_id == target.id)) is None
    done = client.post(
        "/offers/join",
        data={"from_project_id": chordus.id, "to_project_id": target.id},
        follow_redirects=True,
    )
    assert done.status_code == 200
    assert "You joined NEWJOB — New job" in _text(done)
    created = db.scalar(select(Assignment).where(Assignment.project_id == target.id))
    assert created is not None
    assert created.origin == "reassignment"
    assert created.from_hold_id == hold.id
    note = db.scalar(select(Notification).where(Notification.user_id == contractor.id))
    assert note is not None
    assert note.kind == "reassignment_confirmed"


def test_join_of_a_project_that_filled_up_says_so(client, auth, make, db, held):
    contractor, chordus, _hold = held
    target = make.project(code="TIGHT", seats=1)
    auth.login(contractor)
    assert client.get(f"/offers/{chordus.id}/{target.id}").status_code == 200
    make.assign(target, make.contractor())  # someone took the last seat meanwhile
    done = client.post(
        "/offers/join",
        data={"from_project_id": chordus.id, "to_project_id": target.id},
        follow_redirects=True,
    )
    assert "You could not join: Project TIGHT has no free seat." in _text(done)
    assert (
        db.scalar(
            select(Assignment).where(
                Assignment.project_id == target.id, Assignment.user_id == contractor.id
            )
        )
        is None
    )


def test_confirmation_of_a_project_not_on_offer_goes_back_to_the_offers(client, auth, make, held):
    contractor, chordus, _hold = held
    private = make.project(code="PRIVATE", open_to_reassignment=False)
    auth.login(contractor)
    response = client.get(f"/offers/{chordus.id}/{private.id}", follow_redirects=True)
    assert "not offered to you any more" in _text(response)


def test_dashboard_shows_the_top_offers_while_on_hold(client, auth, make, held):
    contractor, _chordus, _hold = held
    for n in range(4):
        make.project(code=f"OPEN{n}", seats=10 - n)
    auth.login(contractor)
    page = _text(client.get("/"))
    assert "Projects you can move to" in page
    assert "OPEN0" in page
    assert "OPEN2" in page
    assert "OPEN3" not in page
    assert "See all 4 offers" in page


def test_dashboard_has_no_offers_panel_without_a_hold(client, auth, make):
    contractor = make.contractor()
    make.assign(make.project(code="RUNNING"), contractor)
    make.project(code="SPARE")
    auth.login(contractor)
    assert "Projects you can move to" not in _text(client.get("/"))


def test_admin_and_payroll_cannot_open_offers(client, auth, make):
    auth.login(make.admin())
    assert client.get("/offers").status_code == 403


def test_admin_project_page_has_the_move_panel_only_when_held(client, auth, make, held):
    contractor, chordus, _hold = held
    running = make.project(code="RUNNING")
    make.project(code="TARGET", seats=2)
    auth.login(make.admin())
    page = _text(client.get(f"/admin/projects/{chordus.id}"))
    assert "Move contractors to another project" in page
    assert "TARGET" in page
    assert "2 free seats" in page
    assert contractor.name in page
    assert "Move contractors" not in _text(client.get(f"/admin/projects/{running.id}"))


def test_admin_bulk_move_shows_who_moved_and_who_did_not(client, auth, make, db):
    chordus = make.project(code="CHORDUS")
    people = [make.contractor(name=f"Person {n}") for n in range(3)]
    for person in people:
        make.assign(chordus, person)
    hold = make.hold(chordus)
    target = make.project(code="TARGET", seats=2)
    make.assign(target, people[0])
    auth.login(make.admin())
    response = client.post(
        f"/admin/projects/{chordus.id}/reassign", data={"to_project_id": target.id, "who": "all"}
    )
    assert response.status_code == 200
    page = _text(response)
    assert "Moved (1)" in page
    assert "Person 1" in page
    assert "Not moved (2)" in page
    assert "Person 0" in page
    assert "already on TARGET" in page
    assert "Person 2" in page
    assert "no seat left on TARGET" in page
    # The admin page names where the reassignment came from.
    detail = _text(client.get(f"/admin/projects/{target.id}"))
    assert f"from CHORDUS (project #{chordus.id}), hold #{hold.id}" in detail


def test_admin_moves_only_the_ticked_contractors(client, auth, make, db):
    chordus = make.project(code="CHORDUS")
    people = [make.contractor() for _ in range(3)]
    for person in people:
        make.assign(chordus, person)
    make.hold(chordus)
    target = make.project(code="TARGET")
    auth.login(make.admin())
    client.post(
        f"/admin/projects/{chordus.id}/reassign",
        data={"to_project_id": target.id, "who": "chosen", "user_ids": [people[2].id]},
    )
    on_target = db.scalars(
        select(Assignment.user_id).where(Assignment.project_id == target.id)
    ).all()
    assert on_target == [people[2].id]
    nothing = client.post(
        f"/admin/projects/{chordus.id}/reassign",
        data={"to_project_id": target.id, "who": "chosen"},
        follow_redirects=True,
    )
    assert "Tick at least one contractor" in _text(nothing)


def test_contractor_cannot_bulk_move(client, auth, make, held):
    contractor, chordus, _hold = held
    target = make.project(code="TARGET")
    auth.login(contractor)
    response = client.post(
        f"/admin/projects/{chordus.id}/reassign", data={"to_project_id": target.id, "who": "all"}
    )
    assert response.status_code == 403


def _reassigned_page(app, client, make, target, how_many: int) -> tuple[str, int]:
    """The admin page of ``target`` after ``how_many`` people came from as many held projects."""
    from tests.web.entry_helpers import count_queries

    for _ in range(how_many):
        origin = make.project()
        person = make.contractor()
        make.assign(origin, person)
        make.db.add(
            Assignment(
                user_id=person.id,
                project_id=target.id,
                start_date=origin.created_at.date(),
                origin="reassignment",
                from_project_id=origin.id,
            )
        )
        make.db.commit()
    with count_queries(app) as statements:
        page = _text(client.get(f"/admin/projects/{target.id}"))
    return page, len(statements)


def test_the_project_page_loads_the_origin_codes_in_one_query(app, client, auth, make):
    auth.login(make.admin())
    target = make.project(code="TARGET")
    first, one = _reassigned_page(app, client, make, target, 1)
    page, five = _reassigned_page(app, client, make, target, 4)
    assert five == one  # four more reassigned rows, from four more projects: no more queries
    codes = re.findall(r"reassigned</span> from (\w+) \(project #", page)
    assert len(codes) == 5
    assert all(code.startswith("PRJ") for code in codes)
    assert re.search(r"reassigned</span> from PRJ\d+ \(project #\d+\)", first)
