"""Time entry, the timesheet, approvals and offers in Arabic and Spanish: the page's words and
each refusal beside its field are translated, while codes, names and typed text stay as they are."""

from __future__ import annotations

import html
import re

import pytest

from tests.dates import monday, yesterday


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.get_data(as_text=True)))


def field_error(response, field_id: str) -> str:
    match = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', text(response))
    assert match is not None, f"no error beside {field_id}"
    return match.group(1)


@pytest.fixture
def casey(make):
    contractor = make.contractor(name="Casey Ruiz")
    project = make.project(code="CHORDUS", name="Core banking")
    make.assign(project, contractor)
    return contractor, project


def _speaks(db, person, language: str):
    person.language = language
    db.merge(person)
    db.commit()
    return person


def test_the_entries_page_in_arabic_keeps_codes_and_typed_text(client, auth, db, make, casey):
    contractor, project = casey
    make.entry(
        contractor, project, work_date=yesterday(), minutes=90, description="Fixed the ledger"
    )
    auth.login(_speaks(db, contractor, "ar"))
    page = text(client.get("/entries"))
    assert '<html lang="ar" dir="rtl">' in page
    assert "قيودك" in page  # "Your entries"
    assert "مُرسَل" in page  # "Submitted", the entry's status
    assert "تصفية القيود" in page  # "Filter entries"
    assert "CHORDUS" in page
    assert "Fixed the ledger" in page
    assert "Your entries" not in page


def test_the_entries_page_in_spanish_from_the_browser(client, auth, make, casey):
    contractor, project = casey
    make.entry(contractor, project, work_date=yesterday(), minutes=90)
    auth.login(contractor)
    page = text(client.get("/entries", headers={"Accept-Language": "es-MX,es;q=0.9"}))
    assert "Tus registros" in page
    assert "Enviado" in page
    assert "Registrar horas" in page
    assert "CHORDUS" in page


def test_a_held_project_is_refused_beside_its_field_in_arabic(client, auth, db, make, casey):
    contractor, project = casey
    hold = make.hold(project)
    auth.login(_speaks(db, contractor, "ar"))
    response = client.post(
        "/entries/new",
        data={"project_id": project.id, "work_date": yesterday().isoformat(), "hours": "2"},
    )
    assert response.status_code == 409
    error = field_error(response, "project_id")
    assert error.startswith("CHORDUS مجمّد منذ")  # "CHORDUS is on hold since"
    assert "حتى يُرفع التجميد" in error  # "until it is lifted"
    assert f"/incidents/{hold.incident_id}" in error
    assert "on hold" not in error


def test_a_held_project_is_refused_in_spanish_with_its_backfill_rule(client, auth, make, casey):
    contractor, project = casey
    make.hold(project, allow_backfill=True)
    auth.login(contractor)
    response = client.post(
        "/entries/new",
        data={"project_id": project.id, "work_date": "2099-01-01", "hours": "2"},
        headers={"Accept-Language": "es"},
    )
    assert response.status_code == 409
    error = field_error(response, "project_id")
    assert error.startswith("CHORDUS está suspendido desde")
    assert "solo los días anteriores al" in error


def test_the_daily_limit_is_refused_beside_the_hours_in_spanish(client, auth, make, casey):
    contractor, project = casey
    make.entry(contractor, project, work_date=yesterday(), minutes=1200)
    auth.login(contractor)
    response = client.post(
        "/entries/new",
        data={"project_id": project.id, "work_date": yesterday().isoformat(), "hours": "5"},
        headers={"Accept-Language": "es"},
    )
    assert response.status_code == 422
    error = field_error(response, "hours")
    assert error.startswith("Eso superaría las 24 horas el")
    assert "ya hay 20.00 h registradas ese día" in error
    assert "caben como máximo 4.00 h" in error
    assert 'value="5"' in response.get_data(as_text=True)  # what was typed stays


def test_the_daily_limit_in_arabic(client, auth, db, make, casey):
    contractor, project = casey
    make.entry(contractor, project, work_date=yesterday(), minutes=1200)
    auth.login(_speaks(db, contractor, "ar"))
    response = client.post(
        "/entries/new",
        data={"project_id": project.id, "work_date": yesterday().isoformat(), "hours": "5"},
    )
    assert response.status_code == 422
    error = field_error(response, "hours")
    assert "سيتجاوز هذا 24 ساعة" in error
    assert "20.00" in error
    assert "4.00" in error


@pytest.mark.parametrize(
    ("language", "words"),
    [("ar", "أدخل الساعات بصيغة"), ("es", "Escribe las horas como")],
)
def test_bad_hours_are_refused_beside_the_field_with_the_forms_that_work(
    client, auth, make, casey, language, words
):
    contractor, project = casey
    auth.login(contractor)
    response = client.post(
        "/entries/new",
        data={"project_id": project.id, "work_date": yesterday().isoformat(), "hours": "lots"},
        headers={"Accept-Language": language},
    )
    assert response.status_code == 422
    error = field_error(response, "hours")
    assert words in error
    assert "7:30" in error
    assert "450m" in error


def test_the_log_form_labels_are_translated(client, auth, make, casey):
    contractor, _project = casey
    auth.login(contractor)
    page = text(client.get("/entries/new", headers={"Accept-Language": "ar"}))
    assert "تاريخ العمل" in page  # "Work date"
    assert "ما الذي عملت عليه" in page  # "What you worked on"
    assert "CHORDUS — Core banking" in page


def test_the_timesheet_in_arabic_and_spanish(client, auth, db, make, casey):
    contractor, project = casey
    make.entry(contractor, project, work_date=monday(contractor), minutes=60)
    held = make.project(code="HELD", name="Held work")
    make.assign(held, contractor)
    make.hold(held)
    auth.login(contractor)
    spanish = text(client.get("/timesheet", headers={"Accept-Language": "es"}))
    assert "Guardar semana" in spanish
    assert "HELD está suspendido desde" in spanish
    assert "CHORDUS" in spanish
    _speaks(db, contractor, "ar")
    arabic = text(client.get("/timesheet"))
    assert "حفظ الأسبوع" in arabic  # "Save week"
    assert "HELD مجمّد منذ" in arabic
    assert "المجموع" in arabic  # "Total"


def test_a_refused_cell_of_the_timesheet_says_why_in_spanish(client, auth, make, casey):
    contractor, project = casey
    auth.login(contractor)
    name = f"c-{project.id}-{monday(contractor).isoformat()}"
    response = client.post("/timesheet", data={name: "lots"}, headers={"Accept-Language": "es"})
    assert response.status_code == 422
    page = text(response)
    assert "No se guardó nada: 1 celda necesita un cambio (ver abajo)." in page
    assert "Escribe las horas como" in field_error(response, name)


def test_the_approvals_page_for_an_admin_in_spanish_and_arabic(client, auth, db, make, casey):
    contractor, project = casey
    make.entry(contractor, project, work_date=yesterday(), description="Night shift")
    admin = make.admin()
    auth.login(admin)
    spanish = text(client.get("/admin/approvals", headers={"Accept-Language": "es"}))
    assert "Aprobar seleccionados" in spanish
    assert "Rechazar seleccionados" in spanish
    assert "Casey Ruiz" in spanish
    assert "Night shift" in spanish
    _speaks(db, admin, "ar")
    arabic = text(client.get("/admin/approvals"))
    assert "اعتماد المحدد" in arabic  # "Approve selected"
    assert "Casey Ruiz" in arabic
    entry_id = re.search(r'name="entry_ids" value="(\d+)"', arabic).group(1)
    done = client.post(
        "/admin/approvals", data={"entry_ids": entry_id, "action": "approve"}, follow_redirects=True
    )
    assert "تم اعتماد قيد واحد." in text(done)  # "Approved 1 entry."


def test_the_offers_page_in_arabic_and_spanish(client, auth, db, make, casey):
    contractor, project = casey
    make.hold(project)
    make.project(code="LEDGER", name="Ledger migration", client="Acme Bank", seats=2)
    auth.login(contractor)
    spanish = text(client.get("/offers", headers={"Accept-Language": "es"}))
    assert "Proyectos a los que puedes moverte" in spanish
    assert "2 plazas libres" in spanish
    assert "Unirte a LEDGER…" in spanish
    assert "Ledger migration" in spanish
    assert "Acme Bank" in spanish
    _speaks(db, contractor, "ar")
    arabic = text(client.get("/offers"))
    assert "مشاريع يمكنك الانتقال إليها" in arabic  # "Projects you can move to"
    assert "مقعدان شاغران" in arabic  # "2 free seats", in the dual
    assert "الانضمام إلى LEDGER…" in arabic
    assert "Ledger migration" in arabic


@pytest.fixture
def held_world(make):
    """A contractor on a held project with an offer open to them, and an admin."""
    contractor = make.contractor(name="Casey Ruiz")
    held = make.project(code="CHORDUS", name="Core banking")
    offer = make.project(code="LEDGER", name="Ledger migration", seats=2)
    make.assign(held, contractor)
    make.entry(contractor, held, work_date=yesterday(), minutes=90)
    hold = make.hold(held, notice="The client is investigating.", allow_backfill=True)
    return {
        "contractor": contractor,
        "admin": make.admin(),
        "held": held,
        "offer": offer,
        "hold": hold,
    }


@pytest.mark.parametrize(("language", "direction"), [("ar", "rtl"), ("es", "ltr")])
def test_every_time_page_renders_in_the_language(client, auth, held_world, language, direction):
    held, offer = held_world["held"], held_world["offer"]
    pages = {
        "contractor": [
            "/",
            "/entries",
            "/entries/new",
            "/timesheet",
            "/offers",
            f"/offers/{held.id}/{offer.id}",
        ],
        "admin": [
            "/admin/approvals",
            "/admin/entries/new",
            "/admin/holds",
            f"/admin/projects/{held.id}",
            f"/admin/holds/projects/{held.id}/unfreeze",
        ],
    }
    for role, paths in pages.items():
        auth.login(held_world[role])
        for path in paths:
            response = client.get(path, headers={"Accept-Language": language})
            assert response.status_code == 200, path
            page = text(response)
            assert f'<html lang="{language}" dir="{direction}">' in page, path
            assert "is on hold since" not in page, path
            assert "CHORDUS" in page, path
        auth.logout()


def test_freezing_a_project_in_arabic_counts_people_in_arabic_plurals(client, auth, db, make):
    project = make.project(code="CHORDUS", name="Core banking")
    for _n in range(2):
        make.assign(project, make.contractor())
    admin = _speaks(db, make.admin(), "ar")
    auth.login(admin)
    form = {"notice": "توقف العمل بسبب حادثة.", "reason": "Breach", "incident_ref": "INC-9"}
    review = client.post(f"/admin/holds/projects/{project.id}/freeze", data=form)
    assert review.status_code == 200
    page = text(review)
    assert "سيتأثر متعاقدان." in page  # "2 contractors will be affected", in the dual
    assert '<p class="notice" dir="auto">توقف العمل بسبب حادثة.</p>' in page
    done = client.post(
        f"/admin/holds/projects/{project.id}/freeze",
        data={**form, "action": "confirm"},
        follow_redirects=True,
    )
    shown = text(done)
    assert "CHORDUS مجمّد منذ" in shown
    assert "أُبلغ متعاقدان." in shown  # "2 contractors were notified."
    assert "رفع التجميد" in shown  # "Lift the hold"
