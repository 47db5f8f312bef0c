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
from werkzeug.routing import Rule

from tests.dates import days_ago, today
from tracker.models import TimeEntry, User
from tracker.services import entries, payroll_batches, reassignment

ROLES = ("contractor", "payroll", "admin")
# Downloads are files for other programs (their number format is the chosen profile's).
SKIPPED = {"static", "payroll.download", "payroll.batch_file", "auth.logout"}
CURRENCIES = "EUR|USD|GBP"
AMOUNT = re.compile(rf"(-?[\d][\d,.]*)\s*(?:{CURRENCIES})\b|\b(?:{CURRENCIES})\s*(-?\d[\d,.]*)")
WRITTEN = re.compile(r"-?\d{1,3}(?:,\d{3})*\.\d{2}")
HEDGED_PLURAL = re.compile(r"\w\(s\)")


def _visible_text(html: str) -> str:
    """What a reader sees: the page without scripts, styles and tags."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    html = re.sub(r"</t[dh]>", " | ", html)  # cells side by side are not one phrase
    html = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html.replace("&nbsp;", " ").replace("&#39;", "'"))


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
    """A held project, a rich one (amounts over a thousand), entries in every state, a batch."""
    admin = make.admin(name="Alex Admin")
    payroll = make.payroll(name="Pat Payroll")
    person = make.contractor(name="Ana Lima", hourly_rate="1250.00")
    held = make.project(code="CHORDUS", name="Core banking", seats=3)
    rich = make.project(code="GOLD", name="Gold audit", hourly_rate="1250.00", seats=4)
    spare = make.project(code="SPARE", name="Spare capacity", seats=5)
    make.assign(held, person)
    on_rich = make.assign(rich, person)
    for days in (20, 19, 18, 3, 2):
        make.entry(person, rich, work_date=days_ago(days), minutes=450)
    make.entry(person, held, work_date=days_ago(4), minutes=90)
    old = db.query(TimeEntry).filter(TimeEntry.work_date <= days_ago(18)).all()
    entries.approve(db, db.get(User, admin.id), [e.id for e in old])
    db.commit()
    payroll_batches.create_batch(db, db.get(User, admin.id), days_ago(21), days_ago(19))
    db.commit()
    recent = db.query(TimeEntry).filter(TimeEntry.work_date == days_ago(3)).one()
    entries.reject(db, db.get(User, admin.id), [recent.id], "Please split this day by task.")
    db.commit()
    hold = make.hold(held)
    reassignment.accept(
        db, db.get(User, person.id), from_project_id=held.id, to_project_id=spare.id
    )
    db.commit()
    entry = db.query(TimeEntry).filter(TimeEntry.work_date == days_ago(2)).one()
    return {
        "admin": admin,
        "payroll": payroll,
        "contractor": person,
        "project_id": held.id,
        "user_id": person.id,
        "assignment_id": on_rich.id,
        "entry_id": entry.id,
        "from_project_id": held.id,
        "to_project_id": rich.id,
        "today": today(),
        "incident_id": hold.incident_id,
        "kind": "users",
    }


def _pages(app: Any, role: str, world: dict[str, Any]) -> list[str]:
    """The paths of every HTML page the role may GET, with real ids in them."""
    paths = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.rule.startswith("/api/") or rule.endpoint in SKIPPED:
            continue
        if "GET" not in (rule.methods or ()):
            continue
        allowed = getattr(app.view_functions[rule.endpoint], "allowed_roles", "public")
        if allowed == "public" or role not in allowed:
            continue
        paths.append(_path(rule, world))
    return paths


def _path(rule: Rule, world: dict[str, Any]) -> str:
    built = rule.build({name: world[name] for name in rule.arguments}, append_unknown=False)
    assert built is not None, rule.rule
    return built[1]


@pytest.mark.parametrize("role", ROLES)
def test_no_page_hedges_a_plural_or_writes_an_amount_another_way(app, client, auth, world, role):
    auth.login(world[role])
    pages = _pages(app, role, world)
    assert pages, role
    found = {}
    for path in pages:
        response = client.get(path)
        assert response.status_code < 500, path
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        wrong = slips(_visible_text(response.get_data(as_text=True)))
        if wrong:
            found[path] = wrong
    assert found == {}
