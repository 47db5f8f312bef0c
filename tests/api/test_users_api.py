"""Users API (admin only): create, list, change; bad input is a 422 naming the fields."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tracker.models import User

NEW = {
    "email": "Ivy@Example.com",
    "name": "Ivy Ito",
    "role": "contractor",
    "timezone": "Asia/Tokyo",
    "skills": ["Go", "sql"],
    "hourly_rate": "48.00",
}


@pytest.fixture
def admin_api(api, make):
    return api(make.admin())


def _users(db) -> int:
    return db.scalar(select(func.count()).select_from(User))


def test_admin_creates_a_user(admin_api, db):
    response = admin_api.post("/users", json=NEW)
    assert response.status_code == 201
    body = response.get_json()
    assert body == {
        "id": body["id"],
        "email": "ivy@example.com",
        "name": "Ivy Ito",
        "role": "contractor",
        "active": True,
        "timezone": "Asia/Tokyo",
        "skills": ["go", "sql"],
        "hourly_rate": "48.00",
    }
    assert db.get(User, body["id"]).email == "ivy@example.com"


def test_a_user_created_with_a_password_can_sign_in(admin_api, client):
    admin_api.post("/users", json={**NEW, "password": "an api set passphrase"})
    signed_in = client.post(
        "/login", data={"email": "ivy@example.com", "password": "an api set passphrase"}
    )
    assert signed_in.status_code == 302


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"email": "nope"}, {"email"}),
        ({"timezone": "Nowhere/Land"}, {"timezone"}),
        ({"hourly_rate": "-1"}, {"hourly_rate"}),
        ({"hourly_rate": "1.999"}, {"hourly_rate"}),
        ({"role": "superuser"}, {"role"}),
        ({"name": ""}, {"name"}),
        ({"password": "short"}, {"password"}),
        ({"password": "password1234"}, {"password"}),
        ({"skills": "python"}, set()),  # a comma string is accepted as well
        ({"email": "", "name": None, "role": None}, {"email", "name", "role"}),
    ],
)
def test_bad_input_is_a_422_naming_each_field_and_saves_nothing(admin_api, db, changes, fields):
    before = _users(db)
    response = admin_api.post("/users", json={**NEW, **changes})
    if not fields:
        assert response.status_code == 201
        return
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == fields
    assert all(error["fields"][name] for name in fields)
    assert _users(db) == before


def test_a_duplicate_email_is_a_422_on_the_email_field(admin_api, make, db):
    make.contractor(email="ivy@example.com")
    response = admin_api.post("/users", json=NEW)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "email": ["A user with this email already exists."]
    }


def test_admin_lists_users(admin_api, make):
    make.contractor(name="Listed Person")
    users = admin_api.get("/users").get_json()["users"]
    assert "Listed Person" in [u["name"] for u in users]
    assert all("password_hash" not in u and "session_token" not in u for u in users)


def test_admin_changes_a_user(admin_api, make, db):
    user = make.contractor()
    response = admin_api.patch(
        f"/users/{user.id}",
        json={
            "name": "Changed",
            "skills": ["rust"],
            "hourly_rate": 51.5,
            "timezone": "UTC",
            "email": "ignored@example.com",
        },
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["skills"], body["hourly_rate"]) == ("Changed", ["rust"], "51.50")
    db.refresh(user)
    assert user.email != "ignored@example.com"  # not a field that can be changed


def test_disabling_a_user_through_the_api_ends_their_tokens_use(admin_api, api, make):
    user = make.contractor()
    theirs = api(user)
    assert theirs.get("/me").status_code == 200
    assert admin_api.patch(f"/users/{user.id}", json={"active": False}).status_code == 200
    assert theirs.get("/me").status_code == 401


def test_bad_changes_are_422(admin_api, make):
    user = make.contractor()
    response = admin_api.patch(f"/users/{user.id}", json={"active": "no", "role": "boss"})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"active", "role"}


def test_changing_an_unknown_user_is_404(admin_api):
    response = admin_api.patch("/users/999999", json={"name": "x"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("role", ["contractor", "payroll"])
def test_other_roles_may_not_manage_users(api, make, role, db):
    caller = api(make.user(role))
    before = _users(db)
    assert caller.get("/users").status_code == 403
    response = caller.post("/users", json=NEW)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert _users(db) == before


def test_an_admin_cannot_disable_themselves_through_the_api(api, make, db):
    admin = make.admin()
    make.admin()  # not the last admin either
    response = api(admin).patch(f"/users/{admin.id}", json={"active": False})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "active": ["You cannot disable your own account."]
    }
    db.refresh(admin)
    assert admin.active is True


def test_the_last_active_admin_keeps_the_role(api, make, db):
    admin = make.admin()
    caller = api(admin)
    response = caller.patch(f"/users/{admin.id}", json={"role": "contractor"})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"role"}
    other = make.admin()
    assert caller.patch(f"/users/{other.id}", json={"role": "payroll"}).status_code == 200
    second = make.admin()
    assert caller.patch(f"/users/{admin.id}", json={"role": "contractor"}).status_code == 200
    db.refresh(admin)
    assert admin.role == "contractor"
    assert second.role == "admin"
