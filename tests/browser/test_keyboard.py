"""Journey 6: keyboard only — sign in and log a day's hours with Tab, Enter and typing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import PASSWORD, monday, today
from tests.factories import Factory

pytestmark = pytest.mark.browser


def _tab_to(page: Page, target: Locator, limit: int = 40) -> None:
    """Press Tab until ``target`` has the focus (and shows it); fail after ``limit`` presses."""
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            _assert_focus_visible(target)
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def _assert_focus_visible(target: Locator) -> None:
    """The focused element draws an outline (the focus ring), not just a colour change."""
    style = target.evaluate(
        "el => { const s = getComputedStyle(el); return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert style[0] != "none", style
    assert style[1] not in ("0px", ""), style


def _log_with_keys(page: Page, project_letters: str, hours: str, text: str) -> None:
    """From any page: Tab to "Log hours", Enter, type the entry, submit with Enter."""
    nav = page.get_by_role("navigation", name="Main")
    _tab_to(page, nav.get_by_role("link", name="Log hours"))
    page.keyboard.press("Enter")
    project = page.get_by_label("Project")
    expect(project).to_be_focused()
    page.keyboard.type(project_letters)  # a focused select jumps to the typed option
    _tab_to(page, page.get_by_label("Hours"))
    page.keyboard.type(hours)
    _tab_to(page, page.get_by_label("What you worked on"))
    page.keyboard.type(text)
    _tab_to(page, page.get_by_role("button", name="Log hours"))
    page.keyboard.press("Enter")


def _tab_order(page: Page, stop: Locator, limit: int = 20) -> list[str]:
    """The distinct fields Tab visits from the focused one until ``stop`` (ids or tag names)."""
    visited: list[str] = []
    for _ in range(limit):
        here = page.evaluate("() => document.activeElement.id || document.activeElement.tagName")
        if not visited or visited[-1] != here:
            visited.append(here)
        if stop.evaluate("el => el === document.activeElement"):
            return visited
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {stop}: {visited}")


def test_the_log_hours_form_is_tabbed_in_reading_order(seed: Factory, page: Page) -> None:
    kim = seed.contractor(name="Kim Keys", email="kim@example.com")
    seed.assign(seed.project(code="CHORDUS", name="Chordus platform"), kim)
    page.goto("/login")
    expect(page.get_by_label("Email")).to_be_focused()  # typing waits for the autofocus
    page.keyboard.type(kim.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Log hours").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Project")).to_be_focused()
    order = _tab_order(page, page.get_by_role("button", name="Log hours"))
    assert order == ["project_id", "work_date", "hours", "description", "BUTTON"]


def test_a_contractor_logs_a_days_hours_without_a_mouse(seed: Factory, page: Page) -> None:
    kim = seed.contractor(name="Kim Keys", email="kim@example.com")
    for code, name in (("CHORDUS", "Chordus platform"), ("NIMBUS", "Nimbus migration")):
        seed.assign(seed.project(code=code, name=name), kim)
    day = today().isoformat()

    page.goto("/login")
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type(kim.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Hello, Kim Keys")).to_be_visible()

    _log_with_keys(page, "CH", "4h", "Morning: incident runbook")
    expect(page.get_by_text(f"Logged 4.00 h on CHORDUS for {day}.")).to_be_visible()
    _log_with_keys(page, "NI", "3:30", "Afternoon: migration plan")
    expect(page.get_by_text(f"Logged 3.50 h on NIMBUS for {day}.")).to_be_visible()

    # The form lands on the week; the day's column adds up to the whole day.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Timesheet")
    column = (today() - monday()).days
    expect(page.locator("tfoot td.total").nth(column)).to_have_text("7.50")


def test_signing_in_with_the_keyboard_only(seed: Factory, page: Page) -> None:
    user = seed.contractor(name="Kim Keys", email="kim@example.com")
    page.goto("/login")
    email = page.get_by_label("Email")
    expect(email).to_be_focused()
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type("not my password at all")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Email or password is not right.")).to_be_visible()

    _tab_to(page, page.get_by_label("Password"))
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Hello, Kim Keys")).to_be_visible()


def test_the_skip_link_is_the_first_stop_and_shows_when_focused(seed: Factory, page: Page) -> None:
    user = seed.contractor(name="Sam Skip")
    page.goto("/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Hello, Sam Skip")).to_be_visible()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["y"] >= 0
    outline = skip.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
