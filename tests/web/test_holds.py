"""Admin pages for holds (freeze with confirmation, unfreeze, history, impact) and what the
contractors on a held project see: the banner, the notification, the project on hold."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy import func, select

from tests.dates import today
from tracker.models import Hold, Incident, Notification, Project, TimeEntry, utcnow
from tracker.services import assignments, holds

NOTICE = "Client incident: work on CHORDUS is paused.\nWe will write again by Friday."
FORM = {"notice": NOTICE, "reason": "Vendor compromise at the client", "incident_ref": "INC-9"}


def _setup(make, contractors=3):
    admin = make.admin(name="Ada Admin")
    project = make.project(code="CHORDUS", name="Core banking")
    people = [make.contractor() for _ in range(contractors)]
    for person in people:
        make.assign(project, person)
    return admin, project, people


def _status(db, project):
    return db.scalar(select(Project.status).where(Project.id == project.id))


def test_freezing_asks_for_confirmation_with_the_number_affected_then_freezes(
    client, auth, make, db
):
    admin, project, _people = _setup(make)
    auth.login(admin)
    page = client.get(f"/admin/projects/{project.id}").get_data(as_text=True)
    assert "Incident hold" in page
    assert 'name="notice"' in page

    review = client.post(f"/admin/holds/projects/{project.id}/freeze", data=FORM)
    text = review.get_data(as_text=True)
    assert review.status_code == 200
    assert "3 contractors will be affected" in text
    assert "We will write again by Friday." in text
    assert _status(db, project) == "open"  # nothing happens before the confirmation

    done = client.post(
        f"/admin/holds/projects/{project.id}/freeze", data={**FORM, "action": "confirm"}
    )
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/admin/projects/{project.id}")
    assert _status(db, project) == "frozen"
    hold = db.scalar(select(Hold))
    assert hold.notice == NOTICE
    assert hold.incident_ref == "INC-9"
    assert not hold.allow_backfill
    after = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "3 contractors were notified" in after
    assert "On hold since" in after
    assert "Lift the hold" in after


def test_going_back_from_the_confirmation_keeps_what_was_typed(client, auth, make):
    admin, project, _ = _setup(make, contractors=1)
    auth.login(admin)
    page = client.post(
        f"/admin/holds/projects/{project.id}/freeze",
        data={**FORM, "allow_backfill": "y", "action": "edit"},
    ).get_data(as_text=True)
    assert "Vendor compromise at the client" in page
    assert "INC-9" in page
    assert "checked" in page


def test_an_empty_or_too_long_notice_is_shown_beside_the_field_and_nothing_changes(
    client, auth, make, db
):
    admin, project, _ = _setup(make, contractors=1)
    auth.login(admin)
    url = f"/admin/holds/projects/{project.id}/freeze"
    empty = client.post(url, data={**FORM, "notice": "", "action": "confirm"})
    assert "Write the notice contractors will read." in empty.get_data(as_text=True)
    long = client.post(url, data={**FORM, "notice": "x" * 2001, "action": "confirm"})
    text = long.get_data(as_text=True)
    assert "2000" in text or "2,000" in text
    assert "Vendor compromise at the client" in text  # the rest is kept
    assert _status(db, project) == "open"
    assert db.scalar(select(func.count()).select_from(Hold)) == 0


def test_freeze_and_unfreeze_ask_for_the_password_when_the_login_is_old(client, auth, make):
    admin, project, _ = _setup(make, contractors=1)
    auth.login(admin)
    with client.session_transaction() as session:
        session["auth_at"] = 0
    page = client.get(f"/admin/projects/{project.id}").get_data(as_text=True)
    assert 'name="notice"' not in page
    assert "asks for your password first" in page
    response = client.post(
        f"/admin/holds/projects/{project.id}/freeze", data={**FORM, "action": "confirm"}
    )
    assert response.status_code == 302
    assert "/reauth" in response.headers["Location"]
    response = client.post(f"/admin/holds/projects/{project.id}/unfreeze", data={})
    assert response.status_code == 302
    assert "/reauth" in response.headers["Location"]


def test_an_already_held_project_cannot_be_frozen_again_from_the_web(client, auth, make, db):
    admin, project, _ = _setup(make, contractors=1)
    make.hold(project)
    auth.login(admin)
    response = client.post(
        f"/admin/holds/projects/{project.id}/freeze", data={**FORM, "action": "confirm"}
    )
    assert "CHORDUS is already on hold" in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Hold)) == 1


def test_contractors_see_the_notice_everywhere_until_the_hold_lifts(client, auth, make, db):
    admin, project, people = _setup(make)
    holds.freeze_project(db, admin, project, reason="internal only", notice=NOTICE)
    db.commit()
    auth.login(people[0])
    home = client.get("/").get_data(as_text=True)
    assert "CHORDUS — Core banking is on hold since" in home
    assert "We will write again by Friday." in home
    assert "internal only" not in home
    assert "On hold" in home  # the project's status badge
    assert 'aria-label="1 unread"' in home
    notes = client.get("/notifications").get_data(as_text=True)
    assert "We will write again by Friday." in notes
    assert "on hold since" in notes

    holds.unfreeze_project(db, admin, db.get(Project, project.id), note="All clear.")
    db.commit()
    home = client.get("/").get_data(as_text=True)
    assert "is on hold since" not in home
    assert 'aria-label="2 unread"' in home
    assert "All clear." in client.get("/notifications").get_data(as_text=True)


def test_unfreezing_from_the_project_page_with_a_closing_note(client, auth, make, db):
    admin, project, _people = _setup(make, contractors=2)
    make.hold(project)
    auth.login(admin)
    response = client.post(
        f"/admin/holds/projects/{project.id}/unfreeze", data={"note": "Client audit passed."}
    )
    assert response.status_code == 302
    assert _status(db, project) == "open"
    hold = db.scalar(select(Hold))
    assert hold.ended_by_id == admin.id
    assert hold.note == "Client audit passed."
    lifted = db.scalar(
        select(func.count()).select_from(Notification).where(Notification.kind == "hold_lifted")
    )
    assert lifted == 2
    again = client.post(f"/admin/holds/projects/{project.id}/unfreeze", data={"note": ""})
    assert "CHORDUS is not on hold" in again.get_data(as_text=True)


def test_the_project_page_shows_the_hold_history(client, auth, make, db):
    admin, project, _ = _setup(make, contractors=1)
    holds.freeze_project(db, admin, project, reason="Breach at vendor", notice="Paused.")
    db.commit()
    holds.unfreeze_project(db, admin, db.get(Project, project.id), note="Resolved")
    db.commit()
    auth.login(admin)
    page = client.get(f"/admin/projects/{project.id}").get_data(as_text=True)
    assert "Hold history" in page
    assert "Breach at vendor" in page
    assert "Ada Admin" in page
    assert "Resolved" in page
    assert " min" in page  # how long it lasted


def test_the_overview_shows_each_hold_with_its_impact_and_an_svg_chart(client, auth, make, db):
    admin, project, people = _setup(make)
    today = utcnow().date()
    make.entry(people[0], project, work_date=today - dt.timedelta(days=3), minutes=450)
    hold, _ = holds.freeze_project(db, admin, project, reason="r", notice="Paused.")
    db.commit()
    other = make.project(code="HARBOR")
    assignments.assign(db, None, other, people[1], origin="reassignment", from_hold=hold)
    db.commit()
    auth.login(admin)
    page = client.get("/admin/holds").get_data(as_text=True)
    assert "CHORDUS" in page
    assert "Contractors affected" in page
    assert "Reassigned since" in page
    assert '<svg class="chart"' in page
    assert 'role="img"' in page
    assert "Hours per week as a table" in page
    assert "7.50" in page
    home = client.get("/").get_data(as_text=True)
    assert "Holds in force" in home
    assert "1 reassigned" in home


def test_only_admins_open_the_hold_pages(client, auth, make):
    _admin, project, people = _setup(make, contractors=1)
    auth.login(people[0])
    assert client.get("/admin/holds").status_code == 403
    assert client.get(f"/admin/holds/projects/{project.id}/freeze").status_code == 403
    response = client.post(
        f"/admin/holds/projects/{project.id}/freeze", data={**FORM, "action": "confirm"}
    )
    assert response.status_code == 403


def test_hours_from_before_the_hold_stay_listed_for_the_admin(client, auth, make, db):
    admin, project, people = _setup(make, contractors=1)
    entry = make.entry(people[0], project, minutes=120)
    make.hold(project)
    auth.login(admin)
    assert db.get(TimeEntry, entry.id) is not None
    page = client.get("/admin/holds").get_data(as_text=True)
    assert "2.00" in page


def test_logging_hours_on_the_web_during_a_hold_shows_the_notice_and_since_when(
    client, auth, make, db
):
    admin, project, people = _setup(make, contractors=1)
    holds.freeze_project(db, admin, project, reason="internal", notice=NOTICE)
    db.commit()
    auth.login(people[0])
    yesterday = (today() - dt.timedelta(days=1)).isoformat()
    form = {"project_id": str(project.id), "work_date": yesterday, "hours": "2"}
    refused = client.post("/entries/new", data=form)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "CHORDUS is on hold since" in text
    assert "We will write again by Friday." in text
    assert db.scalar(select(func.count()).select_from(TimeEntry)) == 0

    holds.unfreeze_project(db, admin, db.get(Project, project.id))
    db.commit()
    assert client.post("/entries/new", data=form).status_code == 302
    assert db.scalar(select(func.count()).select_from(TimeEntry)) == 1


def test_a_contractor_far_from_utc_reads_the_hold_notices_in_their_own_time(client, auth, make, db):
    admin, project, _people = _setup(make, contractors=0)
    reader = make.contractor(timezone="Pacific/Auckland")
    make.assign(project, reader)
    hold, _ = holds.freeze_project(db, admin, project, reason="r", notice=NOTICE)
    db.commit()
    holds.unfreeze_project(db, admin, db.get(Project, project.id), note="All clear.")
    db.commit()
    auth.login(reader)
    page = client.get("/notifications").get_data(as_text=True)
    started = hold.started_at.astimezone(dt.UTC)
    auckland = hold.started_at.astimezone(zoneinfo.ZoneInfo("Pacific/Auckland"))
    assert f"{auckland:%Y-%m-%d %H:%M} {auckland.tzname()}" in page  # when, in their zone
    assert "CHORDUS — Core banking is on hold: time entry is paused." in page
    assert "The hold on CHORDUS — Core banking has been lifted." in page
    messages = [n.message for n in db.scalars(select(Notification))]
    assert len(messages) == 2
    assert not any(f"{started:%H:%M}" in m or "UTC" in m for m in messages)


def test_a_freeze_names_its_incident_in_the_freezing_admins_language(client, auth, make, db, api):
    admin, project, _ = _setup(make, contractors=1)
    admin.language = "ar"
    db.commit()
    auth.login(admin)
    response = client.post(
        f"/admin/holds/projects/{project.id}/freeze", data={**FORM, "action": "confirm"}
    )
    assert response.status_code == 302
    hold = db.scalar(select(Hold).where(Hold.project_id == project.id))
    assert db.get(Incident, hold.incident_id).title == "تجميد CHORDUS"
    other = make.project(code="LEDGER")
    answer = api(admin).post(
        f"/projects/{other.id}/freeze", json={"notice": "Paused.", "reason": "Breach"}
    )
    assert answer.status_code == 200, answer.json
    later = db.scalar(select(Hold).where(Hold.project_id == other.id))
    assert db.get(Incident, later.incident_id).title == "Hold on LEDGER"  # the API is English
