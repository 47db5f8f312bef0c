"""The one parser of ids, whole numbers, dates, ISO weeks and cursors (tracker.services.inputs).

Exact about digits: ``str.isdigit()`` accepts superscripts that ``int()`` refuses, and ``int()``
accepts other scripts' digits, underscores and spaces; only ASCII digits are numbers here.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tracker.errors import Invalid
from tracker.services import inputs

ARABIC_ONE = "\u0661"
FULLWIDTH_FIVE = "\uff15"
SUPERSCRIPT_TWO = "\u00b2"
CIRCLED_FIVE = "\u2464"


def test_the_odd_digits_are_what_the_parser_guards_against():
    # isdigit() yes, int() no: code that checked one and called the other failed with a 500.
    for char in (SUPERSCRIPT_TWO, CIRCLED_FIVE):
        assert char.isdigit()
        with pytest.raises(ValueError, match="invalid literal"):
            int(char)
    # int() reads these as numbers: /entries/<Arabic-Indic one> used to be entry 1.
    assert int(ARABIC_ONE) == 1
    assert int(FULLWIDTH_FIVE) == 5
    assert int("1_0") == 10


@pytest.mark.parametrize(("value", "number"), [("42", 42), (" 42 ", 42), ("-3", -3), (7, 7)])
def test_whole_numbers_are_ascii_digits_or_integers(value, number):
    assert inputs.whole_number(value, "n") == number


@pytest.mark.parametrize(
    "value",
    [
        SUPERSCRIPT_TWO,
        CIRCLED_FIVE,
        ARABIC_ONE,
        FULLWIDTH_FIVE,
        "1_0",
        "1e3",
        "0x10",
        "4.0",
        "",
        "1" * 19,
        5.0,
        float("nan"),
        True,
        None,
        [1],
        {"n": 1},
    ],
)
def test_anything_else_is_refused_naming_the_field(value):
    with pytest.raises(Invalid) as refused:
        inputs.whole_number(value, "limit")
    assert list(refused.value.fields) == ["limit"]


@pytest.mark.parametrize("value", [0, -1, 2**31, 2**63, 10**30])
def test_an_id_is_from_1_to_the_database_integer_maximum(value):
    with pytest.raises(Invalid) as refused:
        inputs.identifier(value, "project_id")
    assert "2,147,483,647" in refused.value.fields["project_id"][0]
    assert inputs.identifier(2**31 - 1, "project_id") == 2**31 - 1
    assert inputs.identifier(1, "project_id") == 1


def test_an_id_in_a_body_is_an_integer_and_in_a_query_string_text():
    with pytest.raises(Invalid):
        inputs.identifier("7", "user_id")
    assert inputs.id_param("7", "user_id") == 7
    assert inputs.id_param("", "user_id") is None
    assert inputs.id_param(None, "user_id") is None
    with pytest.raises(Invalid):
        inputs.id_param(str(2**31), "user_id")


def test_a_lookup_by_an_id_no_row_can_have_finds_nothing(db):
    from tracker.models import User

    for value in (2**31, 2**63, -1, 0, "x", None, 1.5, ARABIC_ONE):
        assert inputs.find(db, User, value) is None


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("2026-12-01", dt.date(2026, 12, 1)),
        ("0001-01-01", dt.date.min),
        ("9999-12-31", dt.date.max),
        (dt.date(2026, 1, 2), dt.date(2026, 1, 2)),
    ],
)
def test_dates_are_yyyy_mm_dd_across_the_whole_calendar(value, day):
    assert inputs.date(value, "work_date") == day


@pytest.mark.parametrize(
    "value",
    [
        "0000-01-01",
        "10000-01-01",
        "2026-02-30",
        "20260101",
        "2026-W01-1",
        "2026-1-1",
        "\u0662\u0660\u0662\u0666-01-01",
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        20260101,
        None,
    ],
)
def test_other_dates_are_refused(value):
    with pytest.raises(Invalid) as refused:
        inputs.date(value, "work_date")
    assert "work_date" in refused.value.fields


def test_iso_weeks_reach_both_ends_of_the_calendar():
    assert inputs.iso_week("0001-W01") == dt.date(1, 1, 1)
    assert inputs.iso_week("9999-W51") == dt.date(9999, 12, 20)
    assert inputs.iso_week("2026w53") == dt.date(2026, 12, 28)  # 2026 has 53 weeks


@pytest.mark.parametrize(
    "value",
    ["9999-W52", "9999-W53", "2021-W53", "2026-W00", "2026-W54", "0000-W01", "\u0661234-W01"],
)
def test_weeks_the_calendar_does_not_hold_whole_are_refused(value):
    with pytest.raises(Invalid) as refused:
        inputs.iso_week(value)
    assert "week" in refused.value.fields


def test_stepping_past_the_calendar_gives_none_instead_of_an_overflow():
    assert inputs.week_step(dt.date(1, 1, 1), -1) is None
    assert inputs.week_step(inputs.LAST_WEEK, 1) is None
    assert inputs.week_step(dt.date(1, 1, 1), 1) == dt.date(1, 1, 8)
    assert inputs.shift(dt.date.max, 1) is None
    assert inputs.shift(dt.date.min, -1) is None
    assert inputs.week_label(dt.date(1, 1, 1)) == "0001-W01"


@pytest.mark.parametrize(
    "value",
    [
        f"2026-01-01_{2**31}",
        "2026-01-01_0",
        f"2026-01-01_{SUPERSCRIPT_TWO}",
        f"2026-01-01_{ARABIC_ONE}",
        "10000-01-01_1",
        "2026-01-01",
        "_",
        "",
    ],
)
def test_a_cursor_this_app_never_handed_out_is_refused(value):
    with pytest.raises(Invalid) as refused:
        inputs.cursor(value)
    assert refused.value.fields == {
        "cursor": ["This cursor is not valid; start from the first page."]
    }


def test_a_cursor_at_the_calendar_end_is_read():
    assert inputs.cursor("9999-12-31_5") == (dt.date.max, 5)


def test_a_totp_code_in_other_digits_matches_nothing():
    from tracker.services import mfa

    secret = mfa.new_secret()
    code = mfa.code_at(secret)
    assert mfa.matching_step(secret, code) is not None
    other = "".join(chr(0x660 + int(d)) for d in code)
    assert mfa.matching_step(secret, other) is None
    assert mfa.matching_step(secret, "\u00b2" * 6) is None
