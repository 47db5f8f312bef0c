"""The admin audit log page: newest first, filtered by actor, action, object and date."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.dates import today
from tracker.models import AuditEvent, utcnow


@pytest.fixture
def admin(auth, make):
    user = make.admin(name="Audit Admin")
    auth.login(user)
    return user


@pytest.fixture
def events(db, admin, make):
    """A few known events: two actors, two actions, one of them ten days ago."""
    other = make.admin(name="Other Admin")
    rows = [
        AuditEvent(
            actor_id=admin.id,
            action="project.freeze",
            target_type="project",
            target_id=7,
            data={"reason": "marker-freeze"},
            origin="203.0.113.9",
        ),
        AuditEvent(
            actor_id=other.id,
            action="user.update",
            target_type="user",
            target_id=8,
            data={"after": {"name": "marker-update"}},
        ),
        AuditEvent(
            actor_id=other.id,
            action="project.freeze",
            target_type="project",
            target_id=9,
            data={"reason": "marker-old"},
            at=utcnow() - dt.timedelta(days=10),
        ),
    ]
    db.add_all(rows)
    db.commit()
    return {"admin": admin, "other": other}


def _page(client, query: str = "") -> str:
    response = client.get(f"/admin/audit/{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_log_shows_events_with_who_where_and_details(client, events):
    page = _page(client)
    for marker in ("marker-freeze", "marker-update", "marker-old"):
        assert marker in page
    assert "203.0.113.9" in page
    assert "Audit Admin" in page
    assert page.index("marker-update") < page.index("marker-freeze")  # newest first


def test_filter_by_actor(client, events):
    page = _page(client, f"?actor_id={events['other'].id}")
    assert "marker-update" in page
    assert "marker-old" in page
    assert "marker-freeze" not in page


def test_filter_by_action(client, events):
    page = _page(client, "?action=user.update")
    assert "marker-update" in page
    assert "marker-freeze" not in page


def test_filter_by_object(client, events):
    page = _page(client, "?target_type=project&target_id=9")
    assert "marker-old" in page
    assert "marker-freeze" not in page
    assert "marker-update" not in page


def test_filter_by_date(client, events):
    now = today()
    recent = _page(client, f"?from={now - dt.timedelta(days=1)}")
    assert "marker-freeze" in recent
    assert "marker-old" not in recent
    old = _page(client, f"?to={now - dt.timedelta(days=5)}")
    assert "marker-old" in old
    assert "marker-freeze" not in old


def test_nonsense_filters_are_ignored_not_errors(client, events):
    page = _page(client, "?actor_id=abc&from=yesterday&target_id=-1&unknown=1")
    assert "marker-freeze" in page


def test_audit_data_is_escaped(client, db, events):
    db.add(AuditEvent(action="user.update", data={"name": "<script>alert(1)</script>"}))
    db.commit()
    page = _page(client)
    assert "<script>alert(1)</script>" not in page


def test_the_log_pages_backwards(client, db, admin):
    db.add_all([AuditEvent(action="test.bulk", data={"n": n}) for n in range(105)])
    db.commit()
    page = _page(client, "?action=test.bulk")
    assert "Older events" in page
    assert "before=" in page


def test_the_log_names_things_and_shows_changes_as_before_and_after(client, admin, db, make):
    from tests.dates import days_ago
    from tracker.models import User
    from tracker.services import assignments, entries

    project, person = make.project(code="CHORDUS"), make.contractor(name="Ana Lima")
    assignment = make.assign(project, person, start_date=days_ago(10))
    entry = entries.log_time(
        db, db.get(User, person.id), project_id=project.id, work_date=days_ago(2), hours="2"
    )
    db.commit()
    entries.update_entry(db, db.get(User, person.id), entry.id, hours="3")
    assignments.change_dates(
        db, db.get(User, admin.id), db.get(type(assignment), assignment.id), start_date=days_ago(12)
    )
    db.commit()
    page = _page(client)
    assert f"time entry {entry.id} of Ana Lima on CHORDUS" in page
    assert "assignment of Ana Lima on CHORDUS" in page
    assert (
        '<span class="field">minutes</span>: 120 <span aria-label="changed to">→</span> 180' in page
    )
    assert (
        f'<span class="field">start date</span>: {days_ago(10).isoformat()} '
        f'<span aria-label="changed to">→</span> {days_ago(12).isoformat()}'
    ) in page
    assert '"minutes"' not in page  # no raw JSON


def test_a_command_line_event_names_the_person_who_ran_it(client, admin, db):
    db.add(AuditEvent(actor_id=None, action="project.freeze", origin="cli:ops-alice"))
    db.commit()
    page = _page(client, "?action=project.freeze")
    assert 'ops-alice <span class="muted">(command line)</span>' in page
    assert ">system<" not in page
