"""Admin approvals: filters, bulk approve and reject, and time logged on a contractor's behalf."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from sqlalchemy import select

from tests.dates import today, yesterday
from tracker.models import AuditEvent, Notification, TimeEntry, User


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def week_of(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@pytest.fixture
def team(make, auth):
    admin = make.admin()
    ann = make.contractor(name="Ann Archer")
    bob = make.contractor(name="Bob Baker")
    alpha = make.project(code="ALPHA")
    beta = make.project(code="BETA")
    for person in (ann, bob):
        make.assign(alpha, person)
        make.assign(beta, person)
    auth.login(admin)
    return admin, ann, bob, alpha, beta


def test_contractors_cannot_open_the_approvals_page(client, make, auth):
    auth.login(make.contractor())
    assert client.get("/admin/approvals").status_code == 403
    assert client.get("/admin/entries/new").status_code == 403


def test_filters_by_status_project_contractor_and_week(client, team, make):
    _admin, ann, bob, alpha, beta = team
    old = today() - dt.timedelta(days=14)
    make.entry(ann, alpha, work_date=yesterday(), description="ann alpha")
    make.entry(bob, beta, work_date=yesterday(), description="bob beta")
    make.entry(ann, beta, work_date=old, description="ann old")
    make.entry(bob, alpha, work_date=yesterday(), status="approved", description="bob approved")
    default = text(client.get("/admin/approvals"))
    assert "ann alpha" in default
    assert "bob beta" in default
    assert "bob approved" not in default
    assert "bob approved" in text(client.get("/admin/approvals?status=approved"))
    by_project = text(client.get(f"/admin/approvals?project_id={alpha.id}"))
    assert "ann alpha" in by_project
    assert "bob beta" not in by_project
    by_person = text(client.get(f"/admin/approvals?user_id={bob.id}&status="))
    assert "bob beta" in by_person
    assert "bob approved" in by_person
    assert "ann" not in by_person
    by_week = text(client.get(f"/admin/approvals?week={week_of(old)}"))
    assert "ann old" in by_week
    assert "ann alpha" not in by_week


def test_bulk_approve_then_contractors_cannot_change_them(client, team, make, db, auth):
    admin, ann, _bob, alpha, _beta = team
    first = make.entry(ann, alpha, work_date=yesterday())
    second = make.entry(ann, alpha, work_date=yesterday() - dt.timedelta(days=1))
    response = client.post(
        "/admin/approvals?status=submitted",
        data={"entry_ids": [first.id, second.id], "action": "approve"},
        follow_redirects=True,
    )
    assert "Approved 2 entries." in text(response)
    db.expire_all()
    assert {e.status for e in db.scalars(select(TimeEntry))} == {"approved"}
    assert {e.approved_by_id for e in db.scalars(select(TimeEntry))} == {admin.id}
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "entry.approve")).all()
    assert len(events) == 2
    assert {e.actor_id for e in events} == {admin.id}
    auth.logout()
    auth.login(ann)
    refused = client.post(
        f"/entries/{first.id}/edit",
        data={"project_id": alpha.id, "work_date": yesterday().isoformat(), "hours": "5"},
    )
    assert refused.status_code == 409
    assert "approved" in text(refused)


def test_bulk_reject_needs_a_reason_and_notifies_each_contractor(client, team, make, db):
    _admin, ann, bob, alpha, _beta = team
    ann_entry = make.entry(ann, alpha, work_date=yesterday())
    bob_entry = make.entry(bob, alpha, work_date=yesterday())
    ids = [ann_entry.id, bob_entry.id]
    missing = client.post(
        "/admin/approvals", data={"entry_ids": ids, "action": "reject", "reason": " "}
    )
    assert missing.status_code == 422
    assert "Say why the time is rejected" in text(missing)
    db.expire_all()
    assert {e.status for e in db.scalars(select(TimeEntry))} == {"submitted"}
    done = client.post(
        "/admin/approvals",
        data={"entry_ids": ids, "action": "reject", "reason": "Wrong project code"},
        follow_redirects=True,
    )
    assert "Rejected 2 entries." in text(done)
    notes = db.scalars(select(Notification)).all()
    assert {n.user_id for n in notes} == {ann.id, bob.id}
    assert all("Wrong project code" in n.message and n.kind == "entry_rejected" for n in notes)


def test_an_admin_logs_time_for_a_contractor_and_is_audited_as_themselves(client, team, db):
    admin, ann, _bob, alpha, _beta = team
    old = today() - dt.timedelta(days=30)
    page = text(client.get("/admin/entries/new"))
    assert "Ann Archer" in page
    response = client.post(
        "/admin/entries/new",
        data={
            "user_id": ann.id,
            "project_id": alpha.id,
            "work_date": old.isoformat(),
            "hours": "3:15",
            "description": "Forgot to log",
        },
    )
    assert response.status_code == 302, text(response)
    entry = db.scalar(select(TimeEntry))
    assert (entry.user_id, entry.minutes, entry.created_by_id) == (ann.id, 195, admin.id)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "entry.create"))
    assert event.actor_id == admin.id
    future = client.post(
        "/admin/entries/new",
        data={
            "user_id": ann.id,
            "project_id": alpha.id,
            "work_date": (today() + dt.timedelta(days=3)).isoformat(),
            "hours": "1",
        },
    )
    assert future.status_code == 422
    assert "in the future" in text(future)


def test_an_admin_corrects_an_entry_with_a_negative_correction(client, team, make, db):
    _admin, ann, _bob, alpha, _beta = team
    original = make.entry(ann, alpha, work_date=yesterday(), minutes=120, status="approved")
    form = text(client.get(f"/admin/entries/new?corrects={original.id}"))
    assert f'value="{original.id}"' in form
    response = client.post(
        "/admin/entries/new",
        data={
            "user_id": ann.id,
            "project_id": alpha.id,
            "work_date": yesterday().isoformat(),
            "hours": "-0:30",
            "corrects_entry_id": str(original.id),
        },
    )
    assert response.status_code == 302, text(response)
    correction = db.scalar(select(TimeEntry).where(TimeEntry.is_correction.is_(True)))
    assert correction.minutes == -30
    assert correction.corrects_entry_id == original.id
    negative = client.post(
        "/admin/entries/new",
        data={
            "user_id": ann.id,
            "project_id": alpha.id,
            "work_date": yesterday().isoformat(),
            "hours": "-1",
        },
    )
    assert negative.status_code == 422


def test_amounts_are_rounded_half_up_as_payroll_pays_them(client, make, auth):
    admin = make.admin()
    contractor = make.contractor()
    cheap = make.project(code="CHEAP", hourly_rate="0.30")
    make.entry(contractor, cheap, work_date=yesterday(), minutes=1)  # 0.005 → 0.01 (CSV, API)
    make.entry(contractor, cheap, work_date=yesterday(), minutes=3)  # 0.015 → 0.02, not 0.01
    auth.login(admin)
    page = text(client.get("/admin/approvals", query_string={"status": ""}))
    assert "0.01 EUR" in page
    assert "0.02 EUR" in page
    assert "0.00 EUR" not in page


def _seen_values(page: str) -> dict[str, str]:
    import re

    return dict(re.findall(r'name="(seen-\d+)" value="([^"]*)"', page))


def test_a_bulk_approval_skips_entries_changed_after_the_page_was_shown(client, team, make, db):
    from tracker.services import entries as entry_service

    _admin, ann, bob, alpha, _beta = team
    kept = make.entry(ann, alpha, work_date=yesterday(), description="ann as shown")
    moved = make.entry(bob, alpha, work_date=yesterday(), description="bob as shown")
    page = text(client.get("/admin/approvals"))
    seen = _seen_values(page)
    assert set(seen) == {f"seen-{kept.id}", f"seen-{moved.id}"}
    # Bob changes his entry while the admin is looking at the page.
    entry_service.update_entry(db, db.get(User, bob.id), moved.id, hours="8")
    db.commit()
    response = client.post(
        "/admin/approvals",
        data={"entry_ids": [kept.id, moved.id], "action": "approve", **seen},
        follow_redirects=True,
    )
    shown = text(response)
    assert "Approved 1 entry." in shown
    assert f"Entry #{moved.id} was not approved" in shown
    assert "8.00 h" in shown
    db.expire_all()
    assert db.get(TimeEntry, kept.id).status == "approved"
    assert db.get(TimeEntry, moved.id).status == "submitted"


def test_a_bulk_rejection_skips_entries_deleted_after_the_page_was_shown(client, team, make, db):
    _admin, ann, _bob, alpha, _beta = team
    kept = make.entry(ann, alpha, work_date=yesterday())
    gone = make.entry(ann, alpha, work_date=yesterday() - dt.timedelta(days=1))
    seen = _seen_values(text(client.get("/admin/approvals")))
    db.delete(db.get(TimeEntry, gone.id))
    db.commit()
    response = client.post(
        "/admin/approvals",
        data={"entry_ids": [kept.id, gone.id], "action": "reject", "reason": "No", **seen},
        follow_redirects=True,
    )
    shown = text(response)
    assert "Rejected 1 entry." in shown
    assert f"Entry #{gone.id} was not rejected: it was deleted" in shown
    db.expire_all()
    assert db.get(TimeEntry, kept.id).status == "rejected"


def test_the_page_totals_hours_and_amounts_per_person_and_per_week(client, team, make):
    from tests.dates import days_ago
    from tracker.clock import span_text

    _admin, ann, bob, alpha, _beta = team
    make.entry(ann, alpha, work_date=days_ago(1), minutes=600)  # 50.00/h → 500.00
    make.entry(ann, alpha, work_date=days_ago(8), minutes=1440)  # 1,200.00
    make.entry(bob, alpha, work_date=days_ago(1), minutes=30)  # 25.00
    page = text(client.get("/admin/approvals"))
    people = page.split("<caption>Per person</caption>")[1].split("</table>")[0]
    assert re.search(r"Ann Archer</th>.*?34\.00</td>.*?1,700\.00 EUR</td>", people, re.S)
    assert re.search(r"Bob Baker</th>.*?0\.50</td>.*?25\.00 EUR</td>", people, re.S)
    weeks = page.split("<caption>Per week</caption>")[1].split("</table>")[0]
    monday = days_ago(1) - dt.timedelta(days=days_ago(1).weekday())
    this_week = span_text(monday, monday + dt.timedelta(days=6))
    earlier = days_ago(8) - dt.timedelta(days=days_ago(8).weekday())
    assert this_week in weeks
    assert span_text(earlier, earlier + dt.timedelta(days=6)) in weeks
    assert 'data-select-all="entry_ids"' in page
    assert "/static/select-all.js" in page
