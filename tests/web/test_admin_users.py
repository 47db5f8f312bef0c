"""Admin user management in the browser: create, refuse bad input, disable, reset, sign out."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from tracker.models import AuditEvent, User

NEW = {
    "email": "Nia.Novak@Example.com",
    "name": "Nia Novak",
    "role": "contractor",
    "timezone": "Europe/Berlin",
    "skills": "Python, security, python",
    "hourly_rate": "45.50",
}


@pytest.fixture
def admin(auth, make):
    user = make.admin(name="Alex Admin")
    auth.login(user)
    return user


def _count_users(db: Any) -> int:
    return db.scalar(select(func.count()).select_from(User))


def _link(page: str) -> str:
    match = re.search(r"http://tracker\.test(/setup/[A-Za-z0-9_-]+)", page)
    assert match, "no setup link on the page"
    return match.group(1)


def test_admin_creates_a_contractor_with_all_details(client, admin, db):
    response = client.post("/admin/users/new", data=NEW, follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Nia Novak was created" in page
    user = db.scalar(select(User).where(User.email == "nia.novak@example.com"))
    assert user is not None
    assert user.role == "contractor"
    assert user.timezone == "Europe/Berlin"
    assert user.skills == ["python", "security"]
    assert user.hourly_rate == Decimal("45.50")
    assert user.password_hash is None  # they set it through the one-time link
    event = db.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "user.create", AuditEvent.target_id == user.id
        )
    )
    assert event is not None
    assert event.actor_id == admin.id
    assert event.data["after"]["email"] == "nia.novak@example.com"


def test_the_welcome_link_lets_the_new_user_set_a_password_once(app, client, admin, db):
    page = client.post("/admin/users/new", data=NEW, follow_redirects=True).get_data(as_text=True)
    link = _link(page)
    newcomer = app.test_client()
    opened = newcomer.get(link)
    assert (opened.status_code, opened.headers["Location"]) == (303, "/setup")  # token off the URL
    form = newcomer.get("/setup")
    assert form.status_code == 200
    assert link not in form.get_data(as_text=True)
    done = newcomer.post("/setup", data={"password": "a brand new passphrase"})
    assert done.status_code == 302
    assert newcomer.get("/").status_code == 200
    again = app.test_client().post(link, data={"password": "another new passphrase"})
    assert again.status_code == 404
    assert "expired or has already been used" in again.get_data(as_text=True)
    assert newcomer.get("/setup").status_code == 404  # the session no longer holds the token


def test_admin_creates_a_payroll_user(client, admin, db):
    data = {
        **NEW,
        "email": "pat@example.com",
        "name": "Pat Payroll",
        "role": "payroll",
        "hourly_rate": "",
        "skills": "",
    }
    assert client.post("/admin/users/new", data=data).status_code == 302
    user = db.scalar(select(User).where(User.email == "pat@example.com"))
    assert user.role == "payroll"
    assert user.hourly_rate is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter a valid email address"),
        ({"timezone": "Mars/Olympus"}, "timezone", "Not a valid choice"),
        ({"hourly_rate": "-5"}, "hourly_rate", "Cannot be negative."),
        ({"hourly_rate": "12.345"}, "hourly_rate", "Use at most two decimals"),
        ({"hourly_rate": "lots"}, "hourly_rate", "Enter an amount"),
        ({"name": ""}, "name", "This field is required."),
    ],
)
def test_bad_input_gets_a_message_beside_the_field_and_saves_nothing(
    client, admin, db, changes, field, message
):
    before = _count_users(db)
    response = client.post("/admin/users/new", data={**NEW, **changes})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page
    error = page.split(f'id="{field}-error">')[1].split("</p>")[0]
    assert message in error
    assert _count_users(db) == before
    # what was typed is kept
    kept = {k: v for k, v in {**NEW, **changes}.items() if k in ("name", "skills") and v}
    for value in kept.values():
        assert value in page


def test_a_duplicate_email_is_refused_beside_the_field(client, admin, db, make):
    make.contractor(email="taken@example.com")
    before = _count_users(db)
    response = client.post("/admin/users/new", data={**NEW, "email": "TAKEN@example.com"})
    page = response.get_data(as_text=True)
    assert "A user with this email already exists." in page.split('id="email-error">')[1]
    assert _count_users(db) == before


def test_admin_edits_a_user(client, admin, db, make):
    user = make.contractor(name="Old Name")
    response = client.post(
        f"/admin/users/{user.id}",
        data={
            "name": "New Name",
            "role": "contractor",
            "timezone": "Asia/Tokyo",
            "skills": "go",
            "hourly_rate": "60",
        },
    )
    assert response.status_code == 302
    db.refresh(user)
    assert (user.name, user.timezone, user.skills, user.hourly_rate) == (
        "New Name",
        "Asia/Tokyo",
        ["go"],
        Decimal("60.00"),
    )


def test_disabling_a_user_ends_their_session_and_blocks_sign_in(app, client, admin, db, make):
    user = make.contractor()
    theirs = app.test_client()
    theirs.post("/login", data={"email": user.email, "password": PASSWORD})
    assert theirs.get("/").status_code == 200
    response = client.post(f"/admin/users/{user.id}/disable", follow_redirects=True)
    assert "is now disabled" in response.get_data(as_text=True)
    db.refresh(user)
    assert user.active is False
    assert theirs.get("/").status_code == 302
    again = app.test_client().post("/login", data={"email": user.email, "password": PASSWORD})
    assert again.status_code == 401
    client.post(f"/admin/users/{user.id}/enable")
    db.refresh(user)
    assert user.active is True
    assert (
        app.test_client()
        .post("/login", data={"email": user.email, "password": PASSWORD})
        .status_code
        == 302
    )


def test_an_admin_cannot_disable_themselves(client, admin, db):
    response = client.post(f"/admin/users/{admin.id}/disable", follow_redirects=True)
    assert "You cannot disable your own account." in response.get_data(as_text=True)
    db.refresh(admin)
    assert admin.active is True


def test_a_password_reset_link_works_once_and_ends_old_sessions(app, client, admin, db, make):
    user = make.contractor()
    theirs = app.test_client()
    theirs.post("/login", data={"email": user.email, "password": PASSWORD})
    page = client.post(f"/admin/users/{user.id}/reset", follow_redirects=True).get_data(
        as_text=True
    )
    assert f"A password reset link was emailed to {user.email}" in page
    link = _link(page)
    fresh = app.test_client()
    assert fresh.post(link, data={"password": "the reset passphrase"}).status_code == 302
    assert theirs.get("/").status_code == 302  # the old session ended
    assert app.test_client().post(link, data={"password": "again a passphrase"}).status_code == 404
    assert (
        app.test_client()
        .post("/login", data={"email": user.email, "password": "the reset passphrase"})
        .status_code
        == 302
    )


def test_a_reset_link_refuses_a_weak_password_and_stays_usable(app, client, admin, make):
    user = make.contractor()
    link = _link(
        client.post(f"/admin/users/{user.id}/reset", follow_redirects=True).get_data(as_text=True)
    )
    short = app.test_client().post(link, data={"password": "short"})
    assert "Use at least 12 characters." in short.get_data(as_text=True)
    common = app.test_client().post(link, data={"password": "password1234"})
    assert "common passwords" in common.get_data(as_text=True)
    assert app.test_client().post(link, data={"password": "finally a good one"}).status_code == 302


def test_sign_out_everywhere_ends_every_session_of_the_user(app, client, admin, db, make):
    user = make.contractor()
    phone, laptop = app.test_client(), app.test_client()
    for device in (phone, laptop):
        device.post("/login", data={"email": user.email, "password": PASSWORD})
        assert device.get("/").status_code == 200
    page = client.post(f"/admin/users/{user.id}/signout", follow_redirects=True).get_data(
        as_text=True
    )
    assert "signed out everywhere" in page
    assert phone.get("/").status_code == 302
    assert laptop.get("/").status_code == 302


def test_a_role_change_ends_the_users_sessions(app, client, admin, db, make):
    user = make.contractor()
    theirs = app.test_client()
    theirs.post("/login", data={"email": user.email, "password": PASSWORD})
    client.post(
        f"/admin/users/{user.id}",
        data={
            "name": user.name,
            "role": "payroll",
            "timezone": "UTC",
            "skills": "",
            "hourly_rate": "",
        },
    )
    db.refresh(user)
    assert user.role == "payroll"
    assert theirs.get("/").status_code == 302


def test_user_management_needs_a_recent_login(app, client, admin):
    with client.session_transaction() as session:
        session["auth_at"] = session["auth_at"] - 16 * 60
    response = client.get("/admin/users/new")
    assert response.status_code == 302
    assert "/reauth" in response.headers["Location"]
    confirm = client.post(response.headers["Location"], data={"password": PASSWORD})
    assert confirm.status_code == 302
    assert confirm.headers["Location"].endswith("/admin/users/new")
    assert client.get("/admin/users/new").status_code == 200


def test_the_user_list_shows_everyone_and_filters_by_role(client, admin, make):
    make.contractor(name="Cory Contractor")
    make.payroll(name="Perry Payroll")
    page = client.get("/admin/users/").get_data(as_text=True)
    assert "Cory Contractor" in page
    assert "Perry Payroll" in page
    only = client.get("/admin/users/?role=payroll").get_data(as_text=True)
    assert "Perry Payroll" in only
    assert "Cory Contractor" not in only
