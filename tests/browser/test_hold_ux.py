"""During a hold, at phone and desktop width: the banner folds away once read and comes back
for news; the timesheet's cells the hold makes read-only say why, visibly and to a screen reader.

Every step is photographed into screenshots/ (hold-ux-*-390.png and -1280.png).
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, PHONE, ROOT, horizontal_overflow, sign_in, too_wide
from tests.factories import Factory
from tracker.clock import utcnow
from tracker.models import Incident
from tracker.services import incidents

pytestmark = pytest.mark.browser

OUT = ROOT / "screenshots"
NOTICE = (
    "Acme is investigating a security incident on its build servers. Stop all work on CHORDUS, "
    "do not push code, and wait for our next update before you resume."
)


def _shoot(page: Page, name: str, size: dict[str, int]) -> None:
    OUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUT / f"hold-ux-{name}-{size['width']}.png"))
    assert horizontal_overflow(page) == 0, too_wide(page)


def _share_of_screen(page: Page, size: dict[str, int]) -> float:
    """How much of the first screen the hold banners take (0 to 1)."""
    box = page.locator(".hold-banner").first.bounding_box()
    assert box is not None
    return box["height"] / size["height"]


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["390", "1280"])
def test_the_banner_folds_once_read_and_held_cells_say_why(
    seed: Factory, page: Page, size: dict[str, int]
) -> None:
    admin = seed.admin(name="Ada Admin", email="ada@example.com")
    casey = seed.contractor(name="Casey Contractor", email="casey@example.com")
    chordus = seed.project(code="CHORDUS", name="Chordus platform")
    seed.project(code="NIMBUS", name="Nimbus migration", seats=3)
    seed.assign(chordus, casey, start_date=utcnow().date() - dt.timedelta(days=20))
    # Since this morning, with backfill: days before today still take hours, today does not.
    started = dt.datetime.combine(utcnow().date(), dt.time(0, 5), tzinfo=dt.UTC)
    hold = seed.hold(chordus, notice=NOTICE, allow_backfill=True, started_at=started)
    page.set_viewport_size(size)
    sign_in(page, casey.email)

    # First visit: the banner in full, read as an alert, with the way to fold it.
    banner = page.get_by_role("alert").filter(has_text="is on hold since")
    expect(banner).to_contain_text(NOTICE)
    full_share = _share_of_screen(page, size)
    _shoot(page, "banner-full", size)
    banner.get_by_role("button", name="Hide until there is news").click()

    # Folded: one line on every page, no longer an alert; the notice one tap away.
    folded = page.locator(".hold-banner.folded")
    expect(folded).to_contain_text("CHORDUS — Chordus platform is on hold since")
    expect(page.get_by_role("alert")).to_have_count(0)
    folded_share = _share_of_screen(page, size)
    assert folded_share < full_share / 2, (full_share, folded_share)
    print(
        f"banner at {size['width']} px: {full_share:.0%} of the screen, folded {folded_share:.0%}"
    )
    _shoot(page, "banner-folded", size)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Timesheet").click()
    expect(folded).to_have_count(1)
    expect(folded.get_by_text(NOTICE)).to_be_hidden()
    folded.get_by_text("Show the notice").click()
    expect(folded.get_by_text(NOTICE)).to_be_visible()
    folded.locator("summary").click()

    # The timesheet: the rule is written above the grid, and today's held cell says so itself.
    hint = page.locator(".hold-hint")
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("CHORDUS is on hold since")
    expect(hint).to_contain_text("only days before")
    expect(hint).not_to_contain_text(NOTICE)
    today_cell = page.locator("td.cell.today.held")
    expect(today_cell).to_have_count(1)
    expect(today_cell.locator(".held-note")).to_be_visible()
    expect(today_cell.locator("input")).to_have_count(0)
    expect(today_cell).to_have_attribute("aria-describedby", hint.get_attribute("id") or "")
    rule = hint.inner_text().split(" Notice, updates")[0].strip()
    expect(today_cell).to_have_attribute("title", f"Read-only: {rule}")
    today_cell.scroll_into_view_if_needed()
    _shoot(page, "timesheet-held-cells", size)

    # News from the admin: the banner opens again, on every page.
    incidents.post_update(
        seed.db, admin, seed.db.get(Incident, hold.incident_id), "The client found the cause."
    )
    seed.db.commit()
    page.reload()
    expect(page.get_by_role("alert").filter(has_text="is on hold since")).to_contain_text(NOTICE)
    page.evaluate("window.scrollTo(0, 0)")
    _shoot(page, "banner-after-update", size)
