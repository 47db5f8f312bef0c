"""Journeys 3 and 4: an incident hold as the contractor lives it, then the hold lifted."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import nav_paths, sign_in, today
from tests.factories import Factory

pytestmark = pytest.mark.browser

NOTICE = "Acme is investigating a security incident. Stop work on CHORDUS until we tell you more."


def _nav(page: Page, label: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=label).click()


def _log_hours(page: Page, project_label: str, hours: str, description: str) -> None:
    """Fill the log-hours form for today (the default date) and submit it."""
    _nav(page, "Log hours")
    page.get_by_label("Project").select_option(label=project_label)
    expect(page.get_by_label("Work date")).to_have_value(today().isoformat())
    page.get_by_label("Hours").fill(hours)
    page.get_by_label("What you worked on").fill(description)
    page.get_by_role("button", name="Log hours").click()


def _freeze(admin: Page, code: str) -> None:
    """Freeze from the admin project page: the form, the confirmation, then the hold."""
    _nav(admin, "Projects")
    admin.get_by_role("table").get_by_role("link", name=code).click()
    admin.get_by_label("Notice to contractors").fill(NOTICE)
    admin.get_by_label("Internal reason").fill("Breach of the client's CI system")
    admin.get_by_label("Incident reference").fill("INC-2041")
    admin.get_by_role("button", name="Review the hold").click()
    expect(admin.get_by_role("heading", level=1)).to_contain_text(f"Confirm: put {code}")
    expect(admin.get_by_text("1 contractor will be affected.")).to_be_visible()
    admin.get_by_role("button", name=f"Put {code} on hold now").click()
    expect(admin.get_by_text("1 contractor was notified.")).to_be_visible()
    expect(admin.get_by_role("heading", level=1)).to_contain_text("On hold")


def test_a_hold_stops_time_entry_and_the_contractor_moves_to_an_offered_project(
    seed: Factory, page: Page, second_page: Page
) -> None:
    admin = seed.admin(name="Ada Admin", email="ada@example.com", timezone="Europe/Berlin")
    casey = seed.contractor(
        name="Casey Contractor", email="casey@example.com", skills="python, security"
    )
    chordus = seed.project(code="CHORDUS", name="Chordus platform", hourly_rate="45.00")
    seed.project(
        code="NIMBUS", name="Nimbus migration", hourly_rate="50.00", seats=3, skills="python"
    )
    seed.assign(chordus, casey)
    contractor = second_page

    # The contractor starts filling in hours; meanwhile the admin puts the project on hold.
    sign_in(contractor, casey.email)
    _nav(contractor, "Log hours")
    contractor.get_by_label("Project").select_option(label="CHORDUS — Chordus platform")
    contractor.get_by_label("Hours").fill("2")
    contractor.get_by_label("What you worked on").fill("Pipeline review")

    sign_in(page, admin.email)
    _freeze(page, "CHORDUS")

    # Each person reads the hold's start in their own timezone.
    expect(page.locator(".hold-current")).to_contain_text(re.compile(r"since \S+ \S+ CES?T"))

    # Submitting now is refused, beside the project, with the rule in one line (the banner
    # above shows the admin's notice; the refusal does not repeat it).
    contractor.get_by_role("button", name="Log hours").click()
    error = contractor.locator(".field.has-error .error")
    expect(error).to_contain_text("CHORDUS is on hold since")
    expect(error).to_contain_text("no hours can be logged or changed until it is lifted")
    expect(error).not_to_contain_text(NOTICE)
    expect(contractor.get_by_label("Hours")).to_have_value("2")  # what was typed is kept

    # The banner with the notice is on every page of the portal.
    for label, path in nav_paths(contractor):
        contractor.goto(path)
        banner = contractor.get_by_role("alert").filter(has_text="is on hold since")
        expect(banner, f"banner on {label}").to_contain_text("CHORDUS — Chordus platform")
        expect(banner, f"notice on {label}").to_contain_text(NOTICE)
        expect(banner, f"local time on {label}").to_contain_text(re.compile(r"since \S+ \S+ UTC"))
    _nav(contractor, "Log hours")
    held_option = contractor.get_by_label("Project").locator("option", has_text="CHORDUS")
    expect(held_option).to_contain_text("on hold since")
    expect(held_option).to_be_disabled()

    # The contractor follows the banner to the offers and joins the other project.
    contractor.get_by_role("link", name="See projects you can move to").click()
    expect(contractor.get_by_role("heading", name="Projects you can move to")).to_be_visible()
    offers = contractor.get_by_role("table")
    expect(offers).to_contain_text("NIMBUS")
    expect(offers).to_contain_text("50.00 EUR/h")
    offers.get_by_role("link", name="Join NIMBUS").click()
    expect(contractor.get_by_role("heading", level=1)).to_contain_text("Join NIMBUS")
    contractor.get_by_role("button", name="Join NIMBUS").click()
    expect(contractor.get_by_text("You joined NIMBUS — Nimbus migration.")).to_be_visible()

    _log_hours(contractor, "NIMBUS — Nimbus migration", "3h", "Migration dry run")
    expect(
        contractor.get_by_text(f"Logged 3.00 h on NIMBUS for {today().isoformat()}.")
    ).to_be_visible()

    # Journey 4: the admin lifts the hold; the banner goes and CHORDUS takes time again.
    page.get_by_label("Closing note").fill("Client confirmed the all-clear.")
    page.get_by_role("button", name="Lift the hold").click()
    expect(page.get_by_text("The hold on CHORDUS is lifted")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Open")

    for label, path in nav_paths(contractor):
        contractor.goto(path)
        expect(contractor.locator(".hold-banner"), f"no banner on {label}").to_have_count(0)
    _log_hours(contractor, "CHORDUS — Chordus platform", "2", "Pipeline review")
    expect(
        contractor.get_by_text(f"Logged 2.00 h on CHORDUS for {today().isoformat()}.")
    ).to_be_visible()
    _nav(contractor, "Timesheet")
    expect(contractor.locator("tfoot .week-total")).to_contain_text("5.00")

    # Both notices reached the contractor's notifications.
    contractor.get_by_role("link", name="Notifications").click()
    expect(contractor.get_by_role("main")).to_contain_text(NOTICE)
    expect(contractor.get_by_role("main")).to_contain_text("all-clear")
