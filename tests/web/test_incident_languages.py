"""Incidents, notifications and payroll in Arabic and Spanish: every word of the page in the
reader's language, while what people typed (notices, titles, names, codes) shows as is, with
dir=auto, and the JSON API keeps answering in English."""

from __future__ import annotations

import re

from babel.dates import format_date, format_skeleton

from tests.dates import days_ago
from tracker.models import Incident, User
from tracker.services import entries, holds, incidents

NOTICE = "Le client réévalue le périmètre — ساعاتكم محفوظة."
TITLE = "Acme suspends the vendor"
AR = {"Accept-Language": "ar"}
ES = {"Accept-Language": "es-MX, en;q=0.3"}


def _main(page: str) -> str:
    return page.split('<main id="main"', 1)[1]


def _speaking(db, make, language: str | None, **values):
    person = make.contractor(**values)
    person.language = language
    db.commit()
    return person


def _incident(db, make, *people, backfill=False):
    """An incident on ACME1 and ACME2 with an update, everyone on both projects."""
    admin = make.admin()
    made = [make.project(code=f"ACME{n}", name=f"Acme {n}", client="Acme") for n in (1, 2)]
    for person in people:
        for project in made:
            make.assign(project, person)
    started = incidents.start_incident(
        db,
        admin,
        title=TITLE,
        reason="Secret contract dispute",
        notice=NOTICE,
        client="Acme",
        allow_backfill=backfill,
    )
    incidents.post_update(db, admin, started.incident, "Mise à jour: still paused.")
    db.commit()
    return admin, started.incident


def test_the_notifications_page_reads_in_each_readers_language(client, auth, db, make, api):
    rana = _speaking(db, make, "ar")
    ben = _speaking(db, make, None)
    _admin, incident = _incident(db, make, rana, ben, backfill=True)

    auth.login(rana)
    arabic = _main(client.get("/notifications").get_data(as_text=True))
    assert "العمل في مشاريعك متوقف مؤقتًا: تسجيل الساعات موقوف." in arabic
    assert "لا يزال بإمكانك تسجيل ساعات الأيام السابقة للتوقف." in arabic  # backfill
    assert "تحديث بشأن توقف العمل في مشاريعك:" in arabic  # the update
    assert f'<p class="notice" dir="auto">{NOTICE}</p>' in arabic  # as typed
    assert '<p class="notice" dir="auto">Mise à jour: still paused.</p>' in arabic
    assert "Work on your projects is paused" not in arabic

    auth.logout()
    auth.login(ben)
    page = _main(client.get("/notifications").get_data(as_text=True))  # the same rows
    assert "Work on your projects is paused: time entry is stopped." in page
    assert f'<p class="notice" dir="auto">{NOTICE}</p>' in page

    # The JSON API answers in English, even for a reader of Arabic.
    listed = api(rana).get("/notifications").get_json()
    messages = [n["message"] for n in listed["notifications"]]
    assert any(m.startswith("Work on your projects is paused") and NOTICE in m for m in messages)

    # Lifting tells them in their language too, with the admin's note as typed.
    incidents.lift_incident(db, None, db.get(Incident, incident.id), note="Merci — شكرًا")
    db.commit()
    auth.logout()
    auth.login(rana)
    arabic = _main(client.get("/notifications").get_data(as_text=True))
    assert "انتهى توقف العمل: يمكنك تسجيل الساعات في مشاريعك من جديد." in arabic
    assert '<p class="notice" dir="auto">Merci — شكرًا</p>' in arabic


def test_a_hold_notification_follows_a_change_of_language(client, auth, db, make):
    person = _speaking(db, make, "es")
    project = make.project(code="ORBIT", name="Orbit")
    make.assign(project, person)
    holds.freeze_project(db, make.admin(), project, reason="r", notice="Orbit is paused.")
    db.commit()
    auth.login(person)
    spanish = _main(client.get("/notifications").get_data(as_text=True))
    assert "ORBIT — Orbit está suspendido: el registro de horas está en pausa." in spanish
    person.language = "ar"
    db.commit()
    arabic = _main(client.get("/notifications").get_data(as_text=True))
    assert "المشروع ORBIT — Orbit مجمّد: تسجيل الساعات متوقف مؤقتًا." in arabic
    assert '<p class="notice" dir="auto">Orbit is paused.</p>' in arabic


def test_the_contractors_incident_pages_in_arabic_and_spanish(client, auth, db, make):
    person = make.contractor()
    _admin, incident = _incident(db, make, person, backfill=True)
    auth.login(person)

    arabic = _main(client.get(f"/incidents/{incident.id}", headers=AR).get_data(as_text=True))
    assert "العمل في مشاريعك متوقف مؤقتًا" in arabic  # the heading
    assert "مشاريعك المشمولة بالتجميد" in arabic  # "Your projects it holds"
    assert "لا يزال بإمكانك تسجيل ساعات الأيام السابقة للتوقف." in arabic
    assert f'<p class="notice" dir="auto">{NOTICE}</p>' in arabic
    assert "<strong>ACME1</strong>" in arabic
    assert "ACME2" in arabic
    assert "قرأت هذا" in arabic  # "I have read this"
    assert TITLE not in arabic
    assert "Secret contract dispute" not in arabic

    spanish = _main(client.get(f"/incidents/{incident.id}", headers=ES).get_data(as_text=True))
    assert "El trabajo en tus proyectos está en pausa" in spanish
    assert "Tus proyectos suspendidos" in spanish
    assert "Lo he leído" in spanish
    assert f'<p class="notice" dir="auto">{NOTICE}</p>' in spanish

    done = client.post(f"/incidents/{incident.id}/acknowledge", headers=ES, follow_redirects=True)
    assert "Gracias: tus administradores pueden ver" in done.get_data(as_text=True)

    listing = _main(client.get("/incidents", headers=AR).get_data(as_text=True))
    assert "حالات توقف العمل في مشاريعك" in listing
    assert "قيد السريان" in listing  # "in force"


def test_the_admin_incident_pages_in_arabic_and_spanish(client, auth, db, make):
    people = [make.contractor(), make.contractor()]
    admin, incident = _incident(db, make, *people)
    auth.login(admin)

    home = _main(client.get("/", headers=AR).get_data(as_text=True))
    assert "حادثة واحدة سارية:" in home  # "1 in force:", with the title as typed
    assert f'<a href="/admin/incidents/{incident.id}" dir="auto">#{incident.id} {TITLE}</a>' in home

    index = _main(client.get("/admin/incidents", headers=AR).get_data(as_text=True))
    assert "بدء حادثة…" in index  # "Start an incident…"
    assert "النطاق" in index
    assert "المتأثرون" in index
    assert f"#{incident.id} {TITLE}" in index  # the title as typed

    detail = _main(client.get(f"/admin/incidents/{incident.id}", headers=AR).get_data(as_text=True))
    assert f'الحادثة {incident.id}: <bdi dir="auto">{TITLE}</bdi>' in detail
    assert 'كل مشاريع العميل <strong dir="auto">Acme</strong>' in detail
    assert "من قرأ آخر تنويه" in detail  # "Who has read the latest notice"
    assert '<p class="message" dir="auto">Mise à jour: still paused.</p>' in detail
    assert f'<p class="notice" dir="auto">{NOTICE}</p>' in detail

    spanish = _main(
        client.get(f"/admin/incidents/{incident.id}", headers=ES).get_data(as_text=True)
    )
    assert f'Incidente {incident.id}: <bdi dir="auto">{TITLE}</bdi>' in spanish
    assert "Publicar la novedad" in spanish
    assert "Cambiar la fecha de revisión" in spanish

    report = _main(
        client.get(f"/admin/incidents/{incident.id}/report", headers=ES).get_data(as_text=True)
    )
    assert "Por contratista afectado" in report
    assert "Mediana de horas hasta la reasignación" in report
    csv = client.get(f"/admin/incidents/{incident.id}/report.csv", headers=ES)
    assert csv.get_data(as_text=True).splitlines()[0].isascii()  # the file stays English

    posted = client.post(
        f"/admin/incidents/{incident.id}/updates",
        data={"message": "Second update"},
        headers=ES,
        follow_redirects=True,
    )
    assert "Se publicó la novedad; se avisa a todos los afectados." in posted.get_data(as_text=True)


def test_starting_an_incident_in_arabic_counts_people_and_projects_in_arabic(
    client, auth, db, make
):
    admin = make.admin()
    people = [make.contractor() for _ in range(3)]
    made = [make.project(code=f"ZED{n}", name=f"Zed {n}", client="Zed") for n in range(2)]
    for person in people:
        make.assign(made[0], person)
    auth.login(admin)
    form = {
        "scope": "client",
        "client": "Zed",
        "title": "زد يعلّق",
        "reason": "r",
        "notice": "Paused.",
    }
    new = _main(client.get("/admin/incidents/new", headers=AR).get_data(as_text=True))
    assert "ما الذي يوقفه" in new
    assert "تنويه للمتعاقدين" in new

    review = client.post("/admin/incidents/new", data={**form, "action": "preview"}, headers=AR)
    text = _main(review.get_data(as_text=True))
    assert "سيتوقف العمل في مشروعين و3 متعاقدين." in text  # two projects, three people
    assert 'تأكيد: <bdi dir="auto">زد يعلّق</bdi>' in text

    spanish = client.post("/admin/incidents/new", data={**form, "action": "preview"}, headers=ES)
    assert "Se detendrá el trabajo de 2 proyectos y 3 contratistas." in spanish.get_data(
        as_text=True
    )

    refused = client.post(
        "/admin/incidents/new", data={**form, "client": "Nobody", "action": "preview"}, headers=ES
    )
    assert refused.status_code == 422
    assert "Ningún proyecto abierto tiene el cliente «Nobody»" in refused.get_data(as_text=True)

    done = client.post(
        "/admin/incidents/new",
        data={**form, "action": "confirm"},
        headers=ES,
        follow_redirects=True,
    )
    flashed = done.get_data(as_text=True)
    assert "2 proyectos suspendidos." in flashed
    assert "Se avisó a 3 contratistas." in flashed


def test_the_payroll_page_in_spanish(client, auth, db, make):
    admin = make.admin()
    ada = make.contractor(name="Ada Lovelace")
    project = make.project(code="EURO", hourly_rate="30.00")
    day = days_ago(3)
    make.entry(ada, project, work_date=day, minutes=90, status="approved", approved_by_id=admin.id)
    auth.login(make.payroll())
    period = {"preset": "custom", "start": day.isoformat(), "end": day.isoformat()}
    page = _main(client.get("/payroll", query_string=period, headers=ES).get_data(as_text=True))
    assert "Exportación de nómina" in page
    assert "Archivo compatible con Excel" in page  # a form label
    assert "Fechas personalizadas" in page  # a choice of the period
    assert ">Genérico</option>" in page  # the profile's name, from its label
    shown = format_skeleton("yMMMd", day, locale="es")  # "4 dic 2026", not ISO
    assert f"Vista previa: {shown} a {shown}" in page
    assert "Crear un lote de exportación (1 registro aún sin exportar)…" in page
    assert '<bdi dir="auto">Ada Lovelace</bdi>' in page
    assert re.search(r'value="' + day.isoformat() + '"', page)  # dates in inputs stay ASCII

    wrong = {**period, "start": days_ago(1).isoformat()}
    refused = client.get("/payroll", query_string=wrong, headers=ES).get_data(as_text=True)
    assert "La fecha de fin es anterior a la fecha de inicio." in refused

    home = _main(client.get("/", headers=ES).get_data(as_text=True))
    assert "Siguiente paso: el mes pasado" in home
    assert "Últimos lotes" in home

    batches = _main(client.get("/payroll/batches", headers=ES).get_data(as_text=True))
    assert "Lotes de exportación" in batches
    assert "Aún no hay lotes." in batches


def test_rejected_time_is_told_in_the_readers_language_with_the_reason_as_typed(
    client, auth, db, make
):
    admin = make.admin()
    person = _speaking(db, make, "ar")
    project = make.project(code="CHORDUS")
    make.assign(project, person)
    day = days_ago(3)
    entry = make.entry(person, project, work_date=day, minutes=90)
    entries.reject(db, db.get(User, admin.id), [entry.id], "Wrong project — مشروع خاطئ")
    db.commit()
    auth.login(person)
    page = _main(client.get("/notifications").get_data(as_text=True))
    shown = format_date(day, "medium", locale="ar")  # the date as Arabic writes it
    assert f"رُفضت ساعاتك (1.50 س) على CHORDUS بتاريخ {shown}:" in page
    assert '<p class="notice" dir="auto">Wrong project — مشروع خاطئ</p>' in page
