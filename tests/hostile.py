"""Values a careless client or an intruder sends, as Hypothesis strategies and plain lists.

Each list is a class of bad input the app must answer with a 4xx (never a 5xx): numbers at and
beyond the database's integer range, digits ``int()`` reads differently from ASCII ones, dates
and ISO weeks at the calendar's ends, wrong JSON types, text PostgreSQL refuses, very deep JSON.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

# PostgreSQL ``integer`` ends at 2**31 - 1; SQLite's at 2**63 - 1; Python's never.
DB_EDGES = [
    0,
    -1,
    1,
    2**31 - 1,
    2**31,
    -(2**31),
    -(2**31) - 1,
    2**63 - 1,
    2**63,
    2**64,
    10**30,
]
# isdigit() but not int(): superscript two, circled five, vulgar half, roman twelve.
# int() but not ASCII: Arabic-Indic, fullwidth, mathematical bold, Bengali digits; also
# underscores, spaces, signs, leading zeros, and numbers written other ways.
ODD_DIGITS = [
    "\u00b2",
    "\u2464",
    "\u00bd",
    "\u216b",
    "\u0661",
    "\u0663\u0664",
    "\uff15",
    "\U0001d7d7",
    "\u09e6",
    "1_0",
    " 7 ",
    "+5",
    "-0",
    "007",
    "1e3",
    "0x10",
    "1.0",
    "NaN",
    "Infinity",
]
DATES = [
    "0001-01-01",
    "0001-01-07",
    "9999-12-31",
    "9999-12-25",
    "0000-01-01",
    "10000-01-01",
    "2026-02-30",
    "2026-13-01",
    "2024-02-29",
    "20260101",
    "2026-W01-1",
    "2026-12-01T00:00:00",
    "\u0662\u0660\u0662\u0666-01-01",
    "2026-1-1",
]
WEEKS = [
    "0001-W01",
    "0001-W02",
    "9999-W51",
    "9999-W52",
    "9999-W53",
    "2020-W53",
    "2021-W53",
    "2026-W00",
    "2026-W54",
    "2026W10",
    "2026-w05",
    "\u0661\u0662\u0663\u0664-W01",
    "0000-W01",
]
CURSORS = [
    "2026-01-01_1",
    f"2026-01-01_{2**31}",
    f"2026-01-01_{2**63}",
    "2026-01-01_-1",
    "2026-01-01_\u00b2",
    "2026-01-01_\u0661",
    "9999-12-31_1",
    "0001-01-01_1",
    "10000-01-01_1",
    "_",
    "2026-01-01",
    "garbage",
]
# Text that is awkward for a database or a page (NUL is refused by PostgreSQL in any text).
NASTY_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\t\r\n",
    "\u202e",
    "x" * 5000,
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "\U0001f600",
    "%00",
    "../../etc/passwd",
]
# Only in JSON bodies: a lone surrogate cannot even be encoded as UTF-8 in a URL.
SURROGATE = "\ud800"
BIG_NUMBERS = [str(n) for n in DB_EDGES]
QUERY_WORDS = ["approved", "all", "submitted", "rejected", "summary", "detail", "1", "0"]


def text_values() -> st.SearchStrategy[str]:
    """Query-string and form text: every class above, and arbitrary short text."""
    return st.one_of(
        st.sampled_from(BIG_NUMBERS + ODD_DIGITS + DATES + WEEKS + CURSORS + NASTY_TEXT),
        st.sampled_from(QUERY_WORDS),
        st.text(st.characters(exclude_categories=("Cs",)), max_size=20),
    )


# Characters slipped into otherwise valid text: NUL, other controls, a lone surrogate (JSON
# only), a right-to-left override, a non-character.
TAINTS = ["\x00", "\x1f", "\x85", SURROGATE, "\u202e", "\uffff"]
VALID_LOOKING = ["7.5", "7:30", "EUR", "A note", "CODE1", "x@example.com", "Europe/Berlin"]


def tainted(valid: list[str]) -> st.SearchStrategy[str]:
    """A valid-looking value with one awkward character slipped in, so it passes shape checks
    a plain bad value would fail, and travels on (to a query, a key, an audit row)."""
    return st.tuples(st.sampled_from(valid), st.sampled_from(TAINTS), st.integers(0, 3)).map(
        lambda t: t[0][: t[2]] + t[1] + t[0][t[2] :]
    )


def json_scalars() -> st.SearchStrategy[Any]:
    """JSON scalars of every type, the database's edges included."""
    return st.one_of(
        st.sampled_from(DB_EDGES),
        st.integers(),
        st.floats(),
        st.booleans(),
        st.none(),
        text_values(),
        st.just(SURROGATE),
    )


def json_values() -> st.SearchStrategy[Any]:
    """Scalars, and small lists and objects of them (a list or object where a number goes)."""
    return st.recursive(
        json_scalars(),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=6,
    )


def deep_json() -> st.SearchStrategy[str]:
    """JSON text nested far deeper than any parser recursion limit."""
    return st.sampled_from([50, 1_000, 100_000]).flatmap(
        lambda depth: st.sampled_from(
            ["[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth]
        )
    )


def path_segments(real_ids: list[int]) -> st.SearchStrategy[str]:
    """A path parameter, percent-encoded: real ids, edges, odd digits, anything."""
    return st.one_of(
        st.sampled_from([str(i) for i in real_ids]),
        st.sampled_from(BIG_NUMBERS + ODD_DIGITS),
        st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12),
    ).map(lambda value: quote(value, safe=""))


def assert_error_shape(response: Any, context: str) -> None:
    """Never a 5xx; a 4xx carries the API's error body (api.md: error.code, error.message)."""
    status = response.status_code
    assert status < 500, f"{status} for {context}: {response.get_data(as_text=True)[:300]}"
    if status < 400:
        return
    body = response.get_json(silent=True)
    assert isinstance(body, dict), f"{status} without a JSON body for {context}"
    error = body.get("error")
    assert isinstance(error, dict), f"no error object for {context}: {body}"
    for key in ("code", "message"):
        assert isinstance(error.get(key), str), f"error.{key} is not text for {context}"
        assert error[key], f"error.{key} is empty for {context}"
    if error["code"] == "invalid":
        assert status == 422, context
        fields = error.get("fields")
        assert isinstance(fields, dict), f"invalid without fields for {context}"
        assert fields, f"invalid with no field named for {context}"
        for messages in fields.values():
            assert messages, context
            assert all(isinstance(m, str) and m for m in messages), context
    if status == 404:
        assert error["code"] == "not_found", context
    if status == 429:
        assert int(response.headers["Retry-After"]) >= 1, context


def app_routes() -> list[tuple[str, str, Any]]:
    """(method, rule, declared roles) of every route of an app built from this code.

    Built at collection time, so each route can be a test of its own; the sweeps check that
    the running test app serves exactly these.
    """
    from tracker import create_app

    os.environ.setdefault("TRACKER_ENV", "development")
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x" * 40})
    routes = sorted(
        (method, rule.rule, getattr(app.view_functions[rule.endpoint], "allowed_roles", None))
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    )
    app.extensions["tracker.engine"].dispose()
    return routes
