"""Interface English left on a page or in an email: the reader shared by the tests that render
everything in Arabic and Spanish.

What people typed or the app stores as data (names, emails, codes, clients, notices, reasons,
token names, URLs, zone names, currency codes, ISO dates, numbers, hashes) is taken out first;
the Latin words that are left, but for a short allow-list with a reason each, are English.
"""

from __future__ import annotations

import html as html_lib
import re
import zoneinfo
from collections.abc import Iterable
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms.i18n import messages_path

from tests.web.every_page import visible_text
from tracker.i18n import TRANSLATIONS_DIR
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
from tracker.services.payroll_profiles import PROFILES

# Words and names that stay as they are in every language, each for a reason.
ALLOWED = {
    "English": "the language picker names each language in itself",
    "CSV": "a file format's name",
    "XLSX": "a file format's name",
    "JSON": "a format's name (the API and the signed webhooks send it)",
    "UTF-8": "an encoding's name",
    "SHA-256": "the fingerprint's algorithm",
    "ISO": "ISO dates and currency codes: a standard's name",
    "URL": "kept by the translations, as Arabic and Spanish products write it",
    "TOTP": "the authenticator standard people look for in their app",
    "QR": "QR code, as people call it in every language",
    "Excel": "a product's name",
    "QuickBooks Online": "a product's name",
    "Xero": "a product's name",
    "Slack": "a product's name",
    "Standard Webhooks": "a specification's name",
    "python, security, sql": "example skills: tags people type, compared as typed",
    "python, security": "example skills: tags people type, compared as typed",
    "INC-2041": "an example incident reference, as the admins' own tracker writes it",
}
# Attributes whose text people read (or hear); data-copied is what a Copy button says after.
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "data-copied")
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
    Incident.note,
    IncidentUpdate.message,
    Hold.reason,
    Hold.notice,
    Hold.note,
    TimeEntry.description,
    TimeEntry.rejection_reason,
    ApiToken.name,
    ApiToken.prefix,
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
    re.compile(r"\b\d+h(?:\d+m?)?(?![A-Za-z])|\b\d+m\b"),  # hours as people type them: 7h30, 450m
    re.compile(r"\b(?:DD|MM|YYYY)(?:[./-](?:DD|MM|YYYY))+\b"),  # a file's date layout
    re.compile(r"\b[a-z]+(?:_[a-z]+)*\.[a-z_]+\b"),  # audit action codes: project.freeze
)
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
LATIN = re.compile(r"[A-Za-z']+")


def read_text(page: str) -> str:
    """The visible text plus the attributes people read and the buttons' values; keys, codes
    and hashes (in <code>, a second factor's key, a new API token) are data."""
    page = re.sub(r"<code\b.*?</code>", " ", page, flags=re.S)
    page = re.sub(r'<(span|p) class="token">[^<]*</\1>', " ", page)
    said = [m.group(2) for m in re.finditer(rf'\b({"|".join(READ_ATTRIBUTES)})="([^"]*)"', page)]
    said += re.findall(r'<input\b[^>]*\btype="(?:submit|button)"[^>]*\bvalue="([^"]*)"', page)
    return html_lib.unescape(visible_text(page) + " " + " ".join(said))


def data_of(db: Session, *more: object) -> list[str]:
    """Every stored value people typed or the app keeps as data, longest first; ``more``
    columns too (the outbox's subjects, which the admins' pages show in English)."""
    found: set[str] = set(zoneinfo.available_timezones()) | set(PROFILES)
    for column in (*DATA_COLUMNS, *more):
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
    """The Latin-script words of the text, the allow-list aside."""
    text = without_data(text, sorted(ALLOWED, key=len, reverse=True))
    return {w for w in WORD.findall(text) if LATIN.fullmatch(w)}


def spanish_vocabulary() -> set[str]:
    """Every word of the Spanish translations (the app's and WTForms'), and the names of
    months and days (dates are written by Babel), lower-cased."""
    spanish = Locale("es")
    names = [spanish.months, spanish.days]
    words: set[str] = {
        w.lower()
        for table in names
        for context in table.values()
        for width in context.values()
        for name in width.values()
        for w in WORD.findall(name)
    }
    catalogs = (
        Path(TRANSLATIONS_DIR) / "es" / "LC_MESSAGES" / "messages.po",
        Path(messages_path()) / "es" / "LC_MESSAGES" / "wtforms.po",  # the forms' own refusals
    )
    for path in catalogs:
        with path.open("rb") as handle:
            catalog = read_po(handle)
        for message in catalog:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for text in strings:
                plain = re.sub(r"%\(\w+\)\w", " ", text or "")
                words.update(w.lower() for w in WORD.findall(plain))
    return words


def english_in(page: str, data: list[str]) -> set[str]:
    """The Latin words of a page once its data is out (the allow-list aside)."""
    return latin_words(without_data(read_text(page), data))
