"""A POST that needs a recent login comes back to its page after the password, not to a 405."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import PASSWORD
from tracker.models import User


def _expire(client):
    with client.session_transaction() as session:
        session["auth_at"] -= 16 * 60


def test_disable_after_an_expired_login_returns_to_the_user_page(client, auth, make, db):
    auth.login(make.admin())
    target = make.contractor(name="Compromised Carl")
    page = f"http://tracker.test/admin/users/{target.id}"
    _expire(client)
    response = client.post(f"/admin/users/{target.id}/disable", headers={"Referer": page})
    assert response.status_code == 302
    assert "/reauth" in response.headers["Location"]
    assert db.scalar(select(User.active).where(User.id == target.id)) is True  # not done yet
    ask = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "repeat the action" in ask
    confirm = client.post(response.headers["Location"], data={"password": PASSWORD})
    assert confirm.status_code == 302
    assert confirm.headers["Location"].endswith(f"/admin/users/{target.id}")
    assert client.get(confirm.headers["Location"]).status_code == 200
    done = client.post(
        f"/admin/users/{target.id}/disable", headers={"Referer": page}, follow_redirects=True
    )
    assert "Compromised Carl is now disabled." in done.get_data(as_text=True)
    assert db.scalar(select(User.active).where(User.id == target.id)) is False


def test_a_foreign_or_missing_referrer_returns_home(client, auth, make):
    auth.login(make.admin())
    target = make.contractor()
    _expire(client)
    for headers in ({"Referer": "https://evil.example/admin/users/1"}, {}):
        response = client.post(f"/admin/users/{target.id}/disable", headers=headers)
        confirm = client.post(response.headers["Location"], data={"password": PASSWORD})
        assert confirm.headers["Location"] in ("/", "http://tracker.test/")
        _expire(client)


def test_a_get_page_still_comes_back_to_itself(client, auth, make):
    auth.login(make.admin())
    _expire(client)
    response = client.get("/admin/users/new?role=payroll")
    confirm = client.post(response.headers["Location"], data={"password": PASSWORD})
    assert confirm.headers["Location"].endswith("/admin/users/new?role=payroll")
