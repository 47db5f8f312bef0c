"""A hold banner folds away once read, stays folded across pages, and opens for news."""

from __future__ import annotations

import html
import re

import pytest

from tests.dates import days_ago
from tracker.models import Hold, Incident, Project
from tracker.services import hold_banners, incidents

NOTICE = "The client is investigating a breach. Stop work until we write again."


@pytest.fixture
def held(make, auth):
    """Casey on CHORDUS, which is on hold; Casey signed in: (casey, project, hold)."""
    casey = make.contractor(name="Casey")
    project = make.project(code="CHORDUS", name="Core banking")
    make.assign(project, casey, start_date=days_ago(10))
    hold = make.hold(project, notice=NOTICE)
    auth.login(casey)
    return casey, project, hold


def _page(client, path: str = "/") -> str:
    return html.unescape(client.get(path).get_data(as_text=True))


def _banner(page: str) -> str:
    found = re.search(r'<section class="hold-banner[^"]*".*?</section>', page, re.S)
    assert found, "no banner"
    return found.group(0)


def _key(page: str) -> str:
    found = re.search(r'name="key" value="([^"]+)"', _banner(page))
    assert found
    return found.group(1)


def _fold(client, page: str, back: str = "/timesheet"):
    return client.post("/hold-banners/fold", data={"key": _key(page), "next": back})


def test_a_read_banner_folds_to_one_line_on_every_page_until_the_next_update(
    client, held, db, make
):
    _casey, _project, hold = held
    page = _page(client)
    assert 'role="alert"' in _banner(page)
    assert "Hide until there is news" in _banner(page)

    folded = _fold(client, page)
    assert folded.status_code == 302
    assert folded.location == "/timesheet"  # back where the reader was
    (cookie,) = [c for c in folded.headers.getlist("Set-Cookie") if "folded_holds" in c]
    assert re.match(rf"{hold_banners.COOKIE}=[\d.]+; ", cookie)  # ids only, nothing secret
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie

    for path in ("/", "/timesheet", "/entries"):
        banner = _banner(_page(client, path))
        assert 'class="hold-banner folded"' in banner
        assert 'role="alert"' not in banner
        # Still one line naming the hold; the notice is one tap away, without a script.
        assert "CHORDUS — Core banking is on hold since" in banner
        assert "<details>" in banner
        assert "Show the notice" in banner

    incident = db.get(Incident, hold.incident_id)
    incidents.post_update(db, make.admin(), incident, "The client found the cause.")
    db.commit()
    banner = _banner(_page(client))
    assert 'role="alert"' in banner  # news: the banner is back in full
    assert "folded" not in banner


def test_a_new_hold_in_the_same_incident_opens_the_banner_again(client, held, db, make):
    casey, _project, hold = held
    _fold(client, _page(client))
    assert "folded" in _banner(_page(client))
    other = make.project(code="LEDGER", name="Ledger")
    make.assign(other, casey, start_date=days_ago(10))
    db.add(Hold(project_id=other.id, incident_id=hold.incident_id, reason="r", notice=NOTICE))
    db.get(Project, other.id).status = "frozen"
    db.commit()
    banner = _banner(_page(client))
    assert 'role="alert"' in banner
    assert "LEDGER — Ledger" in banner


def test_another_hold_gets_its_own_banner_in_full_beside_the_folded_one(client, held, make):
    casey, _project, _hold = held
    _fold(client, _page(client))
    other = make.project(code="LEDGER", name="Ledger")
    make.assign(other, casey, start_date=days_ago(10))
    make.hold(other, notice="Another client, another pause.")
    banners = re.findall(r'<section class="hold-banner[^"]*"', _page(client))
    assert sorted(banners) == [
        '<section class="hold-banner folded"',
        '<section class="hold-banner"',
    ]


def test_a_folded_banner_can_be_kept_open_again(client, held):
    _fold(client, _page(client))
    page = _page(client)
    response = client.post(
        "/hold-banners/unfold", data={"key": _key(page), "next": "/entries?page=2"}
    )
    assert response.location == "/entries?page=2"
    assert 'role="alert"' in _banner(_page(client))


def test_a_banner_changed_since_the_page_was_drawn_stays_open(client, held, db, make):
    _casey, _project, hold = held
    page = _page(client)
    incidents.post_update(db, make.admin(), db.get(Incident, hold.incident_id), "News.")
    db.commit()
    assert _fold(client, page).status_code == 302
    assert 'role="alert"' in _banner(_page(client))  # the news is not hidden unread


@pytest.mark.parametrize(
    "cookie",
    ["", "x", "1.2.3", "1.2.3.4;5", "-".join(["1.1.1.1"] * 60), "9" * 3000],
)
def test_a_malformed_cookie_folds_nothing(client, held, cookie):
    client.set_cookie(hold_banners.COOKIE, cookie)
    assert 'role="alert"' in _banner(_page(client))


def test_a_key_of_someone_else_or_a_foreign_next_is_refused_quietly(client, held, make):
    casey, _project, hold = held
    page = _page(client)
    other = f"{casey.id + 1000}.{hold.incident_id}.0.{hold.id}"
    response = client.post("/hold-banners/fold", data={"key": other, "next": "//evil.example"})
    assert response.status_code == 302
    assert response.location == "/"  # never off-site
    assert "folded_holds" not in str(response.headers.getlist("Set-Cookie"))
    assert 'role="alert"' in _banner(_page(client))
    assert _fold(client, page, back="https://evil.example/").location == "/"


def test_other_roles_and_strangers_cannot_fold(client, auth, make):
    auth.login(make.admin())
    assert client.post("/hold-banners/fold", data={"key": "1.1.0.1"}).status_code == 403


def test_the_key_names_reader_incident_latest_update_and_newest_hold():
    assert hold_banners.banner_key(3, 7, None, [12, 9]) == "3.7.0.12"
    assert hold_banners.fold("3.7.0.12-3.8.0.1", "3.9.2.4", ["3.7.0.12", "3.9.2.4"]) == (
        "3.7.0.12-3.9.2.4"  # a stale key (incident 8, lifted) is dropped
    )
    assert hold_banners.unfold("3.7.0.12-3.9.2.4", "3.7.0.12") == "3.9.2.4"
    with pytest.raises(ValueError, match=r"3\.7"):
        hold_banners.fold(None, "3.7", [])
