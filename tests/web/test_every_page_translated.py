"""Every page of every role, rendered in Arabic and in Spanish, has no interface English left.

The pages are the app's url_map (a route added later is read too), with the scenario of
tests/web/every_page.py. What people typed or the app stores as data (names, emails, codes,
clients, notices, reasons, token names, URLs, zone names, currency codes, ISO dates, numbers) is
taken out first; what is left must be the page's language. The Spanish check counts a word as
English when the English page has it and no Spanish translation in the catalog uses it.
"""

from __future__ import annotations

import html as html_lib
import re
import zoneinfo
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.dates import days_ago
from tests.web.every_page import ROLES, build_world, pages, visible_text
from tracker.i18n import TRANSLATIONS_DIR
from tracker.services import incidents, webhooks
from tracker.services.payroll_profiles import PROFILES
from tracker.models import (
    ApiToken,
    Hold,
    Incident,
    IncidentUpdate,
    OutboxMessage,
    Project,
    TimeEntry,
    User,
    WebhookEndpoint,
)

# Words that stay as they are in every language, each for a reason.
ALLOWED = {
    "English": "the language picker names each language in itself",
    "CSV": "a file format's name",
    "XLSX": "a file format's name",
    "JSON": "a format's name (the API and the signed webhooks send it)",
    "UTF": "UTF-8, an encoding's name",
    "SHA": "SHA-256, the fingerprint's algorithm",
    "ISO": "ISO dates and currency codes: a standard's name",
    "URL": "kept by the translations, as Arabic and Spanish products write it",
    "TOTP": "the authenticator standard people look for in their app",
    "QR": "QR code, as people call it in every language",
    "Excel": "a product's name",
    "QuickBooks": "a product's name (QuickBooks Online)",
    "Online": "a product's name (QuickBooks Online)",
    "Xero": "a product's name",
    "Slack": "a product's name",
    "Standard": "a specification's name (Standard Webhooks)",
    "Webhooks": "a specification's name (Standard Webhooks)",
    "h": "the hours people type are read with English units (7h30)",
    "m": "the hours people type are read with English units (450m)",
    "python": "example skills: tags people type, compared as typed",
    "security": "example skills: tags people type, compared as typed",
    "sql": "example skills: tags people type, compared as typed",
    "INC": "an example incident reference, typed as the admins' tracker writes it",
}
# Attributes whose text people read (or hear).
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
DATA_COLUMNS = (
    User.name,
    User.email,
    Project.code,
    Project.name,
    Project.client,
    Incident.title,
    Incident.reason,
    Incident.notice,
    Incident.client,
    Incident.incident_ref,
    IncidentUpdate.message,
    Hold.reason,
    Hold.notice,
    TimeEntry.description,
    TimeEntry.rejection_reason,
    ApiToken.name,
    ApiToken.prefix,
    OutboxMessage.subject,
    OutboxMessage.recipient,
    WebhookEndpoint.url,
)
PATTERNS = (
    re.compile(r"https?://\S+"),
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    re.compile(r"\b\d{4}-W\d{2}\b"),  # ISO weeks
    re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?"),
    re.compile(r"\b[\w-]+\.(?:csv|xlsx|json|eml|txt)\b"),
    re.compile(r"\b(?:[A-Z][A-Za-z_]+/)+[A-Za-z_+\-0-9]+"),  # zone names: Europe/Madrid
    re.compile(r"\b(?:EUR|USD|GBP|UTC|GMT|tracker)\b"),
    re.compile(r"\b[0-9a-f]{16,}\b"),  # hashes
    re.compile(r"\b[a-z]+(?:_[a-z]+)*\.[a-z_]+\b"),  # audit action codes: project.freeze
)
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
LATIN = re.compile(r"[A-Za-z']+")


def read_text(page: str) -> str:
    """The visible text plus the attributes people read and the buttons' values; keys, codes
    and hashes (in <code>, or a second factor's key) are data."""
    page = re.sub(r"<code\b.*?</code>", " ", page, flags=re.S)
    page = re.sub(r'<span class="token">[^<]*</span>', " ", page)
    said = [m.group(2) for m in re.finditer(rf'\b({"|".join(READ_ATTRIBUTES)})="([^"]*)"', page)]
    said += re.findall(r'<input\b[^>]*\btype="(?:submit|button)"[^>]*\bvalue="([^"]*)"', page)
    return html_lib.unescape(visible_text(page) + " " + " ".join(said))


def data_of(db: Session) -> list[str]:
    """Every stored value people typed or the app keeps as data, longest first."""
    found: set[str] = set(zoneinfo.available_timezones()) | set(PROFILES)
    for column in DATA_COLUMNS:
        found.update(v for v in db.scalars(select(column).distinct()) if v)
    return sorted(found, key=len, reverse=True)


def without_data(text: str, data: Iterable[str]) -> str:
    """The text with the data taken out: whole values (the zone "GB" leaves "GBP" be), even
    right after an Arabic prefix ("بـAna Lima")."""
    values = "|".join(re.escape(value) for value in data)
    if values:
        text = re.sub(rf"(?<![A-Za-z0-9])(?:{values})(?![A-Za-z0-9])", " ", text)
    for pattern in PATTERNS:
        text = pattern.sub(" ", text)
    return text


def latin_words(text: str) -> set[str]:
    return {w for w in WORD.findall(text) if LATIN.fullmatch(w) and w not in ALLOWED}


def spanish_vocabulary() -> set[str]:
    path = Path(TRANSLATIONS_DIR) / "es" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    words: set[str] = set()
    for message in catalog:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            words.update(w.lower() for w in WORD.findall(re.sub(r"%\(\w+\)\w", " ", text or "")))
    return words


def test_the_reader_finds_attributes_and_leaves_data_out():
    page = '<p title="Edit">Hola <b>Ana</b></p><input type="submit" value="Save"><script>x</script>'
    assert latin_words(without_data(read_text(page), ["Ana"])) == {"Edit", "Save", "Hola"}
    assert latin_words(without_data("ver https://x.test/a 2026-01-02 Europe/Madrid EUR", [])) == {
        "ver"
    }


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


def english_in(page: str, data: list[str]) -> set[str]:
    """The Latin words of a page once its data is out (the allow-list aside)."""
    return latin_words(without_data(read_text(page), data))


def _english_left(client, db, paths: list[str], language: str) -> dict[str, list[str]]:
    data = data_of(db)
    spanish = spanish_vocabulary() if language == "es" else set()
    found = {}
    for path in paths:
        response = client.get(path, headers={"Accept-Language": language})
        assert response.status_code < 500, path
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        words = english_in(response.get_data(as_text=True), data)
        if language == "es":
            english = client.get(path, headers={"Accept-Language": "en"})
            in_english = english_in(english.get_data(as_text=True), data)
            words = {w for w in words & in_english if w.lower() not in spanish}
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
