"""Journey: an admin imports contractors from a spreadsheet's CSV — dry run, preview, confirm."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, horizontal_overflow, sign_in
from tests.factories import Factory

pytestmark = pytest.mark.browser

GOOD = (
    "\ufeffemail;name;role;timezone;skills;hourly_rate\r\n"
    "ada@example.com;Ada Lovelace;contractor;Europe/Berlin;python;45,00\r\n"
    'bob@example.com;"Builder; Bob";contractor;;;\r\n'
).encode()
BAD = b"email,name,role\r\nada@example.com,Ada,chief\r\n"


def test_an_admin_previews_a_file_then_confirms_the_import(
    seed: Factory, page: Page, tmp_path: Path
) -> None:
    seed.admin(email="ada.admin@example.com", name="Ada Admin")
    sign_in(page, "ada.admin@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    page.get_by_role("link", name="Import from CSV").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import people")

    with page.expect_download() as info:
        page.get_by_role("link", name="Download the template").click()
    template = tmp_path / info.value.suggested_filename
    info.value.save_as(template)
    assert template.read_text().startswith("email,name,role,timezone,skills,hourly_rate")

    # A file with an error: listed by line and column, and nothing to confirm.
    page.get_by_label("CSV file").set_input_files(
        {"name": "bad.csv", "mimeType": "text/csv", "buffer": BAD}
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Nothing can be imported yet")).to_be_visible()
    errors = page.get_by_role("table", name="Errors by line and column")
    expect(errors.get_by_role("row").nth(1)).to_contain_text("2")
    expect(errors.get_by_role("row").nth(1)).to_contain_text("role")
    expect(page.get_by_role("button", name="now")).to_have_count(0)

    # The good file: a preview, then the import.
    page.get_by_label("CSV file").set_input_files(
        {"name": "people.csv", "mimeType": "text/csv", "buffer": GOOD}
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Preview")).to_be_visible()
    preview = page.get_by_role("table", name="What the import does, row by row")
    expect(preview).to_contain_text("ada@example.com")
    expect(preview).to_contain_text("bob@example.com")
    page.set_viewport_size(PHONE)  # the preview fits a phone: wide tables scroll in place
    assert horizontal_overflow(page) == 0
    page.get_by_role("button", name="Import 2 changes now").click()
    expect(
        page.get_by_text("Imported people.csv: 2 created, 0 updated, 0 unchanged.")
    ).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    expect(page.get_by_role("cell", name="Builder; Bob")).to_be_visible()


def test_the_import_pages_fit_a_phone(seed: Factory, page: Page) -> None:
    seed.admin(email="ada.admin@example.com", name="Ada Admin")
    page.set_viewport_size(PHONE)
    sign_in(page, "ada.admin@example.com")
    for path in ("/admin/imports/", "/admin/imports/users", "/admin/imports/assignments"):
        page.goto(path)
        assert horizontal_overflow(page) == 0, path
