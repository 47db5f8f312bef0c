"""Shape checks shared by every service: emails, codes, money, timezones, tags, text, dates.

Each parser returns the clean value or raises ``Invalid`` naming the field; ``collect`` and
``clean`` run several and raise one ``Invalid`` naming every bad field.
"""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from collections.abc import Callable, Collection, Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache, partial
from typing import Any

from babel.numbers import list_currencies
from flask_babel import gettext as _

from tracker.errors import Invalid
from tracker.services import inputs

# No spaces or control characters (PostgreSQL refuses NUL in any text it is asked to compare).
EMAIL_RE = re.compile(
    r"^[^@\s\x00-\x1f\x7f-\x9f]+@[^@\s\x00-\x1f\x7f-\x9f]+\.[^@\s\x00-\x1f\x7f-\x9f]+$"
)
CODE_RE = re.compile(r"^[A-Z][A-Z0-9_-]{1,19}$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
MAX_RATE = Decimal("9999999999.99")
DESCRIPTION_MAX = 2000


def email(value: Any, field: str = "email") -> str:
    """A lower-cased email address of at most 254 characters."""
    text = str(value or "").strip().lower()
    if not text:
        raise Invalid.field(field, _("Enter an email address."))
    if len(text) > 254 or not EMAIL_RE.match(text):
        raise Invalid.field(field, _("Enter a valid email address, like name@example.com."))
    return text


def required_text(value: Any, field: str, max_length: int = 200) -> str:
    """Non-empty single-line text without control characters."""
    return plain_text(value, field, max_length, required=True)


def plain_text(
    value: Any,
    field: str,
    max_length: int = 200,
    multiline: bool = False,
    required: bool = False,
) -> str:
    """Text, stripped, at most max_length characters, no control characters.

    Multi-line text keeps its line breaks (``\r\n`` and ``\r`` become ``\n``) and tabs.
    """
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid.field(field, _("Must be text."))
    text = value.replace("\r\n", "\n").replace("\r", "\n") if multiline else value
    text = text.strip()
    if required and not text:
        raise Invalid.field(field, _("This field is required."))
    if len(text) > max_length:
        raise Invalid.field(
            field,
            _(
                "At most %(max)s characters (this has %(count)s).",
                max=f"{max_length:,}",
                count=f"{len(text):,}",
            ),
        )
    if not multiline and "\n" in text:
        raise Invalid.field(field, _("Must be a single line."))
    allowed = {"\n", "\t"} if multiline else set()
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text):
        raise Invalid.field(field, _("Contains control characters; remove them and try again."))
    return text


def filter_text(value: Any, field: str, max_length: int = 100) -> str | None:
    """A text filter from a query string: None when empty, else ``plain_text``'s checks.

    Control characters are refused here because PostgreSQL refuses NUL in any text parameter.
    """
    return plain_text(value, field, max_length) or None


def project_code(value: Any, field: str = "code") -> str:
    """A short upper-case code such as CHORDUS (2 to 20 letters, digits, - or _)."""
    code = str(value or "").strip().upper()
    if not CODE_RE.match(code):
        raise Invalid.field(
            field, _("Use 2–20 letters, digits, - or _, starting with a letter (e.g. CHORDUS).")
        )
    return code


def money(value: Any, field: str = "hourly_rate", required: bool = True) -> Decimal | None:
    """A non-negative amount with at most two decimals."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Invalid.field(field, _("Enter an amount, like 45.00."))
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise Invalid.field(field, _("Enter an amount, like 45.00."))
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise Invalid.field(field, _("Enter an amount, like 45.00.")) from None
    if not amount.is_finite():
        raise Invalid.field(field, _("Enter an amount, like 45.00."))
    if amount < 0:
        raise Invalid.field(field, _("Cannot be negative."))
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise Invalid.field(field, _("Use at most two decimals (cents)."))
    if amount > MAX_RATE:
        raise Invalid.field(field, _("Too large."))
    return amount.quantize(Decimal("0.01"))


@lru_cache(maxsize=1)
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def money_text(value: Decimal | str | None, currency: str = "") -> str:
    """An amount as every page and message writes it: 1234.5 → "1,234.50 EUR".

    Two decimals rounded half-up, as payroll pays; thousands separated; the currency after.
    """
    if value is None:
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{amount:,.2f} {currency}".strip()


def currency(value: Any, field: str = "currency") -> str:
    """An ISO 4217 code such as EUR, one the currency data (CLDR, through Babel) knows."""
    code = str(value or "").strip().upper()
    if not CURRENCY_RE.match(code):
        raise Invalid.field(field, _("Use a three-letter ISO currency code, like EUR or USD."))
    if code not in _currencies():
        raise Invalid.field(
            field,
            _(
                "Unknown currency %(code)s; use an ISO currency code, like EUR or USD.",
                code=repr(code),
            ),
        )
    return code


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def timezones() -> list[str]:
    """Every IANA timezone name this installation knows, sorted."""
    return sorted(_zones())


def timezone(value: Any, field: str = "timezone") -> str:
    """An IANA timezone name such as Europe/Berlin."""
    name = str(value or "UTC").strip()
    if name not in _zones():
        raise Invalid.field(
            field,
            _("Unknown timezone %(name)s; use an IANA name like Europe/Berlin.", name=repr(name)),
        )
    return name


def skills(value: Any, field: str = "skills") -> list[str]:
    """Tags from a list or a comma-separated string: trimmed, lower-cased, unique, ≤ 30 each."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise Invalid.field(field, _("Give skills as a list or comma-separated text."))
    result: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise Invalid.field(field, _("Each skill must be text."))
        tag = plain_text(item, field, 30).lower()
        if tag and tag not in result:
            result.append(tag)
    if len(result) > 50:
        raise Invalid.field(field, _("At most 50 skills."))
    return result


def seats(value: Any, field: str = "seats") -> int | None:
    """A seat count ≥ 0, or None for unlimited."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = inputs.whole_number(
        value, field, message=_("Enter a whole number of seats, or leave empty for unlimited.")
    )
    if number < 0:
        raise Invalid.field(field, _("Cannot be negative."))
    if number > 1_000_000:
        raise Invalid.field(field, _("Too large."))
    return number


def boolean(value: Any, field: str) -> bool:
    """A JSON boolean (the API gives true/false)."""
    if not isinstance(value, bool):
        raise Invalid.field(field, _("Must be true or false."))
    return value


def collect(
    checks: Mapping[str, Callable[[], Any]], errors: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """Run each field's check; the clean values, or one Invalid naming every bad field.

    ``errors`` are refusals found before (a required field missing), reported with the rest.
    """
    errors = dict(errors or {})
    clean: dict[str, Any] = {}
    for name, check in checks.items():
        try:
            clean[name] = check()
        except Invalid as exc:
            errors.update(exc.fields)
    if errors:
        message = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in errors.items())
        raise Invalid(errors, message)
    return clean


def refuse_unknown(names: Iterable[str], allowed: Collection[str]) -> None:
    """Refuse fields that cannot be set through this action, naming each. Raises Invalid."""
    unknown = sorted(set(names) - set(allowed))
    if unknown:
        raise Invalid({name: [_("This field cannot be changed here.")] for name in unknown})


def clean(
    values: Mapping[str, Any],
    parsers: Mapping[str, Callable[[Any], Any]],
    required: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The given fields parsed by their parsers. Raises Invalid naming every bad field.

    A field without a parser cannot be set this way; a ``required`` one must be given.
    """
    refuse_unknown(values, parsers)
    missing = {name: [_("This field is required.")] for name in required if name not in values}
    return collect(
        {name: partial(parsers[name], value) for name, value in values.items()},
        missing,
    )
