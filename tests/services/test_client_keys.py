"""A client's name matches the same way on SQLite and PostgreSQL: trimmed and case-folded in
Python (SQLite's lower() folds ASCII only, so "ÉCOLE" and "école" would be two clients there)."""

from __future__ import annotations

from sqlalchemy import select

from tests.services.test_incidents import start
from tracker.models import Hold, Incident, Project
from tracker.services import incident_reads


def test_accented_client_names_in_any_case_are_one_client(app, db, make):
    admin = make.admin()
    upper = make.project(client="ÉCOLE NORMALE")
    lower = make.project(client="  école normale ")
    other = make.project(client="Ecole Normale")  # no accent: another client
    incident_id, frozen, _, _ = start(app, admin.id, client="École Normale")
    assert sorted(frozen) == sorted([upper.id, lower.id])
    db.expire_all()
    assert db.get(Project, other.id).status == "open"
    assert db.get(Incident, incident_id).client_key == "école normale"
    found = incident_reads.client_incident(db, "ÉCOLE NORMALE")
    assert found is not None
    assert found.id == incident_id
    assert incident_reads.client_key("ÉCOLE NORMALE") in incident_reads.excluded_clients(db, [])


def test_a_new_project_of_a_halted_accented_client_starts_frozen(app, db, make):
    admin = make.admin()
    make.project(client="Société Générale")
    incident_id, *_ = start(app, admin.id, client="SOCIÉTÉ GÉNÉRALE")
    fresh = make.project(client="société générale")
    db.expire_all()
    assert db.get(Project, fresh.id).status == "frozen"
    hold = db.scalars(select(Hold).where(Hold.project_id == fresh.id)).one()
    assert hold.incident_id == incident_id


def test_renaming_the_client_rewrites_the_key(db, make):
    project = make.project(client="Acme")
    project.client = "ÄCME"
    db.flush()
    assert db.scalar(select(Project.client_key).where(Project.id == project.id)) == "äcme"
