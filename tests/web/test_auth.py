"""Signing in and out, the first-admin setup link, and the session rules."""

from __future__ import annotations

from sqlalchemy import select

from tracker.models import AuditEvent, User
from tracker.services import users


def test_setup_link_creates_the_first_admin_once(client, db, app):
    with app.app_context():
        token = users.create_setup_link(db, None, None, "first_admin")
        db.commit()
    page = client.get(f"/setup/{token}")
    assert page.status_code == 200
    assert "Create the first admin" in page.get_data(as_text=True)
    response = client.post(
        f"/setup/{token}",
        data={
            "name": "Ada Admin",
            "email": "Ada@Example.com",
            "timezone": "Europe/Berlin",
            "password": "a long admin passphrase",
        },
    )
    assert response.status_code == 302
    admin = db.scalar(select(User).where(User.email == "ada@example.com"))
    assert admin is not None
    assert admin.role == "admin"
    assert client.get("/").status_code == 200
    again = client.get(f"/setup/{token}")
    assert again.status_code == 404


def test_login_with_wrong_password_or_unknown_email_gives_the_same_answer(client, make):
    user = make.contractor()
    wrong = client.post("/login", data={"email": user.email, "password": "not the password!"})
    unknown = client.post(
        "/login", data={"email": "nobody@example.com", "password": "not the password!"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert "Email or password is not right." in wrong.get_data(as_text=True)
    assert "Email or password is not right." in unknown.get_data(as_text=True)


def test_login_failure_is_audited_without_the_password(client, make, db):
    user = make.contractor()
    client.post("/login", data={"email": user.email, "password": "secret-guess-0001"})
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "login.failure")).all()
    assert len(events) == 1
    assert "secret-guess-0001" not in str(events[0].data)


def test_contractor_signs_in_and_sees_their_projects(client, auth, make):
    user = make.contractor(name="Casey Contractor")
    project = make.project(code="CHORDUS", name="Core banking")
    make.assign(project, user)
    auth.login(user)
    page = client.get("/").get_data(as_text=True)
    assert "CHORDUS" in page
    assert "Core banking" in page


def test_logout_makes_the_old_cookie_useless(client, auth, make, app):
    user = make.contractor()
    auth.login(user)
    cookie = client.get_cookie("session", domain="tracker.test")
    assert cookie is not None
    auth.logout()
    client.set_cookie("session", cookie.value, domain=cookie.domain)
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_next_parameter_only_goes_to_this_site(client, make):
    user = make.contractor()
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post(
            f"/login?next={target}", data={"email": user.email, "password": "factory-password-1234"}
        )
        assert response.headers["Location"] in ("/", "http://tracker.test/")
        client.post("/logout")
