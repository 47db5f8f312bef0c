"""Every GET page of every role, with a scenario worth showing: the set-up shared by the tests
that read all pages (their wording, their language)."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.routing import Rule

from tests.dates import days_ago, today
from tests.factories import Factory
from tracker.models import TimeEntry, User
from tracker.services import entries, payroll_batches, reassignment, tokens

ROLES = ("contractor", "payroll", "admin")
# Downloads are files for other programs (their number format is the chosen profile's).
SKIPPED = {"static", "payroll.download", "payroll.batch_file", "auth.logout"}


def visible_text(html: str) -> str:
    """What a reader sees: the page without scripts, styles and tags."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    html = re.sub(r"</t[dh]>", " | ", html)  # cells side by side are not one phrase
    html = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html.replace("&nbsp;", " ").replace("&#39;", "'"))


def build_world(db: Session, make: Factory) -> dict[str, Any]:
    """A held project, a rich one (amounts over a thousand), entries in every state, a batch,
    a client, an offer to move and an API token."""
    admin = make.admin(name="Alex Admin")
    payroll = make.payroll(name="Pat Payroll")
    person = make.contractor(name="Ana Lima", hourly_rate="1250.00")
    held = make.project(code="CHORDUS", name="Core banking", seats=3, client="Northwind Bank")
    rich = make.project(code="GOLD", name="Gold audit", hourly_rate="1250.00", seats=4)
    spare = make.project(code="SPARE", name="Spare capacity", seats=5)
    make.assign(held, person)
    on_rich = make.assign(rich, person)
    for days in (20, 19, 18, 3, 2):
        make.entry(person, rich, work_date=days_ago(days), minutes=450)
    make.entry(person, held, work_date=days_ago(4), minutes=90)
    old = db.query(TimeEntry).filter(TimeEntry.work_date <= days_ago(18)).all()
    entries.approve(db, db.get(User, admin.id), [e.id for e in old])
    db.commit()
    payroll_batches.create_batch(db, db.get(User, admin.id), days_ago(21), days_ago(19))
    db.commit()
    recent = db.query(TimeEntry).filter(TimeEntry.work_date == days_ago(3)).one()
    entries.reject(db, db.get(User, admin.id), [recent.id], "Please split this day by task.")
    db.commit()
    hold = make.hold(held)
    reassignment.accept(
        db, db.get(User, person.id), from_project_id=held.id, to_project_id=spare.id
    )
    db.commit()
    tokens.create_token(db, None, db.get(User, person.id), "Laptop sync")
    db.commit()
    entry = db.query(TimeEntry).filter(TimeEntry.work_date == days_ago(2)).one()
    return {
        "admin": admin,
        "payroll": payroll,
        "contractor": person,
        "project_id": held.id,
        "user_id": person.id,
        "assignment_id": on_rich.id,
        "entry_id": entry.id,
        "from_project_id": held.id,
        "to_project_id": rich.id,
        "assignment_project_id": rich.id,
        "today": today(),
        "incident_id": hold.incident_id,
        "kind": "users",
    }


def pages(app: Flask, role: str, world: dict[str, Any]) -> list[str]:
    """The paths of every HTML page the role may GET, with real ids in them."""
    paths = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.rule.startswith("/api/") or rule.endpoint in SKIPPED:
            continue
        if "GET" not in (rule.methods or ()):
            continue
        allowed = getattr(app.view_functions[rule.endpoint], "allowed_roles", "public")
        if allowed == "public" or role not in allowed:
            continue
        paths.append(_path(rule, world))
    return paths


def _path(rule: Rule, world: dict[str, Any]) -> str:
    built = rule.build({name: world[name] for name in rule.arguments}, append_unknown=False)
    assert built is not None, rule.rule
    return built[1]
