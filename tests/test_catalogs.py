"""The message catalogues: the committed template is what the code and templates mark today,
every language translates every message with its placeholders intact, and nothing is stale;
plural messages have every form the language's plural rule asks for."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.plurals import get_plural
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


def _catalog(code: str):
    with (TRANSLATIONS_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=code)


def _written_plural_forms(code: str) -> str:
    """The Plural-Forms header as the file writes it (Babel would fill in a missing one)."""
    text = (TRANSLATIONS_DIR / code / "LC_MESSAGES" / "messages.po").read_text("utf-8")
    header = text.split("\n\n", 1)[0]
    joined = "".join(re.findall(r'^"(.*)"$', header, flags=re.MULTILINE))
    found = re.search(r"Plural-Forms: (.*?)\\n", joined)
    assert found, f"{code}: no Plural-Forms header"
    return found.group(1)


def _single_number_forms(catalog) -> set[int]:
    """The forms that stand for one number only (Arabic zero, one and two; Spanish one)."""
    form_of = gettext.c2py(catalog.plural_expr)
    numbers: dict[int, set[int]] = {}
    # Every case of both rules shows up among these: units, tens, hundreds, round millions.
    for n in [*range(1001), *range(2000, 3_000_001, 1000)]:
        numbers.setdefault(form_of(n), set()).add(n)
    return {form for form, ns in numbers.items() if len(ns) == 1}


@pytest.mark.parametrize("code", TRANSLATED)
def test_plural_forms_are_the_languages_own_and_every_form_is_filled(code):
    catalog = _catalog(code)
    # The rule CLDR gives the language (through Babel): Arabic has six forms (zero, one, two,
    # few, many, other), Spanish three (one, many for round millions, other).
    nplurals, rule = get_plural(code)
    assert _written_plural_forms(code) == f"nplurals={nplurals}; plural={rule};"
    if code == "ar":
        assert nplurals == 6
    with (TRANSLATIONS_DIR / "messages.pot").open("rb") as f:
        template = {m.id for m in read_po(f) if m.id and m.pluralizable}
    plurals = {m.id: m for m in catalog if m.id and m.pluralizable}
    assert sorted(plurals) == sorted(template), "missing or stale plural entries"
    # A form used for one number only may say that number in words ("ساعة واحدة", "el
    # contratista") instead of its placeholder, as gettext allows; every other placeholder is
    # kept in every form, and no form brings one of its own.
    single = _single_number_forms(catalog)
    for (singular, plural), message in plurals.items():
        forms = list(message.string)
        assert len(forms) == nplurals, (singular, forms)
        assert all(form.strip() for form in forms), f"an empty form in {singular!r}"
        expected = sorted(PLACEHOLDER.findall(plural))
        for n, form in enumerate(forms):
            found = sorted(PLACEHOLDER.findall(form))
            if n in single and found != expected:
                missing = [p for p in expected if p not in found]
                assert set(found) <= set(expected), (singular, n, form)
                assert len(missing) == 1, (singular, n, form)
            else:
                assert found == expected, (singular, n, form)


@pytest.mark.parametrize("code", TRANSLATED)
def test_no_entry_is_a_fuzzy_guess(code):
    """A fuzzy entry is a guess copied from a similar message: never compiled, so the page
    would show English while the catalogue looks complete."""
    with (TRANSLATIONS_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=code)
    assert [str(m.id) for m in catalog if m.id and m.fuzzy] == []
