"""Empty states say what is missing and what to do next, for a new contractor and a new admin."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in, sign_out
from tests.factories import Factory

pytestmark = pytest.mark.browser


def _empty(page: Page, path: str) -> str:
    """The empty-state text of a page, opened by path or by its navigation label."""
    if path.startswith("/"):
        page.goto(path)
    else:
        page.get_by_role("navigation", name="Main").get_by_role("link", name=path).click()
    box = page.locator("main .empty").first
    expect(box).to_be_visible()
    return box.inner_text()


def test_a_new_contractor_is_told_what_happens_next_on_every_empty_page(
    seed: Factory, page: Page
) -> None:
    noor = seed.contractor(name="Noor Newcomer")
    sign_in(page, noor.email)
    assert "An admin assigns you to projects" in _empty(page, "/")
    assert "When an admin assigns you to a project" in _empty(page, "Timesheet")
    assert "When an admin assigns you to a project" in _empty(page, "Log hours")
    assert "When a project you work on is paused" in _empty(page, "Offers")
    assert "you are told here" in _empty(page, "Notifications")
    # No hours this week: the week panel still leads to logging them.
    page.goto("/")
    panel = page.get_by_role("region", name="This week")
    expect(panel).to_contain_text("0.00 h")
    expect(panel.get_by_role("link", name="Log hours")).to_be_visible()


def test_a_new_admin_is_led_to_create_projects_and_people(seed: Factory, page: Page) -> None:
    admin = seed.admin(name="Ada Admin")
    sign_in(page, admin.email)
    page.goto("/")
    empty = page.locator("main .empty")
    expect(empty).to_contain_text("No projects yet.")
    empty.get_by_role("link", name="Create the first project").click()
    expect(page.get_by_role("heading", name="New project")).to_be_visible()
    assert "To put one on hold" in _empty(page, "Holds")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Projects").click()
    page.get_by_role("link", name="Closed", exact=True).click()
    page.locator("main .empty").get_by_role("link", name="Create a project").click()
    expect(page.get_by_role("heading", name="New project")).to_be_visible()
    sign_out(page)
