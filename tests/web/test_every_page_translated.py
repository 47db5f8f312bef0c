"""Every page of every role, rendered in Arabic and in Spanish, has no interface English left;
nor have the messages of the common actions, the answers to every form posted with nonsense,
the pages of every filter choice, the error pages and the sign-in steps.

The pages are the app's url_map (a route added later is read too), with the scenario of
tests/web/every_page.py. The data is taken out first (tests/untranslated.py); what is left must be
the page's language: in Arabic no Latin word is left, in Spanish every word is one the Spanish
translations use. A failure names the page and the words.
"""

from __future__ import annotations

import html as html_lib
import re
import time
from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.dates import days_ago
from tests.untranslated import (
    data_of,
    english_in,
    latin_words,
    read_text,
    spanish_vocabulary,
    without_data,
)
from tests.web.every_page import ROLES, build_world, pages
from tracker.models import OutboxMessage, User
from tracker.services import incidents, mfa, users, webhooks


def test_the_reader_finds_attributes_and_leaves_data_out():
    page = '<p title="Edit">Hola <b>Ana</b></p><input type="submit" value="Save"><script>x</script>'
    assert latin_words(without_data(read_text(page), ["Ana"])) == {"Edit", "Save", "Hola"}
    assert latin_words(without_data("ver https://x.test/a 2026-01-02 Europe/Madrid EUR", [])) == {
        "ver"
    }
    # Allowed are names, whole: "Standard Webhooks", not "Standard" on its own.
    assert latin_words("وفق Standard Webhooks، Standard") == {"Standard"}
    assert latin_words("7h30 أو 450m، <code>") == {"code"}
    assert latin_words(read_text("<p>رنا <code>batch_id</code> 3a9f00c1d2e3f4a5b6c7</p>")) == set()


@pytest.fixture
def world(app, db, make) -> dict[str, Any]:
    """The every-page scenario, plus a client-wide incident with an update, its emails in the
    outbox, and a webhook endpoint (pages that are empty without them)."""
    world = build_world(db, make)
    acme = make.project(code="ACME", name="Acme portal", client="Acme Bank")
    make.assign(acme, make.contractor(name="Rana Haddad"))
    started = incidents.start_incident(
        db,
        None,
        title="Acme vendor outage",
        reason="Vendor credentials leaked",
        notice="Acme work is paused while the vendor rotates keys.",
        client="Acme Bank",
    )
    db.commit()
    incidents.post_update(db, None, started.incident, "Keys are rotated; checks continue.")
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    webhooks.register(db, None, url="http://127.0.0.1:9/hooks", events=["hold.started"])
    db.commit()
    return {**world, "incident_id": started.incident.id}


def _english_left(
    client, db, paths: list[str], language: str, wanted: int | None = 200
) -> dict[str, list[str]]:
    """The English words left on each page; ``wanted``: the status a page must have to be read
    (None: any, as for pages refused)."""
    # The outbox pages show each email's subject in English on purpose (one record for admins).
    data = data_of(db, OutboxMessage.subject)
    spanish = spanish_vocabulary() if language == "es" else set()
    found = {}
    for path in paths:
        response = client.get(path, headers={"Accept-Language": language})
        assert response.status_code < 500, path
        if wanted is not None and response.status_code != wanted:
            continue
        if response.mimetype != "text/html":
            continue
        words = english_in(response.get_data(as_text=True), data)
        if language == "es":
            words = {w for w in words if w.lower() not in spanish}
        if words:
            found[path] = sorted(words)
    return found


@pytest.mark.parametrize("language", ["ar", "es"])
@pytest.mark.parametrize("role", ROLES)
def test_no_page_keeps_interface_english(app, client, auth, db, world, role, language):
    auth.login(world[role])
    paths = pages(app, role, world)
    assert paths, role
    left = _english_left(client, db, paths, language)
    assert not left, f"English left in {language}: {left}"


@pytest.mark.parametrize("language", ["ar", "es"])
def test_the_pages_before_signing_in_are_translated(client, db, world, language):
    paths = ["/login", "/setup"]
    left = _english_left(client, db, paths, language)
    assert not left, f"English left in {language}: {left}"


def _said(response) -> list[str]:
    """The flash messages and the errors beside fields of a page."""
    page = html_lib.unescape(response.get_data(as_text=True))
    return re.findall(r'<p class="(?:flash [\w-]+|error)"[^>]*>(.*?)</p>', page, flags=re.S)


def test_what_the_common_actions_say_is_in_arabic(client, auth, db, make, world):
    """Logging time refused, approving, freezing, joining an offer and a wrong password."""
    ledger = make.project(code="LEDGER", name="Ledger migration", seats=2)
    person, admin = world["contractor"], world["admin"]
    for someone in (person, admin):
        db.merge(someone).language = "ar"
    db.commit()
    said = {}

    auth.login(person)
    refused = client.post(
        "/entries/new",
        data={"project_id": world["project_id"], "work_date": days_ago(1), "hours": "2"},
    )
    said["log time on a held project"] = (refused, "CHORDUS مجمّد منذ")
    bad_hours = client.post(
        "/entries/new",
        data={"project_id": world["assignment_project_id"], "work_date": days_ago(1), "hours": "x"},
    )
    said["log time with hours that do not read"] = (bad_hours, "")
    offer = {"from_project_id": world["project_id"], "to_project_id": ledger.id}
    joined = client.post("/offers/join", data=offer, follow_redirects=True)
    said["join an offer"] = (joined, "LEDGER")
    again = client.post("/offers/join", data=offer, follow_redirects=True)
    said["join it again"] = (again, "")
    wrong = client.post(
        "/account/password",
        data={"pw-current_password": "not-my-password", "pw-new_password": "a-new-long-password-1"},
    )
    said["change password with a wrong one"] = (wrong, "")
    auth.logout()

    auth.login(admin)
    approved = client.post(
        "/admin/approvals",
        data={"entry_ids": world["entry_id"], "action": "approve"},
        follow_redirects=True,
    )
    said["approve"] = (approved, "تم اعتماد قيد واحد.")  # "Approved 1 entry."
    freeze = {"notice": "توقف العمل مؤقتًا.", "reason": "Vendor breach", "action": "confirm"}
    frozen = client.post(
        f"/admin/holds/projects/{ledger.id}/freeze", data=freeze, follow_redirects=True
    )
    said["freeze"] = (frozen, "LEDGER مجمّد منذ")
    again = client.post(
        "/admin/approvals",
        data={"entry_ids": world["entry_id"], "action": "reject"},
        follow_redirects=True,
    )
    said["reject without a reason"] = (again, "")

    data = data_of(db)
    found = {}
    for action, (response, expected) in said.items():
        messages = _said(response)
        assert messages, action
        assert expected in " ".join(messages), (action, messages)
        words = english_in(" ".join(messages), data)
        if words:
            found[action] = (sorted(words), messages)
    assert not found, f"English left in what the actions say: {found}"


@pytest.mark.parametrize("language", ["ar", "es"])
def test_the_error_pages_are_translated(client, auth, db, world, language):
    assert _english_left(client, db, ["/no-such-page"], language, wanted=404) == {}
    auth.login(world["contractor"])
    assert (
        _english_left(client, db, ["/admin/users/", "/no-such-page"], language, wanted=None) == {}
    )


def test_setting_a_password_and_a_second_factor_read_in_arabic(client, auth, db, make, world):
    """The set-up link, the second factor's enrolment and recovery codes, and its sign-in step."""
    arabic = {"Accept-Language": "ar"}
    person = world["contractor"]
    token = users.create_setup_link(db, None, db.get(User, person.id), "reset")
    db.commit()
    data = data_of(db)
    read = {
        "set-up link": client.get(f"/setup/{token}", headers=arabic, follow_redirects=True),
        "a link that does not work": client.get("/setup/no-such-link", headers=arabic),
    }
    auth.login(person)
    enrol = client.get("/account/mfa", headers=arabic).get_data(as_text=True)
    secret = re.search(r'<span class="token">([A-Z2-7]+)</span>', enrol).group(1)
    code = mfa.code_at(secret, time.time() - mfa.STEP)
    read["recovery codes"] = client.post("/account/mfa", data={"code": code}, headers=arabic)
    auth.logout()
    client.post("/login", data={"email": person.email, "password": PASSWORD}, headers=arabic)
    read["second factor step"] = client.get("/login/code", headers=arabic)
    read["a wrong code"] = client.post("/login/code", data={"code": "000000"}, headers=arabic)
    found = {}
    for what, response in read.items():
        assert response.status_code in (200, 404, 422), (what, response.status_code)
        words = english_in(response.get_data(as_text=True), data)
        if words:
            found[what] = sorted(words)
    assert not found, f"English left: {found}"


FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
NONSENSE = "zz-9"  # what every field of every form gets: a value no field reads


def _forms(page: str) -> list[tuple[str | None, list[dict[str, str]]]]:
    """The page's POST forms: each one's action, and its fields filled with nonsense (hidden
    ones kept), once per named button (approve, reject…)."""
    found = []
    for attributes, body in FORM.findall(page):
        if 'method="post"' not in attributes.lower():
            continue
        action = re.search(r'action="([^"]*)"', attributes)
        fields = {}
        for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", body):
            name = re.search(r'name="([^"]+)"', tag)
            if name is None:
                continue
            value = re.search(r'value="([^"]*)"', tag)
            hidden = 'type="hidden"' in tag
            fields[name.group(1)] = (
                html_lib.unescape(value.group(1)) if hidden and value else NONSENSE
            )
        buttons = re.findall(r'<button\b[^>]*name="([^"]+)"[^>]*value="([^"]*)"', body)
        variants = [{**fields, name: value} for name, value in buttons] or [fields]
        found.append((html_lib.unescape(action.group(1)) if action else None, variants))
    return found


@pytest.mark.parametrize("language", ["ar", "es"])
@pytest.mark.parametrize("role", ROLES)
def test_every_form_posted_with_nonsense_answers_in_the_language(
    app, client, auth, db, world, role, language
):
    """Each form of each page, every field filled with a value that does not read: what comes
    back (refusals beside the fields, flash messages, the page) has no English left (in
    Spanish: no word the Spanish catalog does not use). The language form is left alone
    (choosing a language is what it does)."""
    person = db.merge(world[role])
    person.language = language
    db.commit()
    data = [*data_of(db, OutboxMessage.subject), NONSENSE]
    spanish = spanish_vocabulary() if language == "es" else None
    found = {}
    for path in pages(app, role, world):
        auth.login(world[role])  # a form may sign out, revoke or disable
        response = client.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        for action, variants in _forms(response.get_data(as_text=True)):
            if action is not None and action.endswith(("/logout", "/account/language")):
                continue
            for form in variants:
                answer = client.post(action or path, data=form, follow_redirects=True)
                assert answer.status_code < 500, (path, action, form)
                if answer.mimetype != "text/html":
                    continue
                words = english_in(answer.get_data(as_text=True), data)
                if spanish is not None:
                    words = {w for w in words if w.lower() not in spanish}
                if words:
                    found[f"{path} → {action or path} {form.get('action', '')}"] = sorted(words)
    assert not found, f"English left after posting forms: {found}"


SELECT = re.compile(r'<select\b[^>]*\bname="([^"]+)"[^>]*>(.*?)</select>', re.S)


@pytest.mark.parametrize("role", ROLES)
def test_every_filter_choice_shows_a_page_in_arabic(app, client, auth, db, world, role):
    """Each choice of each select of the pages' GET forms (periods, layouts, profiles, kinds):
    the page it shows has no English left."""
    person = db.merge(world[role])
    person.language = "ar"
    db.commit()
    auth.login(world[role])
    data = data_of(db, OutboxMessage.subject)
    found = {}
    for path in pages(app, role, world):
        response = client.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        for attributes, body in FORM.findall(response.get_data(as_text=True)):
            if 'method="get"' not in attributes.lower():
                continue
            action = re.search(r'action="([^"]*)"', attributes)
            target = html_lib.unescape(action.group(1)) if action else path
            for name, options in SELECT.findall(body):
                for value in re.findall(r'<option\b[^>]*\bvalue="([^"]*)"', options):
                    value = html_lib.unescape(value)
                    shown = client.get(target, query_string={name: value})
                    if shown.status_code != 200 or shown.mimetype != "text/html":
                        continue
                    words = english_in(shown.get_data(as_text=True), data)
                    if words:
                        found[f"{target}?{name}={value}"] = sorted(words)
    assert not found, f"English left after choosing a filter: {found}"


def test_the_audit_log_names_statuses_roles_and_objects_in_arabic(client, auth, db, world):
    admin = db.merge(world["admin"])
    admin.language = "ar"
    db.commit()
    auth.login(world["admin"])
    page = html_lib.unescape(client.get("/admin/audit/").get_data(as_text=True))
    assert "مُرسَل <span" in page  # the rejected entry's status before: "submitted"
    assert "مرفوض" in page  # "rejected"
    assert "سبب الرفض" in page  # "rejection reason"
    assert "رُفض قيد<br><code>entry.reject</code>" in page  # the action in words, then its code
    assert "Please split this day by task." in page  # the reason as typed
    assert "الدور</span>: متعاقد" in page  # "role: contractor"
    assert '<option value="time_entrie">قيد وقت</option>' in page  # filter by "time entry"
    filtered = client.get("/admin/audit/", query_string={"target_type": "project"})
    assert '<option value="project" selected>المشروع</option>' in filtered.get_data(as_text=True)
