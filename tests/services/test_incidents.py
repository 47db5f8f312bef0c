"""Incidents: a client (or chosen projects) frozen as one action, everyone told once, lifted."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from tests.dates import today
from tests.edge import edge
from tracker.errors import Invalid, NotFound, NotFrozen, NotOpenToReassignment
from tracker.models import (
    AuditEvent,
    Hold,
    Incident,
    Notification,
    OutboxMessage,
    Project,
    User,
)
from tracker.services import (
    delivery,
    holds,
    incident_reads,
    incident_reports,
    incidents,
    projects,
    reassignment,
    reminders,
    webhooks,
)

NOTICE = "The client is reevaluating the scope; hours so far are safe."


def start(app, admin_id, **values):
    values.setdefault("title", "Acme stops all work")
    values.setdefault("reason", "Acme suspended the vendor contract")
    values.setdefault("notice", NOTICE)
    with app.app_context(), edge() as session:
        actor = session.get(User, admin_id) if admin_id else None
        started = incidents.start_incident(session, actor, today(), **values)
        return (
            started.incident.id,
            [h.project_id for h in started.holds],
            [(p.id, why) for p, why in started.skipped],
            started.affected,
        )


def count(db, model, *where):
    return db.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def acme(make):
    """Acme with three open projects (one held already, one closed elsewhere), people on them."""
    admin = make.admin()
    a = make.project(code="ACME1", client="Acme")
    b = make.project(code="ACME2", client=" acme ")
    c = make.project(code="ACME3", client="ACME")
    other = make.project(code="OTHER", client="Globex")
    people = [make.contractor(name=f"P{n}") for n in range(4)]
    # P0 is on all three Acme projects: told once.
    for project in (a, b, c):
        make.assign(project, people[0])
    make.assign(a, people[1])
    make.assign(b, people[2])
    make.assign(other, people[3])
    return admin, (a, b, c, other), people


def test_a_client_wide_start_freezes_every_open_project_of_the_client_and_tells_each_person_once(
    app, db, acme
):
    admin, (a, b, c, _other), people = acme
    incident_id, frozen, skipped, affected = start(app, admin.id, client="acme")

    assert sorted(frozen) == sorted([a.id, b.id, c.id])
    assert skipped == []
    assert affected == 3
    statuses = dict(db.execute(select(Project.code, Project.status)).all())
    assert statuses == {"ACME1": "frozen", "ACME2": "frozen", "ACME3": "frozen", "OTHER": "open"}
    notes = db.scalars(select(Notification).where(Notification.kind == "incident_started")).all()
    assert sorted(n.user_id for n in notes) == sorted(p.id for p in people[:3])
    assert all(NOTICE in n.message and "Acme" not in n.message for n in notes)
    emails = db.scalars(select(OutboxMessage).where(OutboxMessage.topic == "incident_started"))
    assert sorted(m.user_id for m in emails) == sorted(p.id for p in people[:3])
    incident = db.get(Incident, incident_id)
    assert (incident.scope, incident.client, incident.affected_count) == ("client", "acme", 3)
    assert incident.review_by == today() + dt.timedelta(days=14)
    event_row = db.scalars(select(AuditEvent).where(AuditEvent.action == "incident.start")).one()
    assert event_row.data["after"]["title"] == "Acme stops all work"
    assert sorted(event_row.data["project_ids"]) == sorted(frozen)


def test_projects_already_on_hold_are_reported_not_held_twice_and_closed_ones_left_alone(
    app, db, make, acme
):
    admin, (a, b, c, _other), _people = acme
    with app.app_context(), edge() as session:
        holds.freeze_project(session, None, session.get(Project, b.id), reason="r", notice="n")
    with app.app_context(), edge() as session:
        projects.update_project(session, None, session.get(Project, c.id), status="closed")

    _id, frozen, skipped, _affected = start(app, admin.id, client="Acme")

    assert frozen == [a.id]
    assert skipped == [(b.id, "already_frozen")]
    assert count(db, Hold, Hold.project_id == b.id, Hold.ended_at.is_(None)) == 1


def test_bad_input_is_refused_with_a_clear_error_and_nothing_changes(app, db, acme):
    admin, (a, *_rest), _people = acme
    cases = [
        ({"client": "Acme", "project_ids": [a.id]}, "client"),
        ({}, "client"),
        ({"client": "Initech"}, "client"),
        ({"client": "Acme", "notice": "  "}, "notice"),
        (
            {"client": "Acme", "review_by": (today() - dt.timedelta(days=1)).isoformat()},
            "review_by",
        ),
        ({"project_ids": [999999]}, "project_ids"),
        ({"project_ids": "ACME1"}, "project_ids"),
    ]
    for values, field in cases:
        with pytest.raises(Invalid) as refused:
            start(app, admin.id, **values)
        assert field in refused.value.fields, values
    with pytest.raises(Invalid, match="Initech"):
        start(app, admin.id, client="Initech")
    assert count(db, Incident) == 0
    assert count(db, Project, Project.status == "frozen") == 0


def test_nothing_to_freeze_is_422_naming_what_was_skipped(app, db, make):
    admin = make.admin()
    p = make.project(code="ONLY", client="Solo")
    with app.app_context(), edge() as session:
        holds.freeze_project(session, None, session.get(Project, p.id), reason="r", notice="n")
    with pytest.raises(Invalid) as refused:
        start(app, admin.id, client="Solo")
    assert refused.value.status == 422
    assert refused.value.extra["skipped"] == [{"project_id": p.id, "code": "already_frozen"}]


def test_start_and_lift_run_a_fixed_number_of_statements_whatever_the_size(app, db, make):
    admin = make.admin()
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    with app.app_context(), edge() as session:
        webhooks.register(session, None, url="http://127.0.0.1:9/h", events=list(webhooks.EVENTS))

    def counted(action):
        seen = []
        engine = app.extensions["tracker.engine"]

        def counter(*_args):
            seen.append(1)

        event.listen(engine, "before_cursor_execute", counter)
        try:
            action()
        finally:
            event.remove(engine, "before_cursor_execute", counter)
        return len(seen)

    def statements_for(n_projects, n_people, client):
        made = [make.project(client=client) for _ in range(n_projects)]
        for i in range(n_people):
            make.assign(made[i % n_projects], make.contractor())
        found = []
        started = counted(lambda: found.append(start(app, admin.id, client=client)[0]))

        def lift():
            with app.app_context(), edge() as session:
                incidents.lift_incident(session, None, session.get(Incident, found[0]))

        return started, counted(lift)

    small = statements_for(1, 1, "Small")
    large = statements_for(6, 30, "Large")
    assert small == large
    assert count(db, OutboxMessage, OutboxMessage.topic == "hold.started") == 7


def test_updates_reach_everyone_and_acknowledgements_are_idempotent(app, db, acme):
    admin, _projects, people = acme
    incident_id, *_ = start(app, admin.id, client="Acme")
    with app.app_context(), edge() as session:
        first = incidents.acknowledge(session, session.get(User, people[0].id), incident_id)
    with app.app_context(), edge() as session:
        again = incidents.acknowledge(session, session.get(User, people[0].id), incident_id)
    assert first == again
    with app.app_context(), edge() as session:
        incident = session.get(Incident, incident_id)
        acks = incident_reads.acknowledgements(session, incident)
        assert [u.id for u, _at in acks.acknowledged] == [people[0].id]
        assert sorted(u.id for u in acks.pending) == sorted([people[1].id, people[2].id])
    with app.app_context(), edge() as session:
        incidents.post_update(session, None, session.get(Incident, incident_id), "Review on Friday")
    notes = db.scalars(select(Notification).where(Notification.kind == "incident_updated")).all()
    assert sorted(n.user_id for n in notes) == sorted(p.id for p in people[:3])
    with app.app_context():
        session = app.extensions["tracker.sessionmaker"]() if False else db
        incident = db.get(Incident, incident_id)
        # the update leaves everyone pending again until they acknowledge it
        assert incident_reads.acknowledgements(db, incident).acknowledged == []
    with pytest.raises(NotFound), app.app_context(), edge() as session:
        incidents.acknowledge(session, session.get(User, people[3].id), incident_id)
    assert count(db, AuditEvent, AuditEvent.action == "incident.acknowledge") == 1


def test_lifting_some_projects_then_the_rest_ends_the_incident(app, db, acme):
    admin, (a, _b, _c, _other), people = acme
    incident_id, *_ = start(app, admin.id, client="Acme")
    with app.app_context(), edge() as session:
        lifted = incidents.lift_incident(
            session, None, session.get(Incident, incident_id), project_ids=[a.id]
        )
    assert lifted == [a.id]
    db.expire_all()
    assert db.get(Project, a.id).status == "open"
    assert db.get(Incident, incident_id).lifted_at is None
    told = db.scalars(select(Notification).where(Notification.kind == "incident_lifted")).all()
    assert sorted(n.user_id for n in told) == sorted([people[0].id, people[1].id])
    with pytest.raises(NotFrozen), app.app_context(), edge() as session:
        incidents.lift_incident(
            session, None, session.get(Incident, incident_id), project_ids=[a.id]
        )
    with app.app_context(), edge() as session:
        incidents.lift_incident(session, None, session.get(Incident, incident_id), note="Back on")
    db.expire_all()
    assert db.get(Incident, incident_id).lifted_at is not None
    assert count(db, Project, Project.status == "frozen") == 0
    with pytest.raises(NotFrozen), app.app_context(), edge() as session:
        incidents.post_update(session, None, session.get(Incident, incident_id), "Too late")
    assert count(db, AuditEvent, AuditEvent.action == "incident.lift") == 2


def test_unfreezing_the_last_project_of_a_one_project_incident_lifts_it(app, db, make):
    project = make.project(code="SOLO")
    with app.app_context(), edge() as session:
        hold, _n = holds.freeze_project(
            session, None, session.get(Project, project.id), reason="r", notice="n"
        )
        incident_id = hold.incident_id
    with app.app_context(), edge() as session:
        holds.unfreeze_project(session, None, session.get(Project, project.id))
    db.expire_all()
    assert db.get(Incident, incident_id).lifted_at is not None


def test_a_new_project_of_a_halted_client_starts_frozen(app, db, make, acme):
    admin, *_ = acme
    incident_id, *_ = start(app, admin.id, client="Acme")
    fresh = make.project(code="ACME9", client="ACME ")
    moved = make.project(code="MOVED", client="Elsewhere")
    with app.app_context(), edge() as session:
        projects.update_project(session, None, session.get(Project, moved.id), client="acme")
    db.expire_all()
    for project_id in (fresh.id, moved.id):
        assert db.get(Project, project_id).status == "frozen"
        hold = db.scalars(select(Hold).where(Hold.project_id == project_id)).one()
        assert hold.incident_id == incident_id


def test_offers_leave_out_a_halted_client_and_the_held_clients_other_projects(app, db, make):
    admin = make.admin()
    held = make.project(code="HELD", client="Acme")
    sibling = make.project(code="SIBLING", client="Acme")
    fine = make.project(code="FINE", client="Globex")
    halted = make.project(code="HALTED", client="Initech")
    person = make.contractor()
    make.assign(held, person)
    start(app, admin.id, project_ids=[held.id])
    start(app, admin.id, client="Initech", notice="Initech stopped")
    db.expire_all()
    with app.app_context():
        offered = {o.project.code for o in reassignment.offers(db, db.get(User, person.id))}
    assert offered == {"FINE"}
    with pytest.raises(NotOpenToReassignment), app.app_context(), edge() as session:
        reassignment.accept(
            session, session.get(User, person.id), from_project_id=held.id, to_project_id=sibling.id
        )
    assert {halted.id, fine.id}  # both exist; only FINE is offered


def test_the_same_client_may_be_offered_when_the_admin_allows_it(app, db, make):
    admin = make.admin()
    held = make.project(code="HELD", client="Acme")
    make.project(code="SIBLING", client="Acme")
    person = make.contractor()
    make.assign(held, person)
    start(app, admin.id, project_ids=[held.id], allow_same_client=True)
    db.expire_all()
    with app.app_context():
        offered = {o.project.code for o in reassignment.offers(db, db.get(User, person.id))}
    assert offered == {"SIBLING"}


def test_the_report_counts_affected_acknowledged_reassigned_and_idle(app, db, make, acme):
    admin, (a, _b, _c, _other), people = acme
    make.entry(people[1], a, work_date=today() - dt.timedelta(days=3), minutes=120)
    target = make.project(code="NEWWORK", client="Globex")
    incident_id, *_ = start(app, admin.id, client="Acme")
    with app.app_context(), edge() as session:
        incidents.acknowledge(session, session.get(User, people[0].id), incident_id)
    with app.app_context(), edge() as session:
        reassignment.accept(
            session, session.get(User, people[1].id), from_project_id=a.id, to_project_id=target.id
        )
    with app.app_context():
        found = incident_reports.report(db, db.get(Incident, incident_id), today())
        totals = found.totals()
        assert (totals["affected"], totals["acknowledged"], totals["reassigned"]) == (3, 1, 1)
        assert totals["still_idle"] == 2
        row = next(r for r in found.rows if r.user.id == people[1].id)
        assert row.minutes_before == 120
        assert row.reassigned_to == "NEWWORK"
        text = incident_reports.to_csv(found)
    assert text.splitlines()[0].startswith("user_id,email,name,projects_held")
    assert len(text.splitlines()) == 4


def test_the_unacknowledged_get_one_reminder_after_the_delay(app, db, acme):
    admin, _projects, people = acme
    incident_id, *_ = start(app, admin.id, client="Acme")
    with app.app_context(), edge() as session:
        incidents.acknowledge(session, session.get(User, people[0].id), incident_id)
    later = db.get(Incident, incident_id).started_at + dt.timedelta(hours=25)
    with app.app_context(), edge() as session:
        assert reminders.send_ack_reminders(session, later - dt.timedelta(hours=2), 24) == 0
    with app.app_context(), edge() as session:
        assert reminders.send_ack_reminders(session, later, 24) == 2
    with app.app_context(), edge() as session:
        assert reminders.send_ack_reminders(session, later, 24) == 0  # once
    told = db.scalars(select(Notification).where(Notification.kind == "incident_reminder")).all()
    assert sorted(n.user_id for n in told) == sorted([people[1].id, people[2].id])


def test_admins_get_overdue_incidents_in_their_daily_digest(app, db, acme):
    admin, *_ = acme
    incident_id, *_ = start(app, admin.id, client="Acme")
    row = db.get(Incident, incident_id)
    row.review_by = today() - dt.timedelta(days=1)
    db.commit()
    with app.app_context(), edge() as session:
        assert reminders.send_digest(session, today()) == 1
    digest = db.scalars(select(OutboxMessage).where(OutboxMessage.topic == "digest")).one()
    kinds = [s["kind"] for s in digest.payload["sections"]]
    assert "overdue_incidents" in kinds


def test_the_incident_emails_carry_the_notice_and_the_link_never_the_title_reason_or_client(
    app, db, acme
):
    admin, _projects, people = acme
    incident_id, *_ = start(app, admin.id, client="Acme")
    with app.app_context(), edge() as session:
        incidents.post_update(session, None, session.get(Incident, incident_id), "Friday review")
    with app.app_context(), edge() as session:
        incidents.lift_incident(session, None, session.get(Incident, incident_id), note="Resumed")
    delivery.Worker(app).run(once=True)
    folder = Path(app.instance_path) / "mail"
    sent = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in folder.glob("*.eml")
    ]
    subjects = {m["Subject"] for m in sent}
    assert "Work on your projects is paused: time entry is stopped" in subjects
    assert "An update on the stop of work on your projects" in subjects
    assert "The stop of work is over: you can log time again" in subjects
    to_p0 = [m for m in sent if m["To"].addresses[0].addr_spec == people[0].email]
    assert len(to_p0) == 3  # on three held projects, told once each time
    for message in sent:
        text = message.as_string()
        assert f"/incidents/{incident_id}" in text
        for secret in ("Acme stops all work", "suspended the vendor", "Acme"):
            assert secret not in message.get_body(("plain",)).get_content()


def test_webhooks_carry_incident_events_and_the_reason_only_to_internal_endpoints(app, db, acme):
    admin, *_ = acme
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True  # a local address: no name lookup in the test
    with app.app_context(), edge() as session:
        actor = session.get(User, admin.id)
        for internal in (False, True):
            webhooks.register(
                session,
                actor,
                url="http://127.0.0.1:9/hooks",
                events=["incident.started", "incident.updated", "incident.lifted"],
                internal=internal,
            )
    incident_id, *_ = start(app, admin.id, client="Acme")
    with app.app_context(), edge() as session:
        incidents.post_update(session, None, session.get(Incident, incident_id), "Friday")
    with app.app_context(), edge() as session:
        incidents.lift_incident(session, None, session.get(Incident, incident_id))
    rows = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "webhook")).all()
    assert sorted(r.topic for r in rows) == sorted(
        ["incident.started", "incident.updated", "incident.lifted"] * 2
    )
    internal = {r.endpoint_id for r in rows if "Acme suspended the vendor contract" in r.body}
    assert len(internal) == 1
    actions = db.scalars(
        select(AuditEvent).where(AuditEvent.action.like("incident.%")).order_by(AuditEvent.id)
    ).all()
    assert [a.action for a in actions] == ["incident.start", "incident.update", "incident.lift"]
    assert all("after" in a.data for a in actions)
