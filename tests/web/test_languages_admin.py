"""The admin pages in Arabic and Spanish: projects, users, the audit log, imports and the outbox
read in the admin's language, while what people typed (names, codes, emails, reasons) shows as
it was typed. The CLI and the JSON API answer an import in English whoever runs it."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from tests.dates import days_ago
from tracker.models import Assignment, AuditEvent, OutboxMessage, User
from tracker.services import holds

ARABIC = {"Accept-Language": "ar"}
SPANISH = {"Accept-Language": "es-MX, en;q=0.3"}


@pytest.fixture
def admin(auth, make):
    user = make.admin(name="Alex Admin")
    auth.login(user)
    return user


def _html(response, status: int = 200) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def _speaks(db, user, language: str) -> None:
    person = db.get(User, user.id)
    person.language = language
    db.commit()


def test_the_project_list_reads_in_arabic_and_spanish_with_names_as_typed(client, admin, make):
    make.project(code="CHORDUS", name="منصة كوردس", client="Acme")
    arabic = _html(client.get("/admin/projects/", headers=ARABIC))
    assert '<html lang="ar" dir="rtl">' in arabic
    for words in ("المشاريع", "مشروع جديد", "الاستيراد من CSV", "المقاعد المشغولة", "(بلا حد)"):
        assert words in arabic
    assert "CHORDUS" in arabic
    assert '<td dir="auto">منصة كوردس</td>' in arabic
    assert '<td dir="auto">Acme</td>' in arabic
    assert "Seats taken" not in arabic
    spanish = _html(client.get("/admin/projects/", headers=SPANISH))
    for words in ("Proyectos", "Nuevo proyecto", "Importar desde CSV", "Plazas ocupadas"):
        assert words in spanish
    assert "منصة كوردس" in spanish


def test_the_project_page_reads_in_arabic_with_its_people_and_dates_intact(client, admin, make):
    project = make.project(code="CHORDUS", name="Chordus platform", seats=4)
    make.assign(project, make.contractor(name="Ana Lima"), start_date=days_ago(10))
    make.contractor(name="Bruno Díaz")
    page = _html(client.get(f"/admin/projects/{project.id}", headers=ARABIC))
    for words in ("التكليفات", "تكليف متعاقد", "تصحيح التواريخ", "تعديل التفاصيل", "نشط"):
        assert words in page
    assert "3 شاغرة من أصل 4" in page  # "3 free of 4"
    assert "Ana Lima" in page
    assert "Bruno Díaz" in page
    assert f'<time datetime="{days_ago(10).isoformat()}">' in page
    assert "Assign a contractor" not in page
    spanish = _html(client.get(f"/admin/projects/{project.id}", headers=SPANISH))
    assert "Asignar un contratista" in spanish
    assert "3 libres de 4" in spanish


def test_the_project_form_shows_its_refusal_beside_the_field_in_the_admin_language(
    client, admin, db, make
):
    make.project(code="TAKEN")
    _speaks(db, admin, "ar")
    new = {"code": "taken", "name": "Again", "hourly_rate": "40.00", "currency": "EUR"}
    page = _html(client.post("/admin/projects/new", data=new, headers=SPANISH))
    assert '<html lang="ar" dir="rtl">' in page  # the stored choice beats the browser
    assert "مشروع جديد" in page  # "New project"
    assert "سعر الساعة" in page  # the "Hourly rate" label
    assert "يوجد مشروع بهذا الرمز بالفعل." in page  # "A project with this code already exists."
    assert 'value="40.00"' in page  # what was typed comes back as typed
    _speaks(db, admin, "es")
    spanish = _html(client.post("/admin/projects/new", data=new))
    assert "Ya existe un proyecto con este código." in spanish
    assert "Corto y en mayúsculas, p. ej., CHORDUS" in spanish


def test_closing_a_project_is_explained_with_a_counted_plural(client, admin, make):
    project = make.project(code="WINDUP", name="Wind-up")
    for name in ("Ana Lima", "Bo Chen", "Cy Diaz"):
        make.assign(project, make.contractor(name=name))
    page = _html(client.get(f"/admin/projects/{project.id}/close", headers=ARABIC), 200)
    assert "3 متعاقدين عليه الآن (Ana Lima, Bo Chen, Cy Diaz)" in page
    assert "إغلاق WINDUP نهائيًا" in page
    spanish = _html(client.get(f"/admin/projects/{project.id}/close", headers=SPANISH))
    assert "3 contratistas están en él ahora (Ana Lima, Bo Chen, Cy Diaz)" in spanish


def test_the_users_page_reads_in_arabic_and_spanish(client, admin, make):
    make.contractor(name="Ana Lima", email="ana@example.com")
    arabic = _html(client.get("/admin/users/", headers=ARABIC))
    for words in ("المستخدمون", "مستخدم جديد", "آخر تسجيل دخول", "المتعاقدون", "متعاقد"):
        assert words in arabic
    assert "Ana Lima" in arabic
    assert "ana@example.com" in arabic
    assert "Last sign-in" not in arabic
    spanish = _html(client.get("/admin/users/", headers=SPANISH))
    for words in ("Usuarios", "Nuevo usuario", "Último inicio de sesión", "Contratistas"):
        assert words in spanish


def test_a_user_action_is_confirmed_in_the_admin_language(client, admin, db, make):
    person = make.contractor(name="Ana Lima")
    _speaks(db, admin, "ar")
    done = client.post(f"/admin/users/{person.id}/disable", follow_redirects=True)
    page = _html(done)
    assert "أصبح حساب Ana Lima معطَّلًا." in page  # "Ana Lima is now disabled."
    assert "حفظ" in page  # the form's "Save"


def test_the_audit_log_describes_events_in_arabic_and_keeps_typed_values(client, admin, db, make):
    project = make.project(code="CHORDUS")
    db.add(
        AuditEvent(
            actor_id=admin.id,
            action="project.freeze",
            target_type="project",
            target_id=project.id,
            data={"reason": "صيانة الخادم", "before": {"seats": 3}, "after": {"seats": 5}},
        )
    )
    db.add(AuditEvent(actor_id=None, action="project.freeze", origin="cli:ops-alice"))
    db.commit()
    page = _html(client.get("/admin/audit/", headers=ARABIC))
    for words in ("سجل التدقيق", "المنفّذ", "أي شخص", "تصفية", "التغييرات"):
        assert words in page
    assert "المشروع CHORDUS" in page  # "project CHORDUS"
    # Right to left, the arrow from the old value to the new one points left.
    assert '<span class="field">المقاعد</span>: 3 <span aria-label="تغيّر إلى">←</span> 5' in page
    assert '<span class="field">السبب</span>: صيانة الخادم</li>' in page
    assert 'ops-alice <span class="muted">(سطر الأوامر)</span>' in page
    assert "<code>project.freeze</code>" in page  # action codes stay as they are
    spanish = _html(client.get("/admin/audit/", headers=SPANISH))
    assert "Registro de auditoría" in spanish
    assert "proyecto CHORDUS" in spanish
    assert '<span class="field">motivo</span>' in spanish


def _upload(client, kind, data, headers, name="people.csv"):
    return client.post(
        f"/admin/imports/{kind}",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        headers=headers,
    )


def test_an_import_with_a_bad_row_lists_its_problem_in_arabic_and_spanish(client, admin):
    bad = b"email,name,role\nada@example.com,Ada,chief\n"
    page = _html(_upload(client, "users", bad, ARABIC))
    assert "استيراد الأشخاص" in page  # "Import people"
    assert "لا يمكن استيراد أي شيء بعد" in page  # "Nothing can be imported yet"
    assert "في الملف خطأ واحد؛ ولم يُكتب أي شيء." in page  # one error, in words
    assert re.search(r'<td class="num">2</td><td><code>role</code></td>', page)
    assert "اختر contractor, admin أو payroll." in page  # the row's problem
    assert "Choose contractor" not in page
    spanish = _html(_upload(client, "users", bad, SPANISH))
    assert "Todavía no se puede importar nada" in spanish
    assert "El archivo tiene 1 error; no se escribió nada." in spanish
    assert "Elige contractor, admin o payroll." in spanish


def test_an_import_preview_and_its_result_read_in_spanish(client, admin, db):
    _speaks(db, admin, "es")
    people = (
        b"email,name,role\r\nada@example.com,Ada,contractor\r\nbo@example.com,Bo,contractor\r\n"
    )
    page = _html(_upload(client, "users", people, {}))
    assert "Vista previa" in page
    assert "Importar 2 cambios ahora" in page
    content = re.search(r'name="content" type="hidden" value="([^"]+)"', page)
    assert content is not None
    done = client.post(
        "/admin/imports/users/confirm",
        data={"content": content.group(1), "filename": "people.csv"},
        follow_redirects=True,
    )
    assert "Se importó people.csv: 2 creados, 0 actualizados, 0 sin cambios." in _html(done)


def test_a_binary_upload_is_refused_in_arabic(client, admin):
    page = _html(_upload(client, "users", b"\x89PNG\r\n\x1a\n\x00\x00", ARABIC, "photo.png"))
    assert "يحتوي هذا الملف على بيانات ثنائية؛ ارفع ملفًا نصيًا بصيغة CSV." in page


def test_the_outbox_reads_in_arabic_and_spanish_with_subjects_and_errors_as_sent(
    client, admin, db, make
):
    project = make.project(code="CHORDUS")
    make.assign(project, make.contractor())
    holds.freeze_project(db, None, project, reason="internal", notice="Paused for now.")
    db.commit()
    row = db.scalars(select(OutboxMessage)).first()
    row.status, row.attempts, row.last_error = "dead", 8, "550 5.1.1 mailbox unavailable"
    db.commit()
    page = _html(client.get("/admin/outbox", headers=ARABIC))
    for words in ("صندوق الصادر", "نقاط نهاية خطافات الويب", "فاشلة (1)", "إعادة المحاولة"):
        assert words in page
    assert "550 5.1.1 mailbox unavailable" in page
    assert row.recipient in page
    spanish = _html(client.get("/admin/outbox", headers=SPANISH))
    assert "Bandeja de salida" in spanish
    assert "Fallidas (1)" in spanish
    assert "Reintentar" in spanish


def test_a_refused_webhook_url_is_explained_in_the_admin_language(client, admin, db):
    _speaks(db, admin, "ar")
    page = _html(
        client.post(
            "/admin/webhooks", data={"url": "ftp://hooks.example.com/x", "events": ["hold.started"]}
        ),
        422,
    )
    assert "لا تستقبل خطافات الويب إلا عناوين URL من نوع http:// وhttps://." in page
    assert "إضافة نقطة نهاية" in page  # "Add an endpoint"
    assert "<code>hold.started</code>" in page  # event names stay as machines know them


def test_the_cli_import_report_is_english_for_an_arabic_admin(runner, db, make, tmp_path):
    _speaks(db, make.admin(), "ar")
    path = tmp_path / "people.csv"
    path.write_text("email,name,role\nada@example.com,Ada,chief\n")
    result = runner.invoke(args=["import", "users", str(path)])
    assert result.exit_code == 1
    assert "line 2, column role: Choose contractor, admin or payroll." in result.output
    assert not re.search(r"[\u0600-\u06ff]", result.output)


def test_the_api_import_answer_is_english_for_an_arabic_admin(client, db, make):
    admin = make.admin()
    _speaks(db, admin, "ar")
    response = client.post(
        "/api/v1/imports/users",
        data="email,name,role\nada@example.com,Ada,chief\n",
        content_type="text/csv",
        headers={"Authorization": f"Bearer {make.token(admin)}", **ARABIC},
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["errors"] == [
        {"line": 2, "column": "role", "message": "Choose contractor, admin or payroll."}
    ]
    assert not re.search(r"[\u0600-\u06ff]", str(body))


def test_the_api_refuses_a_project_in_english_for_an_arabic_admin(client, db, make):
    admin = make.admin()
    _speaks(db, admin, "ar")
    make.project(code="TAKEN")
    headers = {"Authorization": f"Bearer {make.token(admin)}", **ARABIC}
    new = {"code": "taken", "name": "Again", "hourly_rate": "40.00"}
    response = client.post("/api/v1/projects", json=new, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "code": ["A project with this code already exists."]
    }
    missing = client.get("/api/v1/projects/999999", headers=headers)
    assert missing.status_code == 404
    assert missing.get_json()["error"]["message"] == "No such project."


def test_assigning_is_confirmed_and_bad_dates_refused_in_the_admin_language(
    client, admin, db, make
):
    project, person = make.project(code="CHORDUS"), make.contractor(name="Ana Lima")
    _speaks(db, admin, "es")
    done = client.post(
        f"/admin/projects/{project.id}/assign",
        data={"user_id": str(person.id), "start_date": days_ago(20).isoformat()},
        follow_redirects=True,
    )
    assert "Ana Lima ahora está en CHORDUS." in _html(done)
    assignment = db.scalar(select(Assignment).where(Assignment.user_id == person.id))
    _speaks(db, admin, "ar")
    url = f"/admin/projects/assignments/{assignment.id}/dates"
    bad = {"start_date": days_ago(5).isoformat(), "end_date": days_ago(10).isoformat()}
    page = _html(client.post(url, data=bad), 422)
    assert "تواريخ Ana Lima على CHORDUS" in page  # "Dates of Ana Lima on CHORDUS"
    assert "تاريخ الانتهاء يسبق تاريخ البدء." in page  # "The end date is before the start date."
    assert f'value="{days_ago(5).isoformat()}"' in page  # the typed date comes back as typed
