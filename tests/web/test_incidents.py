"""Incident pages: an admin starts one from the overview or a project's client with a
confirmation showing how many projects and people it stops; the incident page (updates, who
acknowledged, lift, review date); overdue on the overview; the contractor's incident page and
its one banner for several held projects, which never show the title, reason or client."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.dates import today
from tracker.models import Incident, Project

NOTICE = "The client is reevaluating the scope. Hours you logged are safe."
FORM = {
    "scope": "client",
    "client": "Acme",
    "title": "Acme suspends the vendor",
    "reason": "Secret contract dispute",
    "notice": NOTICE,
    "incident_ref": "INC-77",
}


def _acme(make, projects=5):
    admin = make.admin()
    person = make.contractor(name="Casey")
    other = make.contractor(name="Dana")
    made = [make.project(code=f"ACME{n}", name=f"Acme {n}", client="Acme") for n in range(projects)]
    for project in made:
        make.assign(project, person)
    make.assign(made[0], other)
    unrelated = make.project(code="SECRETX", name="Someone else's", client="Acme")
    return admin, person, other, made, unrelated


def _statuses(db):
    db.expire_all()
    return set(db.scalars(select(Project.status)))


def test_an_admin_starts_an_incident_after_a_confirmation_with_the_counts(client, auth, make, db):
    admin, _person, _other, made, _unrelated = _acme(make)
    auth.login(admin)
    home = client.get("/").get_data(as_text=True)
    assert "Start an incident" in home
    project_page = client.get(f"/admin/projects/{made[0].id}").get_data(as_text=True)
    assert "/admin/incidents/new?client=Acme" in project_page
    form = client.get("/admin/incidents/new?client=Acme").get_data(as_text=True)
    assert 'value="Acme"' in form

    review = client.post("/admin/incidents/new", data={**FORM, "action": "preview"})
    text = review.get_data(as_text=True)
    assert review.status_code == 200
    assert "6 projects and 2 contractors will be stopped" in text
    assert _statuses(db) == {"open"}  # nothing before the confirmation

    done = client.post("/admin/incidents/new", data={**FORM, "action": "confirm"})
    assert done.status_code == 302, done.get_data(as_text=True)
    assert _statuses(db) == {"frozen"}
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Secret contract dispute" in page
    assert "Not yet (2)" in page


def test_bad_start_input_is_shown_beside_the_fields_and_nothing_starts(client, auth, make, db):
    admin, *_ = _acme(make)
    auth.login(admin)
    past = (today() - dt.timedelta(days=1)).isoformat()
    for data, words in [
        ({**FORM, "client": "Initech"}, "Initech"),
        ({**FORM, "notice": ""}, "This field is required"),
        ({**FORM, "review_by": past}, "cannot be in the past"),
        ({**FORM, "scope": "projects", "project_ids": []}, "Choose at least one project"),
    ]:
        response = client.post("/admin/incidents/new", data={**data, "action": "preview"})
        assert response.status_code == 422
        assert words in response.get_data(as_text=True)
    assert db.scalars(select(Incident)).all() == []


def test_the_contractor_reads_one_banner_and_the_incident_page_and_acknowledges(
    client, auth, make, db, api
):
    admin, person, _other, made, unrelated = _acme(make)
    incident_id = (
        api(admin)
        .post(
            "/incidents",
            json={k: v for k, v in FORM.items() if k not in ("scope",)},
        )
        .json["incident"]["id"]
    )
    auth.login(person)
    home = client.get("/").get_data(as_text=True)
    assert home.count('class="hold-banner"') == 1  # five projects of one client: told once
    assert f"/incidents/{incident_id}" in home
    page = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert NOTICE in page
    for secret in ("Acme suspends the vendor", "Secret contract dispute", "SECRETX", ">Acme<"):
        assert secret not in page
    assert all(p.code in page for p in made)
    assert "I have read this" in page
    done = client.post(f"/incidents/{incident_id}/acknowledge")
    assert done.status_code == 302
    after = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert "You confirmed you have read this" in after
    assert "I have read this" not in after
    assert unrelated.id  # never shown above


def test_an_unaffected_contractor_gets_404(client, auth, make, api):
    admin, *_ = _acme(make)
    incident_id = (
        api(admin)
        .post("/incidents", json={k: v for k, v in FORM.items() if k != "scope"})
        .json["incident"]["id"]
    )
    auth.login(make.contractor())
    assert client.get(f"/incidents/{incident_id}").status_code == 404
    assert client.post(f"/incidents/{incident_id}/acknowledge").status_code == 404


def test_the_admin_posts_an_update_moves_the_review_and_lifts_part_then_all(
    client, auth, make, db, api
):
    admin, _person, _other, made, _unrelated = _acme(make, projects=2)
    incident_id = (
        api(admin)
        .post("/incidents", json={k: v for k, v in FORM.items() if k != "scope"})
        .json["incident"]["id"]
    )
    auth.login(admin)
    base = f"/admin/incidents/{incident_id}"
    client.post(f"{base}/updates", data={"message": "Next review on Friday"})
    assert "Next review on Friday" in client.get(base).get_data(as_text=True)
    later = (today() + dt.timedelta(days=40)).isoformat()
    client.post(f"{base}/review", data={"review_by": later})
    db.expire_all()
    assert db.get(Incident, incident_id).review_by.isoformat() == later
    refused = client.post(f"{base}/review", data={"review_by": "2000-01-01"}, follow_redirects=True)
    assert "cannot be in the past" in refused.get_data(as_text=True)
    client.post(f"{base}/lift", data={"project_ids": [str(made[0].id)]})
    db.expire_all()
    assert db.get(Project, made[0].id).status == "open"
    client.post(f"{base}/lift", data={"note": "Back to work"})
    db.expire_all()
    assert db.get(Incident, incident_id).lifted_at is not None
    report = client.get(f"{base}/report").get_data(as_text=True)
    assert "<svg" in report
    assert "<script" not in report
    csv = client.get(f"{base}/report.csv")
    assert csv.mimetype == "text/csv"


def test_an_incident_past_its_review_date_is_overdue_on_the_overview(client, auth, make, db, api):
    admin, *_ = _acme(make, projects=1)
    incident_id = (
        api(admin)
        .post("/incidents", json={k: v for k, v in FORM.items() if k != "scope"})
        .json["incident"]["id"]
    )
    row = db.get(Incident, incident_id)
    row.review_by = today() - dt.timedelta(days=2)
    db.commit()
    auth.login(admin)
    home = client.get("/").get_data(as_text=True)
    assert "past the review date" in home
    assert "overdue" in home


def test_the_contractor_finds_every_incident_that_affected_them_from_notifications(
    client, auth, make, api
):
    admin, person, _other, _made, _unrelated = _acme(make, projects=1)
    incident_id = (
        api(admin)
        .post("/incidents", json={k: v for k, v in FORM.items() if k != "scope"})
        .json["incident"]["id"]
    )
    api(admin).post(f"/incidents/{incident_id}/lift", json={})
    auth.login(person)
    assert "/incidents" in client.get("/notifications").get_data(as_text=True)
    listed = client.get("/incidents").get_data(as_text=True)
    assert f"/incidents/{incident_id}" in listed
    assert "over since" in listed
    assert FORM["title"] not in listed


def test_each_incident_notification_links_to_that_incident_page(client, auth, make, api):
    admin, person, _other, _made, _unrelated = _acme(make, projects=2)
    fields = {k: v for k, v in FORM.items() if k != "scope"}
    incident_id = api(admin).post("/incidents", json=fields).json["incident"]["id"]
    api(admin).post(f"/incidents/{incident_id}/updates", json={"message": "Talks go on."})
    lone = make.project(code="LONE", client="Other")
    make.assign(lone, person)
    held = api(admin).post(
        f"/projects/{lone.id}/freeze", json={"reason": "audit", "notice": "Paused for an audit."}
    )
    assert held.status_code == 200, held.json
    lone_incident = held.json["hold"]["incident_id"]
    auth.login(person)
    page = client.get("/notifications").get_data(as_text=True)
    link = '<a href="/incidents/{}">Open this stop of work: its notice and updates</a>'
    assert page.count(link.format(incident_id)) == 2  # started and updated: once each
    assert page.count(link.format(lone_incident)) == 1
    assert client.get(f"/incidents/{incident_id}").status_code == 200
    listed = api(person).get("/notifications").json["notifications"]
    assert sorted({n["incident_id"] for n in listed}) == sorted({incident_id, lone_incident})
