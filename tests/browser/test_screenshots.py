"""``make screenshots``: every main page, per role, at phone and desktop width, into screenshots/.

The pages come from each role's own navigation (so a new page is photographed as soon as it is
linked), plus the detail and form pages people spend time on. Files are named
``<who>-<page>-<width>.png``; the folder is git-ignored.
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    Scenario,
    monday,
    nav_paths,
    screenshot_name,
    sign_in,
)

pytestmark = pytest.mark.browser

OUT = SCREENSHOTS


def _photograph(page: Page, who: str, paths: list[str]) -> list[str]:
    """Take every path at both widths; the names of the files written."""
    OUT.mkdir(exist_ok=True)
    written = []
    for path in dict.fromkeys(paths):
        for size in (PHONE, DESKTOP):
            page.set_viewport_size(size)
            response = page.goto(path)
            assert response is not None, path
            assert response.ok, f"{path} answered {response.status}"
            name = screenshot_name(who, path, size)
            page.screenshot(path=str(OUT / name), full_page=True)
            written.append(name)
    return written


def _pages_of(page: Page, extra: list[str]) -> list[str]:
    return [href for _label, href in nav_paths(page)] + extra


def test_screenshots_of_every_main_page(scenario: Scenario, page: Page) -> None:
    written: list[str] = []

    sign_in(page, scenario.contractor.email)
    last_week = (monday() - dt.timedelta(days=7)).strftime("%G-W%V")
    written += _photograph(
        page, "contractor", _pages_of(page, ["/entries/new", f"/timesheet?week={last_week}"])
    )
    page.get_by_role("button", name="Sign out", exact=True).click()

    sign_in(page, scenario.newcomer.email)
    written += _photograph(page, "newcomer", _pages_of(page, []))
    page.get_by_role("button", name="Sign out", exact=True).click()

    sign_in(page, scenario.admin.email)
    written += _photograph(
        page,
        "admin",
        _pages_of(
            page,
            [
                f"/admin/projects/{scenario.held.id}",
                f"/admin/projects/{scenario.other.id}",
                "/admin/projects/new",
                f"/admin/users/{scenario.contractor.id}",
                "/admin/users/new",
                f"/admin/holds/projects/{scenario.other.id}/freeze",
                "/admin/webhooks",
            ],
        ),
    )
    page.get_by_role("button", name="Sign out", exact=True).click()

    sign_in(page, scenario.payroll.email)
    written += _photograph(page, "payroll", _pages_of(page, ["/", "/payroll?preset=last_week"]))
    page.get_by_role("button", name="Sign out", exact=True).click()

    written += _photograph(page, "anonymous", ["/login"])
    assert len(written) >= 20, written
    assert all((OUT / name).stat().st_size > 1000 for name in written)
