"""Hours typed in any accepted form become whole minutes; anything else is refused clearly."""

from __future__ import annotations

import pytest

from tracker.errors import Invalid
from tracker.services import durations


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("7.5", 450),
        ("7,5", 450),
        ("7:30", 450),
        ("7h30", 450),
        ("7h30m", 450),
        ("2h", 120),
        ("2h38m", 158),
        ("450m", 450),
        ("8", 480),
        (" 7.25 ", 435),
        ("0:45", 45),
        (".5", 30),
        ("0,75", 45),
        ("2H 38M", 158),
        ("24", 1440),
        ("1.05", 63),
        (7.5, 450),
        (8, 480),
        (0.25, 15),
    ],
)
def test_every_accepted_form_gives_whole_minutes(typed, minutes):
    assert durations.parse_hours(typed) == minutes


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "abc",
        "7.3333",
        "7:60",
        "7:5",
        "-2",
        "2h60",
        "1.2.3",
        "7 hours",
        "h30",
        "7,5h",
        "1e3",
        "nan",
        "inf",
        "0.001",
        0.01,
        float("nan"),
        True,
        None,
        [],
        "12:30:00",
    ],
)
def test_other_input_is_refused_naming_the_accepted_forms(typed):
    with pytest.raises(Invalid) as refused:
        durations.parse_hours(typed)
    message = refused.value.fields["hours"][0]
    assert "7.5" in message
    assert "7:30" in message
    assert "450m" in message


def test_a_correction_may_be_negative():
    assert durations.parse_hours("-1:30", allow_negative=True) == -90
    assert durations.parse_hours(-0.5, allow_negative=True) == -30


def test_minutes_from_the_api_must_be_whole():
    assert durations.parse_minutes(450) == 450
    for bad in (7.5, "450", True, None):
        with pytest.raises(Invalid):
            durations.parse_minutes(bad)


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("٧٫٥", 450),  # Arabic-Indic digits with the Arabic decimal separator
        ("٧,٥", 450),
        ("٧.٥", 450),
        ("٧:٣٠", 450),
        ("٧h٣٠", 450),
        ("٤٥٠m", 450),
        ("۷٫۵", 450),  # the Persian (extended Arabic-Indic) digits
        ("७.५", 450),  # Devanagari digits
        ("1٢", 720),  # digits of two scripts in one number
        ("٣", 180),
    ],
)
def test_digits_of_other_scripts_read_like_ascii_digits(typed, minutes):
    assert durations.parse_hours(typed) == minutes


@pytest.mark.parametrize("typed", ["²", "7²", "①", "٧٫٥٫٣", "٧٬٥", "٫"])
def test_characters_that_only_look_like_digits_are_refused_with_the_forms(typed):
    with pytest.raises(Invalid) as refused:
        durations.parse_hours(typed)
    assert refused.value.fields["hours"] == [durations.FORMS_MESSAGE]
