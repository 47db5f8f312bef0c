"""An incident as the admin starts it at 2 a.m. and the contractor reads and acknowledges it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in
from tests.factories import Factory

pytestmark = pytest.mark.browser

NOTICE = "The client is reevaluating the scope. Hours you logged are safe; we write again Friday."


def test_an_admin_stops_a_client_and_the_contractor_reads_and_acknowledges(
    seed: Factory, page: Page, second_page: Page
) -> None:
    admin = seed.admin(name="Ada Admin", email="ada@example.com")
    casey = seed.contractor(name="Casey Contractor", email="casey@example.com")
    for n in (1, 2):
        seed.assign(seed.project(code=f"ACME{n}", name=f"Acme work {n}", client="Acme"), casey)
    seed.project(code="NIMBUS", name="Nimbus migration", client="Globex")

    sign_in(page, admin.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Incidents").click()
    page.get_by_role("link", name="Start an incident…").click()
    page.get_by_label("Client", exact=True).fill("acme")
    page.get_by_label("Title (admins only)").fill("Acme suspends the vendor")
    page.get_by_label("Notice to contractors").fill(NOTICE)
    page.get_by_label("Internal reason").fill("Contract dispute")
    page.get_by_role("button", name="Review before starting…").click()
    expect(page.get_by_text("2 projects and 1 contractor will be stopped.")).to_be_visible()
    page.get_by_role("button", name="Stop work now").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Acme suspends the vendor")
    expect(page.get_by_text("Not yet (1)")).to_be_visible()

    contractor = second_page
    sign_in(contractor, casey.email)
    banners = contractor.locator(".hold-banner")
    expect(banners).to_have_count(1)  # two held projects of one client: one banner
    expect(banners).to_contain_text("ACME1")
    expect(banners).to_contain_text("ACME2")
    banners.get_by_role("link", name="Read the notice and its updates").click()
    expect(contractor.get_by_text(NOTICE).first).to_be_visible()
    expect(contractor.locator("main")).not_to_contain_text("Acme suspends the vendor")
    expect(contractor.locator("main")).not_to_contain_text("Contract dispute")
    expect(contractor.get_by_role("heading", name="Projects you can move to")).to_be_visible()
    expect(contractor.get_by_role("link", name="Join NIMBUS…")).to_be_visible()
    contractor.get_by_role("button", name="I have read this").click()
    expect(contractor.get_by_text("You confirmed you have read this")).to_be_visible()

    page.reload()
    expect(page.get_by_text("Acknowledged (1)")).to_be_visible()
    expect(page.get_by_text("Casey Contractor (casey@example.com)")).to_be_visible()
