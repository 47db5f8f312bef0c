"""Pages answer bad filters, weeks and ids with a message or a 404 page, never a 500.

The week at each end of the calendar shows without the link that would leave it; a filter that
does not parse is left out and the page says so; an id no row can have is a 404 page.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.dates import today

BEYOND = [str(2**31), str(2**63), "\u00b2", "\u0661"]


@pytest.fixture
def contractor(make, auth):
    user = make.contractor()
    project = make.project()
    make.assign(project, user, start_date=dt.date(1, 1, 1))
    auth.login(user)
    return user


@pytest.fixture
def admin(make, auth):
    user = make.admin()
    auth.login(user)
    return user


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_the_first_week_of_the_calendar_has_no_previous_week(client, contractor):
    response = client.get("/timesheet?week=0001-W01")
    assert response.status_code == 200
    assert "0001-W02" in _text(response)
    assert 'rel="prev"' not in _text(response)


def test_the_last_whole_week_of_the_calendar_has_no_next_week(client, contractor):
    response = client.get("/timesheet?week=9999-W51")
    assert response.status_code == 200
    assert "9999-W50" in _text(response)
    assert 'rel="next"' not in _text(response)


@pytest.mark.parametrize(
    ("week", "message"),
    [
        ("9999-W52", "Give an ISO week up to 9999-W51."),
        ("2021-W53", "Give an ISO week like 2026-W49."),  # 2021 has 52 weeks
        ("0000-W01", "Give an ISO week like 2026-W49."),
        ("\u0662\u0660\u0662\u0666-W01", "Give an ISO week like 2026-W49."),
    ],
)
def test_a_week_the_calendar_does_not_hold_is_explained(client, contractor, week, message):
    response = client.get("/timesheet", query_string={"week": week}, follow_redirects=True)
    assert response.status_code == 200
    assert message in _text(response)


def test_week_53_of_a_year_that_has_one_is_shown(client, contractor):
    response = client.get("/timesheet?week=2026-W53")
    assert response.status_code == 200
    assert "28 Dec 2026 – 3 Jan 2027" in _text(response)


@pytest.mark.parametrize("value", BEYOND)
def test_a_filter_that_is_no_id_is_left_out_with_a_message(client, contractor, value):
    response = client.get("/entries", query_string={"project_id": value})
    assert response.status_code == 200
    assert "project_id: Give an id" in _text(response)
    assert "That filter was left out." in _text(response)


def test_entries_filtered_to_the_ends_of_the_calendar_are_listed(client, contractor, make):
    response = client.get("/entries?from=0001-01-01&to=9999-12-31")
    assert response.status_code == 200
    bad = client.get("/entries?from=0000-01-01&after=2026-01-01_" + str(2**40))
    assert bad.status_code == 200
    assert "from: Enter a date like 2026-12-01." in _text(bad)


@pytest.mark.parametrize("value", BEYOND)
def test_an_id_no_row_can_have_in_a_page_address_is_a_404_page(client, contractor, value):
    response = client.get(f"/entries/{value}/edit")
    assert response.status_code == 404
    assert "<html" in _text(response)


def test_admin_filters_at_and_beyond_the_edges_get_messages(client, admin):
    approvals = client.get(f"/admin/approvals?week=9999-W52&user_id={2**31}")
    assert approvals.status_code == 200
    assert "week: Give an ISO week up to 9999-W51." in _text(approvals)
    assert "user_id: Give an id" in _text(approvals)
    audit = client.get("/admin/audit/?to=9999-12-31&actor_id=%C2%B2&action=%00")
    assert audit.status_code == 200
    assert "actor_id: Give an id" in _text(audit)
    assert "action: Contains control characters" in _text(audit)
    assert client.get(f"/admin/projects/{2**31}").status_code == 404
    assert client.get(f"/admin/entries/new?corrects={2**63}").status_code == 200


def test_an_odd_entry_number_to_correct_is_refused_beside_its_field(client, admin, make, db):
    contractor = make.contractor()
    project = make.project()
    make.assign(project, contractor)
    form = {
        "user_id": contractor.id,
        "project_id": project.id,
        "work_date": today().isoformat(),
        "hours": "-1",
    }
    for corrects in ("\u00b2", "\u0661", str(2**31)):
        response = client.post("/admin/entries/new", data={**form, "corrects_entry_id": corrects})
        assert response.status_code == 422
        assert "Give the entry number, like 42." in _text(response)


def test_ticking_an_entry_number_no_row_can_have_changes_nothing(client, admin):
    response = client.post(
        "/admin/approvals", data={"entry_ids": [str(2**40), "\u00b2"], "action": "approve"}
    )
    assert response.status_code == 422
    assert "Tick at least one entry first." in _text(response)


# --- sign-in forms: typed text that no account can hold --------------------------------------


def _in_other_digits(code: str) -> str:
    return "".join(chr(0x660 + int(d)) for d in code)  # Arabic-Indic digits


@pytest.mark.parametrize("email", ["a\x00b@example.com", "\x00", "x\x1f@example.com"])
def test_a_typed_email_with_control_characters_is_refused_at_the_form(client, make, email):
    make.contractor()
    response = client.post("/login", data={"email": email, "password": "x" * 12})
    assert response.status_code == 400
    assert "Contains control characters" in _text(response)


def test_a_second_factor_code_in_other_digits_is_a_wrong_code(client, make, db):
    from tests.conftest import PASSWORD
    from tracker.services import mfa

    user = make.contractor()
    secret = mfa.new_secret()
    db.merge(user).totp_secret = secret
    db.commit()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    response = client.post("/login/code", data={"code": _in_other_digits(mfa.code_at(secret))})
    assert response.status_code < 500
    assert "not right" in _text(response)
    assert client.get("/").status_code == 302  # still not signed in
