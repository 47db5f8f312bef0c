"""Languages: the account's choice, else the browser's Accept-Language, else English; lang and
dir on every page; text an admin typed shown with dir=auto."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.dates import days_ago
from tracker.models import AuditEvent


def _speaking(db, make, language: str):
    """A contractor whose stored language is `language` (also one no longer shipped)."""
    person = make.contractor()
    person.language = language
    db.commit()
    return person


def _html_tag(page: str) -> str:
    match = re.search(r"<html[^>]*>", page)
    assert match, "no <html> tag"
    return match.group(0)


def test_a_new_user_follows_the_browser(client, auth, make):
    auth.login(make.contractor())
    page = client.get("/account/", headers={"Accept-Language": "ar-EG,ar;q=0.9,en;q=0.5"})
    html = page.get_data(as_text=True)
    assert _html_tag(html) == '<html lang="ar" dir="rtl">'
    assert "حسابك" in html  # "Your account"
    spanish = client.get("/account/", headers={"Accept-Language": "es-MX, en;q=0.3"})
    assert _html_tag(spanish.get_data(as_text=True)) == '<html lang="es" dir="ltr">'
    assert "Tu cuenta" in spanish.get_data(as_text=True)


def test_an_unknown_or_missing_browser_language_is_english(client, auth, make):
    auth.login(make.contractor())
    for header in ({"Accept-Language": "xx-YY, zz;q=0.8"}, {"Accept-Language": "!!;q=x"}, {}):
        response = client.get("/account/", headers=header)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert _html_tag(html) == '<html lang="en" dir="ltr">'
        assert "Your account" in html


def test_the_sign_in_page_follows_the_browser_too(client):
    page = client.get("/login", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert _html_tag(page) == '<html lang="ar" dir="rtl">'


def test_the_account_choice_beats_the_browser(client, auth, db, make):
    person = make.contractor()
    auth.login(person)
    done = client.post(
        "/account/language",
        data={"lg-language": "ar"},
        headers={"Accept-Language": "es"},
        follow_redirects=True,
    )
    assert done.status_code == 200
    assert "تم حفظ لغتك." in done.get_data(as_text=True)  # "Your language is saved."
    db.refresh(person)
    assert person.language == "ar"
    html = client.get("/account/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert _html_tag(html) == '<html lang="ar" dir="rtl">'
    nav = re.search(r'<nav aria-label="[^"]*">.*?</nav>', html, re.S)
    assert nav is not None
    for label in ("لوحة المتابعة", "تسجيل الساعات", "جدول الساعات", "الحساب", "الإشعارات"):
        assert label in nav.group(0)
    assert "تسجيل الخروج" in html  # "Sign out"
    assert '<option selected value="ar">العربية</option>' in html
    change = db.scalars(select(AuditEvent).where(AuditEvent.action == "user.update")).all()
    assert [e.data for e in change][-1]["after"] == {"language": "ar"}


def test_automatic_returns_to_the_browser_language(client, auth, db, make):
    person = _speaking(db, make, "ar")
    auth.login(person)
    client.post("/account/language", data={"lg-language": ""})
    db.refresh(person)
    assert person.language is None
    html = client.get("/account/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert _html_tag(html) == '<html lang="es" dir="ltr">'


def test_an_unknown_code_in_the_account_form_is_english_not_an_error(client, auth, db, make):
    person = _speaking(db, make, "ar")
    auth.login(person)
    response = client.post("/account/language", data={"lg-language": "klingon"})
    assert response.status_code == 302
    db.refresh(person)
    assert person.language == "en"
    html = client.get("/account/", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert _html_tag(html) == '<html lang="en" dir="ltr">'


def test_a_stored_code_no_longer_shipped_falls_back_to_the_browser(client, auth, db, make):
    person = _speaking(db, make, "tlh")
    auth.login(person)
    response = client.get("/account/", headers={"Accept-Language": "es"})
    assert response.status_code == 200
    assert _html_tag(response.get_data(as_text=True)) == '<html lang="es" dir="ltr">'


def test_the_api_stays_language_neutral(client, auth, make):
    response = client.get("/api/v1/me", headers={"Accept-Language": "ar"})
    assert response.status_code == 401
    body = response.get_json()
    assert body is not None
    assert not re.search(r"[\u0600-\u06ff]", response.get_data(as_text=True))


def test_a_notice_an_admin_typed_is_shown_as_typed_with_its_own_direction(client, auth, db, make):
    notice = "توقفوا عن العمل على CHORDUS حتى إشعار آخر."  # Arabic with a Latin project code
    person = make.contractor()
    project = make.project(code="CHORDUS", name="Core banking")
    make.assign(project, person, start_date=days_ago(10))
    make.hold(project, notice=notice)
    auth.login(person)
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert _html_tag(page) == '<html lang="en" dir="ltr">'
    assert f'<p class="notice" dir="auto">{notice}</p>' in page
