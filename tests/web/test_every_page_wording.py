"""Every page of every role, rendered with data worth showing, reads as written for people.

Two slips are caught on any page: a plural hedged as "(s)" ("1 cell(s)"), and an amount that is
not written the one way the money filter writes it ("1,250.00 EUR": two decimals, thousands
separated, the currency after). A route added later is rendered too: the pages come from the
app's url_map.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.every_page import ROLES, build_world, pages, visible_text

CURRENCIES = "EUR|USD|GBP"
AMOUNT = re.compile(rf"(-?[\d][\d,.]*)\s*(?:{CURRENCIES})\b|\b(?:{CURRENCIES})\s*(-?\d[\d,.]*)")
WRITTEN = re.compile(r"-?\d{1,3}(?:,\d{3})*\.\d{2}")
HEDGED_PLURAL = re.compile(r"\w\(s\)")


def slips(text: str) -> list[str]:
    """The wording slips in a page's visible text."""
    found = [m.group(0) for m in HEDGED_PLURAL.finditer(text)]
    for match in AMOUNT.finditer(text):
        number = match.group(1) or match.group(2)
        if match.group(2) is not None or not WRITTEN.fullmatch(number):
            found.append(match.group(0))
    return found


def test_the_checker_catches_the_slips_and_passes_the_money_filter():
    assert slips("Nothing was saved: 1 cell(s) need a change") == ["l(s)"]
    assert slips("Total 1250.00 EUR") == ["1250.00 EUR"]
    assert slips("Rate 45.5 EUR per hour") == ["45.5 EUR"]
    assert slips("EUR 45.00") == ["EUR 45.00"]
    assert slips("Total 1,250.00 EUR, rate 45.00 USD/h, -3.75 EUR, ISO code, e.g. EUR, USD") == []


@pytest.fixture
def world(db, make) -> dict[str, Any]:
    return build_world(db, make)


@pytest.mark.parametrize("role", ROLES)
def test_no_page_hedges_a_plural_or_writes_an_amount_another_way(app, client, auth, world, role):
    auth.login(world[role])
    paths = pages(app, role, world)
    assert paths, role
    found = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code < 500, path
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        wrong = slips(visible_text(response.get_data(as_text=True)))
        if wrong:
            found[path] = wrong
    assert found == {}
