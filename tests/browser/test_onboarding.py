"""Onboarding, as a new admin and a new contractor would try it, at desktop and phone width.

The admin assigns a contractor from an earlier start date and corrects it; the contractor logs
the days they already worked, reads refusals addressed to them, sets their own timezone; the
pages they use fit a 390 px phone without sideways scrolling (tables become cards). Every step
is photographed into screenshots/ at both widths.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    ROOT,
    horizontal_overflow,
    sign_in,
    sign_out,
    today,
    too_wide,
)
from tests.factories import Factory

pytestmark = pytest.mark.browser

OUT = ROOT / "screenshots"
_WIDER = """() => [...document.querySelectorAll('.table-scroll')]
  .filter(el => el.scrollWidth > el.clientWidth + 1)
  .map(el => (el.querySelector('table') || el).className + ': ' + el.scrollWidth + 'px')"""


def _photograph(page: Page, name: str, cards: bool = True) -> None:
    """The current page at both widths; at phone width nothing may reach past the screen, and
    with ``cards`` no table may scroll sideways either (its rows are cards)."""
    OUT.mkdir(exist_ok=True)
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        page.wait_for_load_state("load")
        page.screenshot(path=str(OUT / f"journey-{name}-{size['width']}.png"), full_page=True)
        if size is PHONE:
            assert horizontal_overflow(page) == 0, too_wide(page)
            if cards:
                assert page.evaluate(_WIDER) == [], f"{name}: a table scrolls sideways"
    page.set_viewport_size(DESKTOP)


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b}"


def test_a_new_contractor_logs_the_days_they_already_worked(seed: Factory, page: Page) -> None:
    admin = seed.admin(name="Ada Admin", email="ada@example.com")
    seed.contractor(name="Noor Newcomer", email="noor@example.com", hourly_rate="1250.00")
    chordus = seed.project(code="CHORDUS", name="Chordus platform", hourly_rate="45.00", seats=3)
    started = today() - dt.timedelta(days=3)
    typo = today() - dt.timedelta(days=6)
    earlier = today() - dt.timedelta(days=5)

    # The admin assigns Noor from the day she started, a typo at first, then corrects it.
    sign_in(page, admin.email)
    page.goto(f"/admin/projects/{chordus.id}")
    page.get_by_label("Contractor", exact=True).select_option(
        label="Noor Newcomer (noor@example.com)"
    )
    page.get_by_label("Start date", exact=True).fill(typo.isoformat())
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_text("Noor Newcomer is now on CHORDUS.")).to_be_visible()
    _photograph(page, "admin-project")
    page.get_by_role("link", name="Correct dates of Noor Newcomer").click()
    expect(page.get_by_role("heading", name="Dates of Noor Newcomer on CHORDUS")).to_be_visible()
    page.get_by_label("Start date", exact=True).fill(started.isoformat())
    page.get_by_label("End date", exact=True).fill((today() + dt.timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Save dates").click()
    expect(page.locator("#end_date-error")).to_contain_text("The end date is after today")
    _photograph(page, "assignment-dates-refused")
    page.get_by_label("End date", exact=True).fill("")
    page.get_by_role("button", name="Save dates").click()
    expect(page.get_by_text("The dates of Noor Newcomer on CHORDUS are saved.")).to_be_visible()
    expect(page.get_by_role("cell", name=started.isoformat())).to_be_visible()
    sign_out(page)

    # Noor logs the first day she worked; a bad duration is reported first, in her words.
    sign_in(page, "noor@example.com")
    page.goto("/entries/new")
    page.get_by_label("Project").select_option(label="CHORDUS — Chordus platform")
    page.get_by_label("Work date").fill(earlier.isoformat())
    page.get_by_label("Hours").fill("seven")
    page.get_by_role("button", name="Log hours").click()
    expect(page.locator("#hours-error")).to_be_visible()
    page.get_by_label("Hours").fill("7:30")
    page.get_by_role("button", name="Log hours").click()
    refusal = (
        f"You are not on CHORDUS on {_day(earlier)}: your assignment starts on {_day(started)}"
    )
    expect(page.locator("#work_date-error")).to_contain_text(refusal)
    _photograph(page, "log-hours-refused")
    page.get_by_label("Work date").fill(started.isoformat())
    page.get_by_role("button", name="Log hours").click()
    expect(page.get_by_text(f"Logged 7.50 h on CHORDUS for {started.isoformat()}.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        _day(started - dt.timedelta(days=started.weekday()))
    )
    _photograph(page, "timesheet")
    page.goto("/entries")
    _photograph(page, "entries")

    # Her own timezone, on the account page.
    page.goto("/account/")
    page.get_by_label("Your timezone").select_option("Asia/Kolkata")
    page.get_by_role("button", name="Save timezone").click()
    expect(page.get_by_text("Your timezone is Asia/Kolkata.")).to_be_visible()
    expect(page.get_by_role("contentinfo")).to_contain_text("times shown in Asia/Kolkata")
    _photograph(page, "account")
    sign_out(page)

    # The admin's approvals and audit log, in words.
    sign_in(page, admin.email)
    page.goto("/admin/approvals")
    _photograph(page, "approvals")
    page.goto("/admin/audit/")
    expect(page.get_by_text("assignment of Noor Newcomer on CHORDUS").first).to_be_visible()
    expect(page.get_by_text(re.compile(r"start date: \S+ → \S+"))).to_be_visible()
    _photograph(page, "audit", cards=False)  # a wide log scrolls inside its frame


def test_an_admin_is_asked_first_and_approves_a_whole_page(seed: Factory, page: Page) -> None:
    admin = seed.admin(name="Ada Admin", email="ada@example.com")
    ana = seed.contractor(name="Ana Lima", email="ana@example.com")
    ben = seed.contractor(name="Ben Okafor", email="ben@example.com")
    chordus = seed.project(code="CHORDUS", name="Chordus platform", hourly_rate="1250.00")
    for person in (ana, ben):
        seed.assign(chordus, person)
        for days in (1, 2, 9):
            seed.entry(person, chordus, work_date=today() - dt.timedelta(days=days), minutes=450)

    sign_in(page, admin.email)
    page.goto("/admin/approvals")
    expect(page.get_by_role("table", name="Per person")).to_contain_text("28,125.00 EUR")
    page.get_by_label("Select every entry on this page").check()
    expect(page.locator('input[name="entry_ids"]:checked')).to_have_count(6)
    _photograph(page, "approvals-totals")
    page.get_by_role("button", name="Approve selected").click()
    expect(page.get_by_text("Approved 6 entries.")).to_be_visible()

    page.goto(f"/admin/projects/{chordus.id}")
    page.get_by_role("link", name="End… the assignment of Ana Lima").click()
    expect(
        page.get_by_role("heading", name="End the assignment of Ana Lima on CHORDUS?")
    ).to_be_visible()
    _photograph(page, "end-assignment")
    page.get_by_role("link", name="Keep it").click()
    page.get_by_role("link", name="Close project for good…").click()
    expect(page.get_by_text("This cannot be undone.")).to_be_visible()
    _photograph(page, "close-project")
    page.get_by_role("button", name="Close CHORDUS for good").click()
    expect(page.get_by_text("Project CHORDUS is closed.")).to_be_visible()
    expect(page.get_by_role("heading", name="Assign a contractor")).to_have_count(0)
    _photograph(page, "closed-project")


def test_a_payroll_clerk_lands_on_the_next_step_and_copies_a_fingerprint(
    seed: Factory, page: Page
) -> None:
    from tracker.services import payroll_batches

    clerk = seed.payroll(name="Pat Payroll", email="pat@example.com")
    ana = seed.contractor(name="Ana Lima", email="ana@example.com")
    chordus = seed.project(code="CHORDUS", name="Chordus platform", hourly_rate="1250.00")
    seed.assign(chordus, ana)
    end = today().replace(day=1) - dt.timedelta(days=1)
    for days in (0, 1, 2):
        seed.entry(ana, chordus, work_date=end - dt.timedelta(days=days), status="approved")
    payroll_batches.create_batch(seed.db, None, end - dt.timedelta(days=1), end)
    seed.db.commit()

    sign_in(page, clerk.email)
    expect(page.get_by_role("heading", name=re.compile("Next step: last month"))).to_be_visible()
    expect(page.get_by_text("1 approved entry is not in a batch yet.")).to_be_visible()
    _photograph(page, "payroll-home")
    page.get_by_role("link", name="Preview last month").click()
    expect(page.get_by_label("Excel-friendly file")).to_be_visible()
    _photograph(page, "payroll-preview")
    page.goto("/payroll/batches")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name=re.compile("Copy")).click()
    expect(page.get_by_role("button", name=re.compile("Copied"))).to_be_visible()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert re.fullmatch(r"[0-9a-f]{64}", copied), copied
    _photograph(page, "payroll-batches")
