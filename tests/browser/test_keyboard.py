"""Journey 6: keyboard only — sign in and log a day's hours with Tab, Enter and typing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD
from tests.factories import Factory

pytestmark = pytest.mark.browser


def _tab_to(page: Page, target: object, limit: int = 40) -> None:
    """Press Tab until ``target`` (a locator) has the focus; fail after ``limit`` presses."""
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):  # type: ignore[attr-defined]
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


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
