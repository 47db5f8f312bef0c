"""Arabic in a real browser: every role's main pages are right to left at phone and desktop
width (the navigation starts at the right edge, nothing is cut off or drawn over something
else), and a contractor who reads Arabic logs hours with Arabic digits and lives a hold.

The pictures go to screenshots/ as ``rtl-<who>-<page>-<width>.png``."""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

import pytest
from babel.dates import format_skeleton
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    DESKTOP,
    PASSWORD,
    PHONE,
    SCREENSHOTS,
    Scenario,
    layout_problems,
    screenshot_name,
    sign_in,
    today,
)
from tests.factories import Factory

pytestmark = pytest.mark.browser

ARABIC = {"Accept-Language": "ar,en;q=0.5"}
NOTICE = "تحقق شركة أكمي في حادث أمني. أوقفوا العمل على CHORDUS حتى نبلغكم بالمزيد."

# Where the header's parts are: the brand and the first navigation link sit at the inline
# start of the bar (the right edge in Arabic), the next links follow towards the left.
_HEADER = """() => {
  const bar = document.querySelector('header.site .bar');
  const box = bar.getBoundingClientRect();
  const style = getComputedStyle(bar);
  const brand = bar.firstElementChild.getBoundingClientRect();
  const list = document.querySelector('header.site nav ul');
  const items = list ? [...list.children].map(li => li.getBoundingClientRect()) : [];
  return {
    start: box.right - parseFloat(style.paddingRight),
    brandRight: brand.right, brandLeft: brand.left, brandTop: brand.top,
    listRight: list ? list.getBoundingClientRect().right : null,
    items: items.map(r => ({left: r.left, right: r.right, top: r.top})),
  };
}"""


def _sign_in_in_any_language(page: Page, email: str) -> None:
    """Sign in through the form by its fields (their labels are in the page's language)."""
    page.goto("/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


def _nav_hrefs(page: Page) -> list[str]:
    """The main navigation's links, found by place (their names are in the page's language)."""
    return [a.get_attribute("href") or "" for a in page.locator("header.site nav a").all()]


def _sign_out(page: Page) -> None:
    page.locator("form.signout button[type=submit]").click()
    page.wait_for_url("**/login")


def _header_problems(page: Page, path: str) -> list[str]:
    """A line when the header does not start at the right edge or its links run left to right."""
    found: dict[str, Any] = page.evaluate(_HEADER)
    problems = []
    if abs(found["brandRight"] - found["start"]) > 1:
        problems.append(f"{path}: the brand is not at the right edge: {found}")
    items = found["items"]
    if items:
        if abs(items[0]["right"] - found["listRight"]) > 1:
            problems.append(f"{path}: the first link is not at the navigation's right: {found}")
        for before, after in pairwise(items):
            if abs(before["top"] - after["top"]) < 2 and not after["right"] <= before["left"] + 1:
                problems.append(f"{path}: navigation links run left to right: {found}")
                break
        if (
            abs(items[0]["top"] - found["brandTop"]) < 20
            and found["listRight"] > found["brandLeft"]
        ):
            problems.append(f"{path}: the navigation is not left of the brand: {found}")
    return problems


def _check_in_arabic(page: Page, who: str, paths: list[str]) -> list[str]:
    """Each path at phone and desktop width: right to left, fitting, photographed."""
    SCREENSHOTS.mkdir(exist_ok=True)
    problems = []
    for path in dict.fromkeys(paths):
        for size in (PHONE, DESKTOP):
            page.set_viewport_size(size)
            response = page.goto(path)
            if response is None or not response.ok:
                problems.append(f"{path}: answered {response.status if response else None}")
                continue
            where = f"{path} at {size['width']}px"
            html = page.locator("html")
            if (html.get_attribute("lang"), html.get_attribute("dir")) != ("ar", "rtl"):
                problems.append(f"{where}: not marked as Arabic, right to left")
            problems += [f"{line} (at {size['width']}px)" for line in layout_problems(page, path)]
            if page.locator("header.site nav").count():
                problems += _header_problems(page, where)
            page.screenshot(
                path=str(SCREENSHOTS / screenshot_name(f"rtl-{who}", path, size)), full_page=True
            )
    return problems


def test_every_roles_main_pages_are_right_to_left_and_fit(scenario: Scenario, page: Page) -> None:
    page.context.set_extra_http_headers(ARABIC)
    problems: list[str] = []
    seen = 0
    incident = f"/admin/incidents/{scenario.hold.incident_id}"
    for user, extra in scenario.main_pages():
        if user is scenario.admin:
            extra = [*extra, incident, f"{incident}/report"]
        _sign_in_in_any_language(page, user.email)
        who = user.email.split("@")[0]
        paths = _nav_hrefs(page) + extra
        assert len(paths) >= 3, (who, paths)
        seen += len(set(paths))
        problems += _check_in_arabic(page, who, paths)
        _sign_out(page)
    problems += _check_in_arabic(page, "anonymous", ["/login"])
    assert problems == [], "\n".join(problems)
    assert seen >= 25


def test_a_stored_arabic_choice_mirrors_the_pages_whatever_the_browser(
    scenario: Scenario, page: Page
) -> None:
    sign_in(page, scenario.contractor.email)  # an English browser, English sign-in page
    page.goto("/account/")
    choice = page.locator("select[name=lg-language]")
    choice.select_option("ar")
    choice.locator("xpath=ancestor::form").locator("button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.goto("/timesheet")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    # The weekly grid keeps the ISO week: Monday is the first day, drawn at the right.
    headers = page.locator("table.timesheet thead th.num")
    first, last = headers.first.bounding_box(), headers.nth(6).bounding_box()
    assert first is not None
    assert last is not None
    assert first["x"] > last["x"], "Monday should be right of Sunday"


# What stays as it is in any language: a link, the project's code and name, the timezone's name.
_DATA = re.compile(r"https?://\S+|CHORDUS|Chordus platform|UTC")


def _words_outside_data(text: str) -> list[str]:
    """Latin-script words in ``text`` apart from the data it names (empty: it reads in Arabic)."""
    return re.findall(r"[A-Za-z]+", _DATA.sub("", text))


def _freeze(admin: Page, code: str) -> None:
    """Freeze from the admin project page (the admin's pages are in English)."""
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Projects").click()
    admin.get_by_role("table").get_by_role("link", name=code).click()
    admin.get_by_label("Notice to contractors").fill(NOTICE)
    admin.get_by_label("Internal reason").fill("Breach of the client's CI system")
    admin.get_by_label("Incident reference").fill("INC-2041")
    admin.get_by_role("button", name="Review the hold").click()
    admin.get_by_role("button", name=f"Put {code} on hold now").click()
    expect(admin.get_by_role("heading", level=1)).to_contain_text("On hold")


def test_an_arabic_contractor_logs_hours_with_arabic_digits_and_reads_the_hold(
    seed: Factory, page: Page, second_page: Page
) -> None:
    seed.admin(name="Ada Admin", email="ada@example.com")
    casey = seed.contractor(name="Casey Contractor", email="casey@example.com")
    chordus = seed.project(code="CHORDUS", name="Chordus platform", hourly_rate="45.00")
    seed.assign(chordus, casey)
    contractor = page
    contractor.context.set_extra_http_headers(ARABIC)
    month_day = format_skeleton("MMMd", today(), locale="ar")  # "7 ديسمبر"
    with_year = format_skeleton("yMMMd", today(), locale="ar")  # "7 ديسمبر 2026"

    _sign_in_in_any_language(contractor, casey.email)
    expect(contractor.locator("html")).to_have_attribute("dir", "rtl")

    # Hours typed with an Arabic keyboard: Arabic-Indic digits and the Arabic decimal mark.
    contractor.goto("/entries/new")
    contractor.locator("select[name=project_id]").select_option(label="CHORDUS — Chordus platform")
    expect(contractor.locator("input[name=work_date]")).to_have_value(today().isoformat())
    contractor.locator("input[name=hours]").fill("٧٫٥")
    contractor.locator("textarea[name=description]").fill("مراجعة الشيفرة")
    contractor.locator("form.entry-form button[type=submit]").click()
    expect(contractor.locator(".flash-success")).to_contain_text("7.50")
    contractor.goto("/entries")
    row = contractor.locator("main table tbody tr", has_text="مراجعة الشيفرة")
    expect(row).to_contain_text("CHORDUS")
    expect(row).to_contain_text("7.50")
    # The dashboard's week chart runs right to left, Monday at the right edge.
    contractor.goto("/")
    texts = contractor.locator("svg.week-chart text")
    monday_label = texts.filter(has_text=re.compile("^الاثنين$"))
    sunday_label = texts.filter(has_text=re.compile("^الأحد$"))
    expect(monday_label).to_have_count(1)
    monday_box, sunday_box = monday_label.bounding_box(), sunday_label.bounding_box()
    assert monday_box is not None
    assert sunday_box is not None
    assert monday_box["x"] > sunday_box["x"]
    assert layout_problems(contractor, "/") == []
    contractor.screenshot(
        path=str(SCREENSHOTS / screenshot_name("rtl-journey", "/", DESKTOP)), full_page=True
    )

    # The contractor starts a second entry; meanwhile the admin puts the project on hold.
    contractor.goto("/entries/new")
    contractor.locator("select[name=project_id]").select_option(label="CHORDUS — Chordus platform")
    contractor.locator("input[name=hours]").fill("٢")
    sign_in(second_page, "ada@example.com")
    _freeze(second_page, "CHORDUS")

    # The refusal is in the reader's language, beside the field, and keeps what was typed.
    contractor.locator("form.entry-form button[type=submit]").click()
    error = contractor.locator(".field.has-error .error")
    expect(error).to_contain_text("CHORDUS")
    expect(error).to_contain_text(month_day)
    assert _words_outside_data(error.inner_text()) == []
    expect(contractor.locator("input[name=hours]")).to_have_value("٢")
    expect(contractor.locator("html")).to_have_attribute("dir", "rtl")

    # The banner on every page: the notice exactly as typed, the start in Arabic.
    contractor.goto("/")
    banner = contractor.locator(".hold-banner")
    expect(banner).to_contain_text(NOTICE)
    expect(banner.locator(".notice")).to_have_attribute("dir", "auto")
    expect(banner).to_contain_text(with_year)
    expect(banner).to_contain_text("CHORDUS — Chordus platform")
    assert _words_outside_data(banner.locator("h2").inner_text()) == []
    assert layout_problems(contractor, "/") == []

    # The incident page tells the same, in Arabic, right to left.
    banner.locator("a[href*='/incidents/']").first.click()
    expect(contractor.locator("html")).to_have_attribute("dir", "rtl")
    main = contractor.get_by_role("main")
    expect(main).to_contain_text(NOTICE)
    expect(main).to_contain_text(with_year)
    assert _words_outside_data(main.locator("h1").inner_text()) == []
    incident = re.search(r"/incidents/\d+$", contractor.url)
    assert incident
    assert layout_problems(contractor, incident.group(0)) == []
    contractor.screenshot(
        path=str(SCREENSHOTS / screenshot_name("rtl-journey", "/incident", DESKTOP)), full_page=True
    )
