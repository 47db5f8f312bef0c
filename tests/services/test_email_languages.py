"""Emails in each recipient's language: the worker renders the subject and both parts in the
language the recipient has when it sends, with dates in their timezone; the notice an admin
typed is never translated, and the outbox keeps the English subject for the admins' pages."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from pathlib import Path

from babel.dates import format_date
from sqlalchemy import select

from tests.receivers import smtp_server
from tracker.models import OutboxMessage, User, utcnow
from tracker.services import delivery, holds, incidents, mail, reminders

NOTICE = "ORION pausa el trabajo — توقف مؤقت. Logged hours are safe."
AR_SUBJECT = "العمل في مشاريعك متوقف مؤقتًا: تسجيل الساعات موقوف"
EN_SUBJECT = "Work on your projects is paused: time entry is stopped"


def _speaking(db, make, language: str | None, **values):
    person = make.contractor(**values)
    person.language = language
    db.commit()
    return person


def _sent(app) -> dict[str, email.message.EmailMessage]:
    """Run the worker once; every email it wrote, by recipient."""
    delivery.Worker(app).run(once=True)
    folder = Path(app.instance_path) / "mail"
    found = [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in folder.glob("*.eml")
    ]
    return {m["To"].addresses[0].addr_spec: m for m in found}


def _body(message, kind: str = "plain") -> str:
    return message.get_body((kind,)).get_content()


def _team(db, make):
    project = make.project(code="ORION", name="Orion platform")
    rana = _speaking(db, make, "ar", name="رنا", timezone="Asia/Riyadh")
    ben = _speaking(db, make, None, name="Ben")
    for person in (rana, ben):
        make.assign(project, person)
    return project, rana, ben


def test_one_incident_emails_each_contractor_in_their_own_language(app, db, make):
    project, rana, ben = _team(db, make)
    incidents.start_incident(
        db, None, title="Vendor", reason="Internal", notice=NOTICE, project_ids=[project.id]
    )
    db.commit()

    sent = _sent(app)
    arabic, english = sent[rana.email], sent[ben.email]
    assert arabic["Subject"] == AR_SUBJECT
    assert english["Subject"] == EN_SUBJECT
    text = _body(arabic)
    assert "مرحبًا رنا،" in text  # "Hello Rana," with her name as typed
    assert "تنويه المسؤولين:" in text  # "The notice from your admins:"
    assert NOTICE in text  # the admin's words, never translated
    assert "+03" in text  # the start in her timezone
    # As the pages write it: the month in words, a 24-hour clock ("7 ديسمبر 2026، 13:05").
    assert re.search(r"\d{1,2} [\u0600-\u06FF]+ \d{4}، \d{2}:\d{2} \+03", text), text
    assert "Work on your projects" not in text
    html = _body(arabic, "html")
    assert '<html lang="ar" dir="rtl">' in html
    assert 'dir="auto"' in html
    assert "The notice from your admins:" in _body(english)
    assert '<html lang="en" dir="ltr">' in _body(english, "html")
    # The outbox keeps the English subject for the admins' outbox pages.
    rows = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "email")).all()
    assert {r.subject for r in rows} == {EN_SUBJECT}


def test_a_hold_email_over_smtp_is_in_arabic_for_an_arabic_reader(app, db, make):
    project, rana, ben = _team(db, make)
    holds.freeze_project(db, None, project, reason="Internal", notice=NOTICE)
    db.commit()
    with smtp_server() as server:
        app.config["SMTP_URL"] = f"smtp://127.0.0.1:{server.port}"
        mail.init_app(app)
        delivery.Worker(app).run(once=True)
    got = {r.rcpt_tos[0]: r.message for r in server.received}
    assert got[rana.email]["Subject"] == "ORION مجمّد: تسجيل الساعات متوقف مؤقتًا"
    assert got[ben.email]["Subject"] == "ORION is on hold: time entry is paused"
    arabic = _body(got[rana.email])
    assert "المشروع ORION — Orion platform مجمّد منذ" in arabic
    assert NOTICE in arabic


def test_a_language_chosen_before_the_send_is_the_one_the_email_is_in(app, db, make):
    project, rana, _ben = _team(db, make)
    incidents.start_incident(
        db, None, title="Vendor", reason="Internal", notice=NOTICE, project_ids=[project.id]
    )
    db.commit()
    db.get(User, rana.id).language = "es"  # she switches before the worker runs
    db.commit()

    spanish = _sent(app)[rana.email]
    assert spanish["Subject"] == (
        "El trabajo en tus proyectos está en pausa: el registro de horas está detenido"
    )
    assert "El aviso de tus administradores:" in _body(spanish)
    # The start as Spanish writes a date, in her timezone: "… desde 7 dic 2026, 12:05 +03."
    assert re.search(r"en pausa desde \d{1,2} \w+\.? \d{4}, \d{1,2}:\d{2} \+03\.", _body(spanish))
    assert '<html lang="es" dir="ltr">' in _body(spanish, "html")


def test_the_weekly_reminder_in_spanish_writes_its_dates_and_hours_as_spanish_does(app, db, make):
    person = _speaking(db, make, "es")
    make.assign(make.project(), person)
    monday = reminders.previous_week(utcnow().date())
    reminders.send_reminders(db, monday, 20)
    db.commit()

    message = _sent(app)[person.email]
    label = f"{monday.isocalendar()[0]}-W{monday.isocalendar()[1]:02d}"
    assert message["Subject"] == f"¿Faltan horas en la semana {label}?"
    start = format_date(monday, "medium", locale="es")
    end = format_date(monday + dt.timedelta(days=6), "medium", locale="es")
    assert f"La semana pasada, {label} ({start} a {end}), registraste menos de 20 horas" in (
        _body(message)
    )
    assert f"week={label}" in _body(message)  # the link keeps its ISO week
