"""Numbers, amounts, dates and weekdays on pages are written the way the page's language writes
them (CLDR, Latin digits in every language), English exactly as before; what a form field holds,
datetime= attributes, the API and the CLI stay ASCII and English."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest

from tests.dates import monday, today, yesterday
from tracker.clock import day_text, span_text, weekday_text
from tracker.web.context import day, hours, hours_field, local, money, number, weekday

INSTANT = dt.datetime(2026, 12, 2, 13, 5, 9, tzinfo=dt.UTC)
WEDNESDAY = dt.date(2026, 12, 2)


@pytest.fixture
def speaking(app):
    """``speaking(code)``: a request context in that browser language (nobody signed in)."""

    def enter(code: str):
        return app.test_request_context("/", headers={"Accept-Language": code})

    return enter


def test_english_is_written_exactly_as_before(speaking):
    with speaking("en-GB"):
        assert hours(450) == "7.50"
        assert hours(123456) == "2057.60"
        assert hours(None) == ""
        assert money("1234.5", "EUR") == "1,234.50 EUR"
        assert money(Decimal("0.005"), "USD") == "0.01 USD"
        assert money("1234.5") == "1,234.50"
        assert money(None, "EUR") == ""
        assert number(1234567) == "1,234,567"
        assert number(Decimal("12.5"), 1) == "12.5"
        assert local(INSTANT) == "2026-12-02 13:05 UTC"
        assert local(INSTANT, "%Y-%m-%d|%H:%M:%S") == "2026-12-02|13:05:09 UTC"
        assert day(WEDNESDAY) == "2026-12-02"
        assert weekday(WEDNESDAY) == "Wed"
        assert weekday(WEDNESDAY, "wide") == "Wednesday"
        assert day_text(WEDNESDAY, WEDNESDAY) == "2 Dec"
        assert day_text(WEDNESDAY) == "2 Dec 2026"
        assert span_text(dt.date(2026, 11, 30), dt.date(2026, 12, 6)) == "30 Nov – 6 Dec 2026"
        assert span_text(dt.date(2026, 12, 28), dt.date(2027, 1, 3)) == "28 Dec 2026 – 3 Jan 2027"


def test_spanish_uses_a_decimal_comma_and_spanish_months(speaking):
    with speaking("es-MX"):
        assert hours(450) == "7,50"
        assert hours(-90) == "-1,50"
        assert money("1234.5", "EUR") == "1.234,50\xa0EUR"
        assert money("1234567.125", "USD") == "1.234.567,13\xa0USD"  # half-up, as payroll pays
        assert money("1234.5") == "1.234,50"
        assert number(1234567) == "1.234.567"
        assert number(Decimal("12.5"), 1) == "12,5"
        assert local(INSTANT) == "2 dic 2026 13:05 UTC"
        assert local(INSTANT, "%Y-%m-%d|%H:%M:%S") == "2 dic 2026|13:05:09 UTC"
        assert day(WEDNESDAY) == "2 dic 2026"
        assert weekday(WEDNESDAY) == "mié"
        assert weekday(WEDNESDAY, "wide") == "miércoles"
        assert day_text(WEDNESDAY, WEDNESDAY) == "2 dic"
        assert day_text(WEDNESDAY) == "2 dic 2026"
        assert (
            span_text(dt.date(2026, 11, 30), dt.date(2026, 12, 6))
            == "30 nov\u2009–\u20096 dic 2026"
        )


def test_arabic_uses_arabic_months_and_latin_digits(speaking):
    with speaking("ar"):
        assert hours(450) == "7.50"
        assert money("1234.5", "EUR") == "\u200f1,234.50\xa0EUR"
        assert local(INSTANT) == "2 ديسمبر 2026 13:05 UTC"
        assert local(INSTANT, "%Y-%m-%d|%H:%M:%S") == "2 ديسمبر 2026|13:05:09 UTC"
        assert day(WEDNESDAY) == "2 ديسمبر 2026"
        assert weekday(WEDNESDAY) == "الأربعاء"
        assert weekday_text(dt.date(2026, 12, 7)) == "الاثنين"
        assert day_text(WEDNESDAY, WEDNESDAY) == "2 ديسمبر"
        assert span_text(dt.date(2026, 11, 30), dt.date(2026, 12, 6)) == "30 نوفمبر – 6 ديسمبر 2026"


def test_a_form_field_holds_ascii_hours_in_every_language(speaking):
    for code in ("en", "es", "ar"):
        with speaking(code):
            assert hours_field(450) == "7.50"
            assert hours_field(None) == ""


def test_outside_a_page_dates_are_english(app):
    with app.app_context():
        assert day_text(WEDNESDAY) == "2 Dec 2026"
        assert weekday_text(WEDNESDAY) == "Wed"
    assert span_text(dt.date(2026, 11, 30), dt.date(2026, 12, 6)) == "30 Nov – 6 Dec 2026"


def _page(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def test_the_timesheet_in_spanish_shows_commas_but_its_fields_stay_ascii(client, auth, make):
    contractor = make.contractor()
    project = make.project(code="ALPHA")
    make.assign(project, contractor)
    make.entry(contractor, project, work_date=monday() - dt.timedelta(days=7), minutes=450)
    auth.login(contractor)
    week = (monday() - dt.timedelta(days=7)).isocalendar()
    page = _page(
        client.get(
            "/timesheet",
            query_string={"week": f"{week.year}-W{week.week:02d}"},
            headers={"Accept-Language": "es"},
        )
    )
    assert 'value="7.50"' in page
    assert re.search(r'class="num total week-total"[^>]*>7,50</td>', page)
    assert "7.50</td>" not in page


def test_the_dashboard_week_chart_names_the_days_in_arabic(client, auth, make, db):
    contractor = make.contractor()
    contractor.language = "ar"
    db.commit()
    project = make.project(code="ALPHA")
    make.assign(project, contractor)
    make.entry(contractor, project, work_date=today(), minutes=450)
    auth.login(contractor)
    page = _page(client.get("/"))
    labels = re.findall(r'<text x="\d+" y="\d+" text-anchor="middle">([^<]+)</text>', page)
    assert "الاثنين" in labels
    assert "الأحد" in labels
    assert "7.50" in labels  # the bar's value, Latin digits
    assert f'datetime="{monday().isoformat()}"' in page


def test_amounts_on_the_approvals_page_follow_the_language(client, auth, make):
    admin = make.admin()
    contractor = make.contractor()
    project = make.project(code="ALPHA", hourly_rate="1234.50", currency="EUR")
    make.assign(project, contractor)
    make.entry(contractor, project, work_date=yesterday(), minutes=60, status="submitted")
    auth.login(admin)
    english = _page(client.get("/admin/approvals", headers={"Accept-Language": "en"}))
    assert "1,234.50 EUR" in english
    spanish = _page(client.get("/admin/approvals", headers={"Accept-Language": "es"}))
    assert "1.234,50\xa0EUR" in spanish
    assert "1,234.50 EUR" not in spanish


def test_the_api_answers_with_ascii_numbers_and_english_dates_whatever_the_language(api, make):
    contractor = make.contractor()
    project = make.project(code="ALPHA", hourly_rate="1234.50")
    make.assign(project, contractor)
    client = api(contractor)
    client.headers["Accept-Language"] = "es"
    logged = client.post(
        "/entries",
        json={"project_id": project.id, "work_date": yesterday().isoformat(), "hours": "7.5"},
    )
    assert logged.status_code == 201, logged.json
    assert logged.json["hours"] == "7.50"
    assert logged.json["amount"] == "9258.75"
    future = today() + dt.timedelta(days=3)
    refused = client.post(
        "/entries",
        json={"project_id": project.id, "work_date": future.isoformat(), "hours": "1"},
    )
    assert refused.status_code in (409, 422), refused.json
    assert day_text(future, today()) in str(refused.json)


def test_arrows_point_along_the_line_in_either_direction(client, auth, make):
    auth.login(make.admin())
    english = _page(client.get("/admin/projects/new", headers={"Accept-Language": "en"}))
    assert re.search(r'<a href="/admin/projects/?">← ', english)
    arabic = _page(client.get("/admin/projects/new", headers={"Accept-Language": "ar"}))
    assert re.search(r'<a href="/admin/projects/?">→ ', arabic)
    assert "←" not in arabic


def test_the_weekly_grid_names_its_days_in_spanish_and_still_starts_on_monday(client, auth, make):
    contractor = make.contractor()
    make.assign(make.project(code="ALPHA"), contractor)
    auth.login(contractor)
    page = _page(client.get("/timesheet", headers={"Accept-Language": "es"}))
    days = re.findall(r'<abbr title="([^"]+)">([^<]+)</abbr>', page)
    assert days[0] == ("lunes", "lun")
    assert days[-1] == ("domingo", "dom")
    assert len(days) == 7
