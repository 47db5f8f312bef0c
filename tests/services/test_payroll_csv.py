"""The payroll CSV writer on its own: exact amounts, the formula guard, and quoting."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.services import payroll_csv as writers

DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\n")


def _parse(chunks) -> list[list[str]]:
    text = b"".join(chunks).decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def _detail_row(text: str, minutes: int = 90, rate: str = "33.33") -> tuple:
    """A detail row whose every text field is ``text``."""
    return (
        7,
        dt.date(2026, 3, 2),
        text,
        text,
        text,
        text,
        text,
        minutes,
        Decimal(rate),
        text,
        text,
        text,
        dt.datetime(2026, 3, 3, 9, 30, 15, 999999, tzinfo=dt.UTC),
        text,
    )


TEXT_COLUMNS = (
    "contractor_email",
    "contractor_name",
    "project_code",
    "project_name",
    "client",
    "currency",
    "status",
    "approved_by",
    "description",
)


@pytest.mark.parametrize(
    ("minutes", "rate", "hours", "amount"),
    [
        (1, "0.01", "0.02", "0.00"),
        (7, "33.33", "0.12", "3.89"),
        (59, "999.99", "0.98", "983.32"),
        (1439, "999.99", "23.98", "23983.09"),
        (1440, "0.01", "24.00", "0.24"),
        (1, "0.30", "0.02", "0.01"),  # 0.005 exactly: half-up, not half-even
        (-1, "0.30", "-0.02", "-0.01"),  # a correction rounds away from zero too
        (-90, "33.33", "-1.50", "-50.00"),  # -49.995
        (-1, "0.01", "-0.02", "0.00"),  # never "-0.00"
        (450, "25.00", "7.50", "187.50"),
    ],
)
def test_amounts_are_minutes_over_sixty_times_rate_rounded_half_up(minutes, rate, hours, amount):
    assert writers.number(writers.hours(minutes)) == hours
    assert writers.number(writers.amount(minutes, Decimal(rate))) == amount


@pytest.mark.parametrize(
    "payload",
    ["=1+2", "@SUM(A1)", "-2+3", '=HYPERLINK("http://x","y")', "+41 79 000", "\tx", "\rx", "\nx"],
)
def test_formula_payloads_are_prefixed_with_a_quote(payload):
    [header, row] = _parse(
        writers.write_csv(writers.DETAIL_COLUMNS, [writers.detail_cells(_detail_row(payload))])
    )
    cells = dict(zip(header, row, strict=True))
    for column in TEXT_COLUMNS:
        assert cells[column] == "'" + payload


def test_a_cell_with_comma_quotes_and_newline_survives_intact():
    payload = 'Fixed "login", then\nretested'
    [header, row] = _parse(
        writers.write_csv(writers.DETAIL_COLUMNS, [writers.detail_cells(_detail_row(payload))])
    )
    assert dict(zip(header, row, strict=True))["description"] == payload


def test_negative_corrections_stay_plain_numbers():
    [header, row] = _parse(
        writers.write_csv(
            writers.DETAIL_COLUMNS, [writers.detail_cells(_detail_row("fix", -90, "33.33"))]
        )
    )
    cells = dict(zip(header, row, strict=True))
    assert (cells["hours"], cells["amount"]) == ("-1.50", "-50.00")
    assert cells["entry_id"] == "7"
    assert cells["hourly_rate"] == "33.33"


def test_dates_and_timestamps_have_fixed_formats():
    [header, row] = _parse(
        writers.write_csv(writers.DETAIL_COLUMNS, [writers.detail_cells(_detail_row("x"))])
    )
    cells = dict(zip(header, row, strict=True))
    assert cells["work_date"] == "2026-03-02"
    assert cells["approved_at"] == "2026-03-03T09:30:15Z"


def test_lines_end_with_a_newline_only_and_header_comes_first():
    data = b"".join(writers.write_csv(writers.SUMMARY_COLUMNS, []))
    assert data == (",".join(writers.SUMMARY_COLUMNS) + "\n").encode()


def test_summary_amount_is_the_sum_of_rounded_entry_amounts():
    rows = [("a@x", "A", "P", "Proj", "EUR", Decimal("0.30"), 1)] * 3
    [cells] = list(writers.summary_rows(rows))
    # Each entry is 0.005 → 0.01; the summary adds those (0.03), not round(3 x 0.005) = 0.02.
    assert cells == ["a@x", "A", "P", "Proj", "EUR", "0.30", 3, "0.05", "0.03"]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_reads_back_as_itself_or_quote_prefixed(text):
    rows = [writers.detail_cells(_detail_row(text))]
    parsed = _parse(writers.write_csv(writers.DETAIL_COLUMNS, rows))
    assert len(parsed) == 2
    cells = dict(zip(parsed[0], parsed[1], strict=True))
    expected = "'" + text if text[:1] in DANGEROUS else text
    for column in TEXT_COLUMNS:
        assert cells[column] == expected
        assert cells[column][:1] not in DANGEROUS
    assert cells["hours"] == "1.50"
    assert cells["amount"] == "50.00"


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(max_size=20), st.integers(-1440, 1440).filter(bool)),
        min_size=1,
        max_size=5,
    )
)
def test_many_rows_keep_their_count_and_order(items):
    rows = [writers.detail_cells(_detail_row(text, minutes)) for text, minutes in items]
    parsed = _parse(writers.write_csv(writers.DETAIL_COLUMNS, rows))
    assert len(parsed) == len(items) + 1
    for (text, minutes), row in zip(items, parsed[1:], strict=True):
        assert row[14] == ("'" + text if text[:1] in DANGEROUS else text)
        assert row[7] == writers.number(writers.hours(minutes))
