"""Phone layout: at 390 px no main page scrolls sideways (only tables inside .table-scroll may)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import (
    PHONE,
    Scenario,
    horizontal_overflow,
    nav_paths,
    sign_in,
    too_wide,
)

pytestmark = pytest.mark.browser


def _check(page: Page, paths: list[str]) -> list[str]:
    """Visit each path; a line for every page that is wider than the phone."""
    problems = []
    for path in dict.fromkeys(paths):
        response = page.goto(path)
        if response is None or not response.ok:
            problems.append(f"{path}: answered {response.status if response else None}")
            continue
        extra = horizontal_overflow(page)
        if extra > 0:
            problems.append(f"{path}: {extra}px too wide: {too_wide(page)}")
    return problems


def test_main_pages_fit_a_phone_for_every_role(scenario: Scenario, page: Page) -> None:
    page.set_viewport_size(PHONE)
    problems: list[str] = []
    for user, extra in scenario.main_pages():
        sign_in(page, user.email)
        problems += _check(page, [href for _label, href in nav_paths(page)] + extra)
        page.get_by_role("button", name="Sign out").click()
    problems += _check(page, ["/login"])
    assert problems == [], "\n".join(problems)
