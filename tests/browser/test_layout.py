"""Phone layout: at 390 px no main page is wider than the screen, and on the pages people use
every day (entries, the timesheet, approvals, a project's page) no table scrolls sideways
either: their rows are cards. Wide reference tables (the audit log, delivery, users, payroll
batches) may scroll inside their own frame, and only those listed here."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import PHONE, Scenario, check_pages, nav_paths, sign_in

pytestmark = pytest.mark.browser


def test_main_pages_fit_a_phone_for_every_role(scenario: Scenario, page: Page) -> None:
    page.set_viewport_size(PHONE)
    problems: list[str] = []
    for user, extra in scenario.main_pages():
        sign_in(page, user.email)
        problems += check_pages(page, [href for _label, href in nav_paths(page)] + extra)
        page.get_by_role("button", name="Sign out", exact=True).click()
    problems += check_pages(page, ["/login"])
    assert problems == [], "\n".join(problems)
