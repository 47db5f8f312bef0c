"""The message catalogues: the committed template is what the code and templates mark today,
every language translates every message with its placeholders intact, and nothing is stale."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from tracker.i18n import TRANSLATIONS_DIR
from tracker.models import DEFAULT_LANGUAGE, LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
TRANSLATED = sorted(code for code in LANGUAGES if code != DEFAULT_LANGUAGE)


def _ids(path: Path, locale: str | None = None) -> dict[str, str]:
    with path.open("rb") as f:
        catalog = read_po(f, locale=locale)
    return {str(m.id): str(m.string) for m in catalog if m.id and not m.pluralizable}


def test_the_committed_template_matches_what_the_code_marks(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    fresh = tmp_path / "messages.pot"
    keywords = ["-k", "_l", "-k", "lazy_gettext"]
    options = ["--no-location", "--sort-output", "--omit-header", "-o", str(fresh)]
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", "babel.cfg", *keywords, *options, "."]
    )
    assert sorted(_ids(fresh)) == sorted(_ids(TRANSLATIONS_DIR / "messages.pot")), (
        "run `make messages` and translate the new strings"
    )


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_is_translated_with_its_placeholders(code):
    template = _ids(TRANSLATIONS_DIR / "messages.pot")
    catalog = _ids(TRANSLATIONS_DIR / code / "LC_MESSAGES" / "messages.po", code)
    assert sorted(catalog) == sorted(template), "missing or stale entries"
    untranslated = [msgid for msgid, text in catalog.items() if not text.strip()]
    assert untranslated == []
    for msgid, text in catalog.items():
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(msgid)), msgid
