"""Every kind of email, sent to people who read Arabic or Spanish, has no interface English left:
the subject, the text part and the HTML part. The data in them (names, codes, notices, reasons,
links, dates) is taken out first, as for the pages (tests/untranslated.py)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from pathlib import Path

import pytest

from tests.dates import days_ago
from tests.untranslated import data_of, english_in, spanish_vocabulary
from tracker.models import User, utcnow
from tracker.services import (
    delivery,
    entries,
    holds,
    incidents,
    notices,
    reassignment,
    reminders,
)

# The kinds of email (templates/email/), each sent once or more below.
TEMPLATES = {
    "setup_link",
    "hold_started",
    "hold_lifted",
    "reassignment_confirmed",
    "entry_rejected",
    "incident_started",
    "incident_updated",
    "incident_reminder",
    "incident_lifted",
    "reminder",
    "digest",
}


def _every_email(db, make, language: str) -> None:
    """One of each kind of email, every one to a reader of ``language``."""

    def speaking(person):
        db.get(User, person.id).language = language
        db.commit()
        return person

    admin = speaking(make.admin(name="Alex Admin"))
    rana = speaking(make.contractor(name="Rana Haddad", timezone="Asia/Riyadh"))
    omar = speaking(make.contractor(name="Omar Saleh"))
    orion = make.project(code="ORION", name="Orion platform")
    ledger = make.project(code="LEDGER", name="Ledger migration", seats=3)
    acme = make.project(code="ACME", name="Acme portal", client="Acme Bank")
    idle = make.project(code="IDLE", name="Idle work")
    for project, person in ((orion, rana), (orion, omar), (acme, omar), (idle, rana)):
        make.assign(project, person)
    notices.email_setup_link(db, db.get(User, admin.id), db.get(User, omar.id), "welcome", 24)
    entry = make.entry(rana, orion, work_date=days_ago(3), minutes=120)
    entries.reject(db, db.get(User, admin.id), [entry.id], "Split the day by task, please.")
    db.commit()
    holds.freeze_project(
        db, None, orion, reason="Vendor breach", notice="ORION is paused while we check."
    )
    db.commit()
    reassignment.accept(
        db, db.get(User, rana.id), from_project_id=orion.id, to_project_id=ledger.id
    )
    db.commit()
    holds.unfreeze_project(db, None, db.get(type(orion), orion.id), note="All clear.")
    started = incidents.start_incident(
        db,
        None,
        title="Acme outage",
        reason="Vendor credentials leaked",
        notice="Acme work is paused while the vendor rotates keys.",
        client="Acme Bank",
        review_by=days_ago(-1),
    )
    db.commit()
    incidents.post_update(db, None, started.incident, "Keys are rotated; checks continue.")
    db.commit()
    reminders.send_ack_reminders(db, utcnow() + dt.timedelta(days=3), 1)
    db.commit()
    reminders.send_reminders(db, reminders.previous_week(utcnow().date()), 20)
    db.commit()
    later = utcnow() + dt.timedelta(days=3)
    reminders.send_digest(db, later.date(), now=later)
    db.commit()
    incidents.lift_incident(db, None, started.incident, note="Keys rotated.")
    db.commit()


def _sent(app) -> list[email.message.EmailMessage]:
    delivery.Worker(app).run(once=True)
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in (Path(app.instance_path) / "mail").glob("*.eml")
    ]


@pytest.mark.parametrize("language", ["ar", "es"])
def test_every_email_is_in_its_readers_language(app, db, make, language):
    """Arabic: no Latin word is left but data. Spanish: every word left is one the Spanish
    catalog uses (or a month's or a day's name)."""
    _every_email(db, make, language)
    sent = _sent(app)
    data = data_of(db)
    spanish = spanish_vocabulary() if language == "es" else None
    kinds = set()
    found = {}
    for message in sent:
        kind = str(message["Subject"])
        kinds.add(kind)
        text = message.get_body(("plain",)).get_content()
        page = message.get_body(("html",)).get_content()
        for part, words in (
            ("subject", english_in(str(message["Subject"]), data)),
            ("text", english_in(text, data)),
            ("html", english_in(page, data)),
        ):
            if spanish is not None:
                words = {w for w in words if w.lower() not in spanish}
            if words:
                found.setdefault(kind, {})[part] = sorted(words)
    folder = Path(str(app.template_folder)) / "email"
    shipped = {p.name.removesuffix(".subject.txt") for p in folder.glob("*.subject.txt")}
    assert shipped == TEMPLATES  # a new kind of email is sent below too
    assert len(kinds) == len(TEMPLATES), sorted(kinds)  # one subject per kind of email
    assert not found, f"English left in the emails: {found}"
