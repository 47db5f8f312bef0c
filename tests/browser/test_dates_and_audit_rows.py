"""On a phone, table dates stay on one line and audit rows stay short (long data folds away)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import DESKTOP, PHONE, Scenario, sign_in, sign_out

pytestmark = pytest.mark.browser

# Dates (a <time>, or the date part of a date-and-time) drawn on more than one line.
SPLIT_DATES = """() => [...document.querySelectorAll('td time:not(.stamp), td time.stamp .date')]
  .filter(el => el.getClientRects().length > 1)
  .map(el => el.textContent)"""
DATES = "() => document.querySelectorAll('td time').length"
ROW_HEIGHTS = """() => [...document.querySelectorAll('main tbody tr')]
  .map(tr => Math.round(tr.getBoundingClientRect().height))"""


def _split_dates(page: Page, path: str) -> list[str]:
    page.goto(path)
    page.wait_for_load_state("load")
    assert page.evaluate(DATES) > 0, f"{path} shows no marked dates"
    return [f"{path}: {d}" for d in page.evaluate(SPLIT_DATES)]


def test_dates_never_split_at_their_hyphens_on_a_phone(scenario: Scenario, page: Page) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, scenario.contractor.email)
    split = _split_dates(page, "/entries")
    sign_out(page)
    sign_in(page, scenario.admin.email)
    split += _split_dates(page, "/admin/approvals")
    split += _split_dates(page, "/admin/audit/")
    assert split == []


def test_audit_rows_stay_short_on_a_phone_and_the_data_opens_on_request(
    scenario: Scenario, page: Page
) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, scenario.admin.email)
    page.goto("/admin/audit/?action=project.freeze")
    page.wait_for_load_state("load")
    closed = page.evaluate(ROW_HEIGHTS)
    assert closed, "no freeze event in the audit log"
    assert max(closed) < 120, closed
    page.locator("main tbody summary", has_text="Details").first.click()
    data = page.locator("main tbody ul.changes").first
    assert "INC-2041" in data.inner_text()
    assert page.evaluate(ROW_HEIGHTS)[0] > closed[0]
    # On a desktop the opened data reads as wrapped lines within its column.
    page.set_viewport_size(DESKTOP)
    box = data.bounding_box()
    assert box is not None
    assert 150 < box["width"] <= 28 * 16 + 1
