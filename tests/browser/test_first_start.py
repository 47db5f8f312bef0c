"""Journey 1: first start — the setup link creates the admin, who sets up projects and people."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, Server

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://\S+/setup/\S+")


def _create_project(page: Page, code: str, name: str, rate: str, seats: str, skills: str) -> None:
    page.get_by_role("link", name="Projects", exact=True).click()
    page.get_by_role("link", name="New project").click()
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Client", exact=True).fill("Acme Logistics")
    page.get_by_label("Hourly rate", exact=True).fill(rate)
    page.get_by_label("Currency", exact=True).fill("EUR")
    page.get_by_label("Seats", exact=True).fill(seats)
    page.get_by_label("Skills wanted", exact=True).fill(skills)
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_text(f"Project {code} was created.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{code} — {name}")


def test_first_start_from_setup_link_to_an_assigned_contractor(
    live: Server, page: Page, second_page: Page
) -> None:
    output = live.cli("setup-link")
    found = LINK.search(output)
    assert found, output
    setup_url = found.group(0)
    assert setup_url.startswith(live.url)

    page.goto(setup_url)
    expect(page.get_by_role("heading", name="Create the first admin")).to_be_visible()
    page.get_by_label("Your name").fill("Ada Admin")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Timezone").select_option("Europe/Berlin")
    page.get_by_label("Password").fill("a long admin passphrase")
    page.get_by_role("button", name="Create admin").click()
    expect(page.get_by_text("Your admin account is ready. Next: create a project")).to_be_visible()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.get_by_text("No projects yet.")).to_be_visible()
    expect(page.get_by_role("contentinfo")).to_contain_text("times shown in Europe/Berlin")

    # The link worked once; opening it again says so.
    second_page.goto(setup_url)
    expect(second_page.get_by_role("heading", level=1)).not_to_have_text("Create the first admin")

    _create_project(page, "CHORDUS", "Chordus platform", "45.00", "3", "python, security")
    _create_project(page, "NIMBUS", "Nimbus migration", "50.00", "", "python, sql")
    page.get_by_role("link", name="Projects", exact=True).click()
    table = page.get_by_role("table")
    expect(table.get_by_role("link", name="CHORDUS")).to_be_visible()
    expect(table.get_by_role("link", name="NIMBUS")).to_be_visible()

    page.get_by_role("link", name="Users", exact=True).click()
    page.get_by_role("link", name="New user").click()
    page.get_by_label("Email").fill("casey@example.com")
    page.get_by_label("Name", exact=True).fill("Casey Contractor")
    page.get_by_label("Role").select_option("contractor")
    page.get_by_label("Skills").fill("python, security")
    page.get_by_label("Default hourly rate").fill("40.00")
    page.get_by_role("button", name="Create user").click()
    flash = page.locator(".flash-success")
    expect(flash).to_contain_text("Casey Contractor was created and emailed a one-time link")
    welcome = LINK.search(flash.inner_text())
    assert welcome, flash.inner_text()

    page.get_by_role("link", name="Projects", exact=True).click()
    page.get_by_role("table").get_by_role("link", name="CHORDUS").click()
    expect(page.get_by_text("Nobody is on this project yet.")).to_be_visible()
    page.get_by_label("Contractor", exact=True).select_option(
        label="Casey Contractor (casey@example.com)"
    )
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.get_by_text("Casey Contractor is now on CHORDUS.")).to_be_visible()
    assignments = page.get_by_role("table")
    expect(assignments.get_by_role("link", name="Casey Contractor", exact=True)).to_be_visible()
    expect(assignments).to_contain_text("active")

    # The new contractor opens their one-time link, sets a password and sees the project.
    second_page.goto(welcome.group(0))
    expect(second_page.get_by_role("heading", name="Set your password")).to_be_visible()
    second_page.get_by_label("Password").fill(PASSWORD)
    second_page.get_by_role("button", name="Set password").click()
    expect(second_page.get_by_role("heading", name="Hello, Casey Contractor")).to_be_visible()
    projects = second_page.get_by_role("table").filter(
        has=second_page.get_by_role("columnheader", name="Client")
    )
    expect(projects).to_contain_text("CHORDUS")
    expect(projects).not_to_contain_text("NIMBUS")
