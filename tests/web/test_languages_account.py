"""The signed-in basics read in Arabic and Spanish: signing in and its refusals, form errors, the
account, the second factor, error pages and notifications; what people typed stays as typed,
and a browser asking for a language not shipped gets English."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import exc as sa_exc

from tests.conftest import PASSWORD
from tracker.services import notifications


def _speaking(db, make, language: str, **values):
    """A contractor whose stored language is ``language``."""
    person = make.contractor(**values)
    person.language = language
    db.commit()
    return person


def _html_tag(page: str) -> str:
    match = re.search(r"<html[^>]*>", page)
    assert match, "no <html> tag"
    return match.group(0)


def _error_of(page: str, field: str) -> str:
    """The error text shown beside a form field."""
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    assert match, f"no error beside {field}"
    return match.group(1)


def _flashes(page: str) -> str:
    match = re.search(r'<div class="flashes"[^>]*>(.*?)</div>', page, re.S)
    assert match, "no flash area"
    return match.group(1)


SIGN_IN = {
    "ar": ("تسجيل الدخول", "البريد الإلكتروني", "كلمة المرور", "نسيت كلمة المرور؟"),
    "es": ("Iniciar sesión", "Correo electrónico", "Contraseña", "¿Olvidaste tu contraseña?"),
}


@pytest.mark.parametrize("language", ["ar", "es"])
def test_the_sign_in_page_reads_in_the_browser_language(client, language):
    page = client.get("/login", headers={"Accept-Language": language}).get_data(as_text=True)
    title, email, password, forgot = SIGN_IN[language]
    assert f"<h1>{title}</h1>" in page
    assert f'<label for="email">{email}</label>' in page
    assert f'<label for="password">{password}</label>' in page
    assert forgot in page
    assert "Sign in" not in page


WRONG_PASSWORD = {
    "ar": "البريد الإلكتروني أو كلمة المرور غير صحيحة.",
    "es": "El correo o la contraseña no son correctos.",
}


@pytest.mark.parametrize("language", ["ar", "es"])
def test_a_wrong_password_is_refused_in_the_browser_language(client, make, language):
    person = make.contractor()
    response = client.post(
        "/login",
        data={"email": person.email, "password": "not the password at all"},
        headers={"Accept-Language": language},
    )
    assert response.status_code == 401
    assert WRONG_PASSWORD[language] in _flashes(response.get_data(as_text=True))


REQUIRED = {"ar": "هذا الحقل مطلوب.", "es": "Este campo es obligatorio."}
TOO_LONG = {
    "ar": "لا يمكن أن يتجاوز طول الحقل 1024 من الأحرف.",
    "es": "El campo no puede tener más de 1024 caracteres.",
}


@pytest.mark.parametrize("language", ["ar", "es"])
def test_form_checks_speak_the_language_of_the_page(client, language):
    empty = client.post(
        "/login", data={"email": "", "password": ""}, headers={"Accept-Language": language}
    )
    assert empty.status_code == 400
    page = empty.get_data(as_text=True)
    assert _error_of(page, "email") == REQUIRED[language]
    assert _error_of(page, "password") == REQUIRED[language]
    long = client.post(
        "/login",
        data={"email": "someone@example.com", "password": "x" * 1025},
        headers={"Accept-Language": language},
    )
    assert _error_of(long.get_data(as_text=True), "password") == TOO_LONG[language]


def test_the_service_refusal_beside_a_field_is_translated_with_its_number(client, auth, db, make):
    person = _speaking(db, make, "es")
    auth.login(person)
    response = client.post(
        "/account/password",
        data={"pw-current_password": PASSWORD, "pw-new_password": "short"},
    )
    assert response.status_code == 422
    assert _error_of(response.get_data(as_text=True), "pw-new_password") == (
        "Usa al menos 12 caracteres."
    )


def test_the_account_page_reads_in_arabic_with_the_data_as_typed(app, client, auth, db, make):
    person = _speaking(db, make, "ar", name="Ana Lima", email="ana.lima@example.com")
    auth.login(person)
    page = client.get("/account/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert _html_tag(page) == '<html lang="ar" dir="rtl">'
    hours = app.config["REMINDER_MIN_HOURS"]
    for text in (
        "<h1>حسابك</h1>",
        "كلمة المرور الحالية",
        "عدد الأحرف: 12 على الأقل.",
        "متعاقد",  # the role
        "تصلك دائمًا على ana.lima@example.com رسائل",
        f"أقل من {hours} ساعة في الأسبوع السابق",
        "ليست لديك رموز وصول إلى الواجهة البرمجية.",
        "إلغاء رموز وصولي إلى الواجهة البرمجية أيضًا",
    ):
        assert text in page, text
    assert "Ana Lima" in page  # the name in the header, as typed
    assert "Your account" not in page


def test_the_account_page_reads_in_spanish(client, auth, db, make):
    person = _speaking(db, make, "es", email="pat@example.com")
    auth.login(person)
    client.post("/account/tokens", data={"tk-name": "script de nómina"})
    page = client.get("/account/").get_data(as_text=True)
    assert _html_tag(page) == '<html lang="es" dir="ltr">'
    for text in (
        "<h1>Tu cuenta</h1>",
        "Contraseña actual",
        "Al menos 12 caracteres.",
        "contratista",
        "siempre se envían a pat@example.com.",
        "Último uso",
        '<td dir="auto">script de nómina</td>',
        "nunca",
        "Revocar",
    ):
        assert text in page, text


def test_flashes_of_the_account_speak_the_chosen_language(client, auth, db, make):
    person = _speaking(db, make, "es")
    auth.login(person)
    done = client.post("/account/timezone", data={"tz-timezone": "Europe/Madrid"})
    assert done.status_code == 302
    page = client.get("/account/").get_data(as_text=True)
    assert "Tu zona horaria es Europe/Madrid." in _flashes(page)


MFA = {
    "ar": ("إعداد عامل ثانٍ", "امسح رمز QR هذا، أو اكتب المفتاح أدناه.", "المفتاح:"),
    "es": (
        "Configurar un segundo factor",
        "Escanea este código QR o escribe la clave de abajo.",
        "Clave:",
    ),
}
MFA_WRONG = {
    "ar": "هذا الرمز غير مطابق؛ تحقّق من الوقت على هاتفك.",
    "es": "Ese código no coincide; revisa la hora de tu teléfono.",
}


@pytest.mark.parametrize("language", ["ar", "es"])
def test_the_second_factor_page_and_its_refusal_are_translated(client, auth, db, make, language):
    auth.login(_speaking(db, make, language))
    page = client.get("/account/mfa").get_data(as_text=True)
    heading, scan, key = MFA[language]
    assert f"<h1>{heading}</h1>" in page
    assert scan in page
    assert re.search(rf'{key} <span class="token">[A-Z2-7]+</span>', page)  # the key intact
    wrong = client.post("/account/mfa", data={"code": "000000"}).get_data(as_text=True)
    assert _error_of(wrong, "code") == MFA_WRONG[language]


NOT_FOUND = {
    "ar": ("<h1>غير موجود</h1>", "لا يوجد شيء على هذا العنوان", "الانتقال إلى صفحتك الرئيسية"),
    "es": ("<h1>No encontrado</h1>", "No hay nada en esta dirección", "Ir a tu página de inicio"),
}
NO_SUCH_TOKEN = {"ar": "لا يوجد رمز وصول كهذا.", "es": "No existe ese token."}


@pytest.mark.parametrize("language", ["ar", "es"])
def test_the_404_page_reads_in_the_language(client, auth, db, make, language):
    response = client.get("/no/such/page", headers={"Accept-Language": language})
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    for text in NOT_FOUND[language]:
        assert text in page, text
    # A refusal of a service shown on the 404 page is in the language too.
    auth.login(_speaking(db, make, language))
    refused = client.post("/account/tokens/987654/revoke")
    assert refused.status_code == 404
    assert NO_SUCH_TOKEN[language] in refused.get_data(as_text=True)


def test_a_database_outage_page_reads_in_the_users_language(client, auth, db, make, monkeypatch):
    auth.login(_speaking(db, make, "ar"))

    def busy(*_args, **_kwargs):
        raise sa_exc.TimeoutError("no pooled connection")

    monkeypatch.setattr(notifications, "list_for", busy)
    response = client.get("/notifications")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert _html_tag(page) == '<html lang="ar" dir="rtl">'
    assert "<h1>غير متاح حاليًا</h1>" in page
    assert "كل ما حُفظ قبل ذلك في أمان." in page


NOTIFICATIONS = {
    "ar": ("<h1>الإشعارات</h1>", "تعليم الكل كمقروء", "غير مقروء", "تم تعليم إشعارين كمقروءين."),
    "es": (
        "<h1>Notificaciones</h1>",
        "Marcar todas como leídas",
        "sin leer",
        "Se marcaron 2 notificaciones como leídas.",
    ),
}


@pytest.mark.parametrize("language", ["ar", "es"])
def test_the_notifications_page_reads_in_the_language(client, auth, db, make, language):
    person = _speaking(db, make, language)
    for message in ("Your 2.00 h were rejected", "ORBIT is paused."):
        notifications.notify(db, person.id, kind="entry_rejected", message=message)
    db.commit()
    auth.login(person)
    page = client.get("/notifications").get_data(as_text=True)
    heading, mark_all, unread, marked = NOTIFICATIONS[language]
    assert heading in page
    assert mark_all in page
    assert f"<strong>{unread}</strong>" in page
    assert '<p class="message" dir="auto">Your 2.00 h were rejected</p>' in page  # as written
    client.post("/notifications/read-all")
    assert marked in _flashes(client.get("/notifications").get_data(as_text=True))


def test_an_unknown_browser_language_gets_english_everywhere(client, make):
    unknown = {"Accept-Language": "xx-YY, zz;q=0.8"}
    page = client.get("/login", headers=unknown).get_data(as_text=True)
    assert _html_tag(page) == '<html lang="en" dir="ltr">'
    assert "<h1>Sign in</h1>" in page
    person = make.contractor()
    wrong = client.post(
        "/login", data={"email": person.email, "password": "nope nope nope"}, headers=unknown
    )
    assert "Email or password is not right." in wrong.get_data(as_text=True)
    empty = client.post("/login", data={"email": "", "password": ""}, headers=unknown)
    assert _error_of(empty.get_data(as_text=True), "email") == "This field is required."
    missing = client.get("/no/such/page", headers=unknown).get_data(as_text=True)
    assert "<h1>Not found</h1>" in missing


def test_a_page_that_needs_signing_in_says_so_in_the_browser_language(client):
    spanish = {"Accept-Language": "es"}
    response = client.get("/account/", headers=spanish, follow_redirects=True)
    assert "Inicia sesión para continuar." in _flashes(response.get_data(as_text=True))


def test_an_http_error_page_is_translated_too(client, auth, db, make):
    auth.login(_speaking(db, make, "ar"))
    response = client.get("/notifications/read-all")
    assert response.status_code == 405
    page = response.get_data(as_text=True)
    assert "<h1>غير مسموح هنا</h1>" in page
    assert "هذا العنوان لا يقبل هذا النوع من الطلبات." in page
    assert "Method Not Allowed" not in page


def test_too_many_sign_in_attempts_are_refused_in_the_browser_language(client, make):
    person = make.contractor()
    spanish = {"Accept-Language": "es"}
    for _attempt in range(5):
        client.post("/login", data={"email": person.email, "password": "wrong"}, headers=spanish)
    blocked = client.post(
        "/login", data={"email": person.email, "password": PASSWORD}, headers=spanish
    )
    assert blocked.status_code == 429
    assert "Demasiados intentos de inicio de sesión." in _flashes(blocked.get_data(as_text=True))


def test_a_used_setup_link_says_so_in_arabic_with_the_sign_in_link_intact(client):
    response = client.get("/setup/not-a-real-token", headers={"Accept-Language": "ar"})
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "<h1>لم يعد هذا الرابط يعمل</h1>" in page
    assert "انتهت صلاحية هذا الرابط أو سبق استخدامه." in page
    assert '<a href="/login">سجّل الدخول</a>' in page


def test_confirming_the_password_and_signing_out_everywhere_speak_arabic(client, auth, db, make):
    auth.login(_speaking(db, make, "ar"))
    with client.session_transaction() as session:
        session["auth_at"] -= 16 * 60  # the sign-in is no longer recent
    asked = client.post("/account/tokens", data={"tk-name": "x"}, follow_redirects=True)
    page = asked.get_data(as_text=True)
    assert "<h1>أكّد هويتك</h1>" in page
    assert "أكّد كلمة المرور، ثم كرّر الإجراء." in _flashes(page)
    wrong = client.post("/reauth", data={"password": "not mine at all"})
    assert _error_of(wrong.get_data(as_text=True), "password") == "هذه ليست كلمة مرورك."
    out = client.post(
        "/logout",
        data={"revoke_tokens": "1"},
        headers={"Accept-Language": "ar"},
        follow_redirects=True,
    )
    assert "تم تسجيل خروجك من كل مكان، وأُلغيت رموز وصولك إلى الواجهة البرمجية." in _flashes(
        out.get_data(as_text=True)
    )


HOMES = {
    "contractor": ("مرحبًا، Ana Lima", "مشاريعك", "لست مكلَّفًا بأي مشروع بعد."),
    "admin": ("<h1>نظرة عامة</h1>", "المشاريع المفتوحة", "لا توجد مشاريع بعد."),
    "payroll": ("<h1>الرواتب</h1>",),
}


@pytest.mark.parametrize("role", sorted(HOMES))
def test_every_role_s_home_reads_in_arabic(client, auth, db, make, role):
    person = make.user(role, name="Ana Lima")
    person.language = "ar"
    db.commit()
    auth.login(person)
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for text in HOMES[role]:
        assert text in page, text


def test_the_admin_overview_names_statuses_in_spanish_and_projects_as_typed(client, auth, db, make):
    admin = make.admin()
    admin.language = "es"
    db.commit()
    make.project(code="ORBIT", name="Órbita baja", client="ACME")
    held = make.project(code="CHORDUS", name="Core banking")
    make.hold(held)
    auth.login(admin)
    page = client.get("/").get_data(as_text=True)
    assert "<h2>Suspendido</h2>" in page
    assert '<span aria-hidden="true">●</span> Abierto</span>' in page
    assert '<span dir="auto">Órbita baja</span>' in page
    assert '<td data-label="Cliente" dir="auto">ACME</td>' in page
