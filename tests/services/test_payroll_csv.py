"""The payroll CSV writer on its own: exact amounts, the formula guard and quoting under every
profile's separator, and each profile's number and date formats."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.services import payroll_csv as writers
from tracker.services.payroll_numbers import amount, duration, hours, minutes_of, number
from tracker.services.payroll_profiles import PROFILES, Context
from tracker.services.payroll_rows import Entry, Line, group_lines

DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\n")
CONTEXT = Context(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
GENERIC, EU = PROFILES["generic"], PROFILES["excel-eu"]


def _parse(chunks, separator: str = ",") -> list[list[str]]:
    text = b"".join(chunks).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))


def _entry(text: str, minutes: int = 90, rate: str = "33.33", batch_id: int | None = 4) -> Entry:
    """An entry whose every text field is ``text``."""
    return Entry(
        entry_id=7,
        work_date=dt.date(2026, 3, 2),
        email=text,
        name=text,
        project_code=text,
        project_name=text,
        client=text,
        minutes=minutes,
        rate=Decimal(rate),
        currency=text,
        amount=amount(minutes, Decimal(rate)),
        status=text,
        approved_by=text,
        approved_at=dt.datetime(2026, 3, 3, 9, 30, 15, 999999, tzinfo=dt.UTC),
        description=text,
        batch_id=batch_id,
    )


def _detail(profile, entries) -> list[dict[str, str]]:
    [header, *rows] = _parse(
        writers.write_csv(profile, "detail", entries, CONTEXT), profile.separator
    )
    return [dict(zip(header, row, strict=True)) for row in rows]


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
    ("minutes", "rate", "hours_text", "amount_text"),
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
def test_amounts_are_minutes_over_sixty_times_rate_rounded_half_up(
    minutes, rate, hours_text, amount_text
):
    assert number(hours(minutes)) == hours_text
    assert number(amount(minutes, Decimal(rate))) == amount_text


def test_every_whole_minute_comes_back_from_its_hours_cell():
    for minutes in range(-1440, 1441):
        assert minutes_of(number(hours(minutes))) == minutes, minutes


@pytest.mark.parametrize(
    ("minutes", "text"), [(90, "1:30"), (7, "0:07"), (1440, "24:00"), (-90, "-1:30"), (0, "0:00")]
)
def test_durations_are_hours_and_minutes(minutes, text):
    assert duration(minutes) == text


@pytest.mark.parametrize("profile", [GENERIC, EU], ids=lambda p: p.name)
@pytest.mark.parametrize(
    "payload",
    ["=1+2", "@SUM(A1)", "-2+3", '=HYPERLINK("http://x","y")', "+41 79 000", "\tx", "\rx", "\nx"],
)
def test_formula_payloads_are_prefixed_with_a_quote(profile, payload):
    [cells] = _detail(profile, [_entry(payload)])
    for column in TEXT_COLUMNS:
        assert cells[column] == "'" + payload


@pytest.mark.parametrize("profile", list(PROFILES.values()), ids=lambda p: p.name)
def test_a_formula_behind_the_profiles_separator_stays_inside_one_quoted_cell(profile):
    payload = f"ok{profile.separator}=1+1"
    data = b"".join(writers.write_csv(profile, "detail", [_entry(payload)], CONTEXT))
    text = data.decode("utf-8-sig")
    assert f'"ok{profile.separator}=1+1' in text
    [header, row] = _parse([data], profile.separator)
    assert len(row) == len(header)
    assert all(not cell.startswith(DANGEROUS) for cell in row if not _is_number(cell))


def _is_number(cell: str) -> bool:
    return cell.lstrip("-").replace(",", "").replace(".", "").replace(":", "").isdigit()


def test_a_cell_with_comma_quotes_and_newline_survives_intact():
    payload = 'Fixed "login", then\nretested'
    [cells] = _detail(GENERIC, [_entry(payload)])
    assert cells["description"] == payload


def test_negative_corrections_stay_plain_numbers():
    [cells] = _detail(GENERIC, [_entry("fix", -90, "33.33")])
    assert (cells["hours"], cells["amount"]) == ("-1.50", "-50.00")
    assert cells["entry_id"] == "7"
    assert cells["hourly_rate"] == "33.33"
    assert cells["batch_id"] == "4"


def test_dates_and_timestamps_have_fixed_formats():
    [cells] = _detail(GENERIC, [_entry("x", batch_id=None)])
    assert cells["work_date"] == "2026-03-02"
    assert cells["approved_at"] == "2026-03-03T09:30:15Z"
    assert cells["batch_id"] == ""  # not in a batch yet


def test_excel_eu_writes_decimal_commas_local_dates_and_a_bom():
    data = b"".join(writers.write_csv(EU, "detail", [_entry("x", -90)], CONTEXT))
    assert data.startswith(writers.BOM + b"entry_id;work_date;")
    [cells] = _detail(EU, [_entry("x", -90)])
    assert (cells["hours"], cells["hourly_rate"], cells["amount"]) == ("-1,50", "33,33", "-50,00")
    assert cells["work_date"] == "02.03.2026"
    assert cells["approved_at"] == "03.03.2026 09:30:15"


def test_quickbooks_writes_us_dates_and_durations():
    [cells] = _detail(PROFILES["quickbooks-online"], [_entry("Fix", 90)])
    assert cells == {
        "TxnDate": "03/02/2026",
        "NameOf": "Vendor",
        "EmployeeVendorRefName": "Fix",
        "CustomerRefName": "Fix",
        "ClassRefName": "Fix",
        "BillableStatus": "NotBillable",
        "HourlyRate": "33.33",
        "Duration": "1:30",
        "Description": "Fix",
    }


def test_xero_bills_carry_the_exact_amount_once_per_line():
    [cells] = _detail(PROFILES["xero-bills"], [_entry("A", 7)])
    assert (cells["Quantity"], cells["UnitAmount"], cells["Currency"]) == ("1", "3.89", "A")
    assert cells["InvoiceNumber"] == "2026-03-01/2026-03-31 A A"
    assert cells["InvoiceDate"] == cells["DueDate"] == "2026-03-31"
    assert cells["Description"] == "2026-03-02 A: 0.12 h at 33.33 A, A"


def test_lines_end_with_a_newline_only_and_header_comes_first():
    data = b"".join(writers.write_csv(GENERIC, "summary", [], CONTEXT))
    assert data == (",".join(c.header for c in GENERIC.layouts["summary"]) + "\n").encode()


def test_summary_amount_is_the_sum_of_rounded_entry_amounts():
    rate = Decimal("0.30")
    rows = [("a@x", "A", "P", "Proj", "EUR", rate, 1, amount(1, rate))] * 3
    [line] = list(group_lines(rows))
    # Each entry is 0.005 → 0.01; the summary adds those (0.03), not round(3 x 0.005) = 0.02.
    assert line == Line("a@x", "A", "P", "Proj", "EUR", rate, 3, 3, Decimal("0.03"))
    [_header, cells] = _parse(writers.write_csv(GENERIC, "summary", [line], CONTEXT))
    assert cells == ["a@x", "A", "P", "Proj", "EUR", "0.30", "3", "0.05", "0.03"]


@settings(max_examples=300, deadline=None)
@given(st.text(), st.sampled_from([GENERIC, EU]))
def test_any_text_reads_back_as_itself_or_quote_prefixed(text, profile):
    [cells] = _detail(profile, [_entry(text)])
    expected = "'" + text if text[:1] in DANGEROUS else text
    for column in TEXT_COLUMNS:
        assert cells[column] == expected
        assert cells[column][:1] not in DANGEROUS
        if text[:1] == "'" and text[1:2] in DANGEROUS:
            # The one text unguard cannot tell from a guarded cell: it loses its quote.
            assert writers.unguard(cells[column]) == text[1:]
        else:
            assert writers.unguard(cells[column]) == text
    assert cells["hours"] == number(Decimal("1.50"), profile.decimal_mark)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(max_size=20), st.integers(-1440, 1440).filter(bool)),
        min_size=1,
        max_size=5,
    )
)
def test_many_rows_keep_their_count_and_order(items):
    rows = _detail(GENERIC, [_entry(text, minutes) for text, minutes in items])
    assert len(rows) == len(items)
    for (text, minutes), row in zip(items, rows, strict=True):
        assert row["description"] == ("'" + text if text[:1] in DANGEROUS else text)
        assert row["hours"] == number(hours(minutes))
