"""Phone layout: at 390 px no main page is wider than the screen, and on the pages people use
every day (entries, the timesheet, approvals, a project's page) no table scrolls sideways
either: their rows are cards. Wide reference tables (the audit log, delivery, users, payroll
batches) may scroll inside their own frame, and only those listed here."""

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


# Pages whose tables may scroll sideways inside .table-scroll (reference tables, many columns).
SCROLLING_TABLES = (
    "/admin/audit/",
    "/admin/outbox",
    "/admin/webhooks",
    "/admin/users/",
    "/admin/holds",
    "/admin/projects/",
    "/notifications",
)
_WIDER_TABLES = """() => [...document.querySelectorAll('.table-scroll')]
  .filter(el => el.scrollWidth > el.clientWidth + 1)
  .map(el => (el.querySelector('caption') || el.querySelector('th') || el).textContent.trim()
             .slice(0, 40) + ': ' + el.scrollWidth + 'px')"""


def _may_scroll(path: str) -> bool:
    return any(
        path == p
        or (p.endswith("/") and path.startswith(p) and path.count("/") <= 3)
        or (not p.endswith("/") and path.startswith(p))
        for p in SCROLLING_TABLES
    )


def _check(page: Page, paths: list[str]) -> list[str]:
    """Visit each path; a line for every page wider than the phone, or with a table that
    scrolls sideways where its rows should be cards."""
    problems = []
    for path in dict.fromkeys(paths):
        response = page.goto(path)
        if response is None or not response.ok:
            problems.append(f"{path}: answered {response.status if response else None}")
            continue
        extra = horizontal_overflow(page)
        if extra > 0:
            problems.append(f"{path}: {extra}px too wide: {too_wide(page)}")
        wide = [] if _may_scroll(path) else page.evaluate(_WIDER_TABLES)
        if wide:
            problems.append(f"{path}: a table scrolls sideways: {wide}")
    return problems


def test_main_pages_fit_a_phone_for_every_role(scenario: Scenario, page: Page) -> None:
    page.set_viewport_size(PHONE)
    problems: list[str] = []
    for user, extra in scenario.main_pages():
        sign_in(page, user.email)
        problems += _check(page, [href for _label, href in nav_paths(page)] + extra)
        page.get_by_role("button", name="Sign out", exact=True).click()
    problems += _check(page, ["/login"])
    assert problems == [], "\n".join(problems)
