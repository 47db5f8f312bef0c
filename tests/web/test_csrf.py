"""With CSRF protection on (as in production), a POST without a valid token is refused."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from tracker.models import Project


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "WTF_CSRF_ENABLED": True}


def _token(client: Any, path: str) -> str:
    body = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body) or re.search(
        r'name="csrf_token" value="([^"]+)"', body
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def _sign_in(client: Any, user: Any) -> None:
    token = _token(client, "/login")
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def test_login_without_a_token_is_refused(client, make):
    user = make.contractor()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302  # still signed out


def test_login_with_a_forged_token_is_refused(client, make):
    user = make.contractor()
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 400


def test_login_with_the_token_works(client, make):
    _sign_in(client, make.contractor())
    assert client.get("/").status_code == 200


def test_logout_without_a_token_is_refused(client, make):
    _sign_in(client, make.contractor())
    response = client.post("/logout")
    assert response.status_code == 400
    assert client.get("/").status_code == 200  # still signed in


def test_logout_with_the_token_works(client, make):
    _sign_in(client, make.contractor())
    token = _token(client, "/")
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_an_admin_form_without_a_token_is_refused_and_saves_nothing(client, make, db):
    _sign_in(client, make.admin())
    data = {"code": "CSRFTEST", "name": "Forged", "hourly_rate": "50.00", "currency": "EUR"}
    response = client.post("/admin/projects/new", data=data)
    assert response.status_code == 400
    assert db.scalar(select(Project).where(Project.code == "CSRFTEST")) is None


def test_an_admin_form_with_the_token_works(client, make, db):
    _sign_in(client, make.admin())
    token = _token(client, "/admin/projects/new")
    data = {
        "code": "CSRFTEST",
        "name": "Real",
        "hourly_rate": "50.00",
        "currency": "EUR",
        "csrf_token": token,
    }
    response = client.post("/admin/projects/new", data=data)
    assert response.status_code == 302
    assert db.scalar(select(Project).where(Project.code == "CSRFTEST")) is not None


def test_the_api_needs_no_csrf_token(client, api, make):
    response = api(make.admin()).post(
        "/projects", json={"code": "APICSRF", "name": "Via API", "hourly_rate": "10.00"}
    )
    assert response.status_code == 201
