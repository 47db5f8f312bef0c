"""Languages: Flask-Babel, the locale of each request, and the page's lang and dir.

The locale is the signed-in user's stored choice, else the best match of the browser's
Accept-Language, else English; an unknown code falls back to English, never to an error. The
JSON API, the CLI and payroll files do not translate anything (they stay language-neutral).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flask import Flask, has_request_context, request
from flask_babel import Babel, get_locale
from flask_login import current_user

from tracker.models import DEFAULT_LANGUAGE, LANGUAGES

# The catalogs (messages.po, compiled to messages.mo by `make translations`).
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
# The languages written right to left.
RTL_LANGUAGES = frozenset({"ar"})


def select_locale() -> str:
    """The language of this request's pages."""
    if not has_request_context() or request.blueprint == "api":
        # The JSON API answers in English whoever calls (its codes and messages are a contract).
        return DEFAULT_LANGUAGE
    if current_user.is_authenticated and current_user.language in LANGUAGES:
        return str(current_user.language)
    return browser_language(request.accept_languages)


def browser_language(accepted: Iterable[tuple[str, float]]) -> str:
    """The first shipped language of Accept-Language, by quality, by its primary subtag.

    Werkzeug's best_match would prefer an exact "en;q=0.3" to "es-MX" (q=1), so the match is
    by language, in the browser's order: "es-MX, en;q=0.3" is Spanish.
    """
    for value, _quality in accepted:
        code = value.replace("_", "-").split("-")[0].strip().lower()
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def page_language() -> str:
    """The current locale's language code, one of LANGUAGES."""
    locale = get_locale()
    code = locale.language if locale is not None else DEFAULT_LANGUAGE
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def _context() -> dict[str, Any]:
    lang = page_language()
    return {
        "page_lang": lang,
        "page_dir": "rtl" if lang in RTL_LANGUAGES else "ltr",
        "languages": LANGUAGES,
    }


def init_app(app: Flask) -> None:
    """Wire Flask-Babel: the locale per request, the catalogs, lang and dir for templates."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    Babel(app, locale_selector=select_locale)
    app.context_processor(_context)
