"""Signing in and out, the first-admin setup link, and the session rules."""

from __future__ import annotations

from sqlalchemy import select

from tracker.models import AuditEvent, User
from tracker.services import users


def test_setup_link_creates_the_first_admin_once(client, db, app):
    with app.app_context():
        token = users.create_setup_link(db, None, None, "first_admin")
        db.commit()
    opened = client.get(f"/setup/{token}")
    assert (opened.status_code, opened.headers["Location"]) == (303, "/setup")
    page = client.get("/setup")
    assert page.status_code == 200
    assert "Create the first admin" in page.get_data(as_text=True)
    response = client.post(
        "/setup",
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


def test_login_starts_a_fresh_session(client, make):
    user = make.contractor()
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    client.post("/login", data={"email": user.email, "password": "factory-password-1234"})
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.permanent


def test_an_idle_session_ends(client, auth, make, app):
    auth.login(make.contractor())
    idle = app.config["SESSION_IDLE_HOURS"] * 3600
    with client.session_transaction() as session:
        session["seen_at"] -= idle + 60
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_session_ends_after_its_absolute_lifetime_however_active(client, auth, make, app):
    auth.login(make.contractor())
    absolute = app.config["SESSION_ABSOLUTE_DAYS"] * 86400
    with client.session_transaction() as session:
        session["login_at"] -= absolute + 60
    assert client.get("/").status_code == 302


def test_the_session_cookie_is_httponly_and_lax(client, make):
    user = make.contractor()
    response = client.post(
        "/login", data={"email": user.email, "password": "factory-password-1234"}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_reauth_refuses_a_wrong_password(client, auth, make):
    auth.login(make.admin())
    with client.session_transaction() as session:
        session["auth_at"] -= 3600
    response = client.post("/reauth?next=/admin/users/new", data={"password": "wrong one!!"})
    assert "This is not your password." in response.get_data(as_text=True)
    assert client.get("/admin/users/new").status_code == 302


def test_login_success_is_audited_with_the_address(client, make, db):
    user = make.contractor()
    client.post(
        "/login",
        data={"email": user.email, "password": "factory-password-1234"},
        environ_base={"REMOTE_ADDR": "198.51.100.23"},
    )
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "login.success"))
    assert event.actor_id == user.id
    assert event.origin == "198.51.100.23"


def test_the_setup_page_without_a_link_opened_first_is_a_404_that_says_so(client):
    response = client.get("/setup")
    assert response.status_code == 404
    assert "Open the link you were sent again" in response.get_data(as_text=True)


def test_an_unknown_setup_link_is_a_404_page(client):
    response = client.get("/setup/not-a-real-token")
    assert response.status_code == 404
    assert "expired or has already been used" in response.get_data(as_text=True)
