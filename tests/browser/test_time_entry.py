"""Journey 2: a contractor logs hours with the form and the weekly grid, edits and deletes."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, horizontal_overflow, monday, sign_in, too_wide
from tests.factories import Factory

pytestmark = pytest.mark.browser


def _cell(page: Page, code: str, day: dt.date) -> object:
    """The grid's input for one project and day, by its accessible name."""
    return page.get_by_label(f"{code}, {day.strftime('%A')} {day.isoformat()}", exact=True)


def test_logging_hours_with_the_form_and_the_grid_then_editing_and_deleting(
    seed: Factory, page: Page
) -> None:
    casey = seed.contractor(name="Casey Contractor", email="casey@example.com")
    chordus = seed.project(code="CHORDUS", name="Chordus platform", hourly_rate="45.00")
    seed.assign(chordus, casey)
    # Last week: every day is in the past and inside the 14-day backdating window.
    mon = monday() - dt.timedelta(days=7)
    tue, wed = mon + dt.timedelta(days=1), mon + dt.timedelta(days=2)

    sign_in(page, casey.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Log hours").click()
    expect(page.get_by_role("heading", name="Log hours")).to_be_visible()
    page.get_by_label("Project").select_option(label="CHORDUS — Chordus platform")
    page.get_by_label("Work date").fill(mon.isoformat())
    page.get_by_label("Hours").fill("7:30")
    page.get_by_label("What you worked on").fill("Threat model review")
    page.get_by_role("button", name="Log hours").click()
    expect(page.get_by_text(f"Logged 7.50 h on CHORDUS for {mon.isoformat()}.")).to_be_visible()

    # The form lands on that week's timesheet, with the hours in the grid and the totals.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Timesheet")
    expect(_cell(page, "CHORDUS", mon)).to_have_value("7.50")
    week_total = page.locator("tfoot .week-total")
    expect(week_total).to_have_text("7.50")

    # The weekly grid: type two more days in the forms people use, save once.
    _cell(page, "CHORDUS", tue).fill("2h15")
    _cell(page, "CHORDUS", wed).fill("6,5")
    page.get_by_role("button", name="Save week").click()
    expect(page.get_by_text("Week saved (2 changes).")).to_be_visible()
    expect(_cell(page, "CHORDUS", tue)).to_have_value("2.25")
    expect(_cell(page, "CHORDUS", wed)).to_have_value("6.50")
    expect(page.get_by_role("row", name="CHORDUS").locator(".total")).to_have_text("16.25")
    expect(week_total).to_have_text("16.25")

    # A typo in a cell is refused beside the cell, in words, and nothing is saved.
    _cell(page, "CHORDUS", tue).fill("lots")
    page.get_by_role("button", name="Save week").click()
    expect(page.get_by_text("Nothing was saved")).to_be_visible()
    expect(_cell(page, "CHORDUS", tue)).to_have_value("lots")
    expect(page.locator("td.has-error .error")).to_contain_text("7:30")
    expect(week_total).to_have_text("16.25")

    # The weekly grid stays usable on a phone: the page itself does not scroll sideways.
    page.set_viewport_size(PHONE)
    page.get_by_role("link", name="This week").click()
    page.get_by_role("link", name="←").click()
    assert horizontal_overflow(page) == 0, too_wide(page)
    thursday = _cell(page, "CHORDUS", mon + dt.timedelta(days=3))
    thursday.fill("1:00")  # the grid scrolls the cell into view inside its own box
    page.get_by_role("button", name="Save week").click()
    expect(page.get_by_text("Week saved (1 change).")).to_be_visible()
    expect(week_total).to_have_text("17.25")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Edit the Monday entry from the list of entries.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Entries").click()
    rows = page.get_by_role("row")
    expect(rows.filter(has_text=mon.isoformat())).to_contain_text("7.50")
    page.get_by_role("link", name=f"Edit entry of {mon.isoformat()}").click()
    expect(page.get_by_role("heading", name="Edit entry")).to_be_visible()
    expect(page.get_by_label("What you worked on")).to_have_value("Threat model review")
    page.get_by_label("Hours").fill("8h")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Entry saved.")).to_be_visible()

    # Delete the Tuesday entry; the week's total follows.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Entries").click()
    expect(rows.filter(has_text=mon.isoformat())).to_contain_text("8.00")
    page.get_by_role("button", name=f"Delete entry of {tue.isoformat()}").click()
    expect(page.get_by_text("Entry deleted.")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Entries").click()
    expect(page.get_by_role("table")).not_to_contain_text(tue.isoformat())
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(4)  # header + 3 entries

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Timesheet").click()
    page.get_by_role("link", name="←").click()
    expect(_cell(page, "CHORDUS", mon)).to_have_value("8.00")
    expect(_cell(page, "CHORDUS", tue)).to_have_value("")
    expect(week_total).to_have_text("15.50")
