"""Security headers on every response: pages, errors, static files and the API."""

from __future__ import annotations

from typing import Any

import pytest

from tracker import create_app
from tracker.web.access import public

CSP_PARTS = (
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
)


def assert_baseline_headers(response: Any) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    for part in CSP_PARTS:
        assert part in csp, f"{part!r} missing from {csp!r}"
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in (
        "same-origin",
        "strict-origin-when-cross-origin",
        "no-referrer",
    )


def test_sign_in_page_has_the_headers(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert_baseline_headers(response)
    assert "Strict-Transport-Security" not in response.headers


def test_signed_in_page_has_the_headers_and_is_not_cached(client, auth, make):
    auth.login(make.contractor())
    response = client.get("/")
    assert response.status_code == 200
    assert_baseline_headers(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_error_pages_have_the_headers(client, auth, make):
    not_found = client.get("/no-such-page")
    assert not_found.status_code == 404
    assert_baseline_headers(not_found)
    auth.login(make.contractor())
    forbidden = client.get("/admin/users/")
    assert forbidden.status_code == 403
    assert "You cannot open this page" in forbidden.get_data(as_text=True)
    assert_baseline_headers(forbidden)
    not_allowed = client.delete("/login")
    assert not_allowed.status_code == 405
    assert_baseline_headers(not_allowed)


@pytest.fixture
def boom_app(app):
    """The app with one extra route that fails, added before the first request."""

    @public
    def boom() -> str:
        raise RuntimeError("secret internal detail: SELECT * FROM users")

    app.add_url_rule("/boom-for-test", "boom_for_test", boom)
    app.add_url_rule("/api/v1/boom-for-test", "api_boom_for_test", boom)
    return app


def test_a_server_error_shows_a_generic_page_with_the_headers(boom_app):
    response = boom_app.test_client().get("/boom-for-test")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong on our side" in body
    assert "secret internal detail" not in body
    assert "Traceback" not in body
    assert "RuntimeError" not in body
    assert_baseline_headers(response)


def test_a_server_error_in_the_api_is_generic_json(boom_app):
    response = boom_app.test_client().get("/api/v1/boom-for-test")
    assert response.status_code == 500
    assert response.get_json() == {
        "error": {"code": "server_error", "message": "Something went wrong on our side."}
    }
    assert "secret internal detail" not in response.get_data(as_text=True)
    assert_baseline_headers(response)


def test_static_files_have_the_headers(client):
    response = client.get("/static/app.css")
    assert response.status_code == 200
    assert_baseline_headers(response)
    response.close()


def test_api_errors_have_the_headers(client, api, make):
    no_token = client.get("/api/v1/me")
    assert no_token.status_code == 401
    assert no_token.get_json()["error"]["code"] == "unauthorized"
    assert_baseline_headers(no_token)
    missing = api(make.admin()).get("/projects/999999")
    assert missing.status_code == 404
    assert_baseline_headers(missing)


def test_hsts_only_over_https(client):
    plain = client.get("/login")
    assert "Strict-Transport-Security" not in plain.headers
    secure = client.get("/login", base_url="https://tracker.test")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(secure.headers["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= 31536000


def test_forwarded_proto_is_ignored_without_trusted_proxies(client):
    response = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


def test_forwarded_proto_is_honoured_from_a_trusted_proxy(app_config, monkeypatch):
    monkeypatch.setenv("TRACKER_TRUSTED_PROXIES", "1")
    proxied = create_app(app_config)
    try:
        response = proxied.test_client().get(
            "/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
        )
        assert "Strict-Transport-Security" in response.headers
    finally:
        proxied.extensions["tracker.engine"].dispose()


def test_pages_carry_no_inline_script_or_style(client, auth, make):
    auth.login(make.admin())
    for path in ("/", "/admin/users/", "/admin/projects/", "/admin/audit/", "/account/"):
        body = client.get(path).get_data(as_text=True)
        assert "<script>" not in body, path
        assert " style=" not in body, path
        assert "<style" not in body, path


def test_api_answers_are_never_cached(api, make):
    response = api(make.contractor()).get("/me")
    assert response.headers["Cache-Control"] == "no-store"


def test_error_pages_are_in_the_site_style(client):
    page = client.get("/no-such-page").get_data(as_text=True)
    assert '<header class="site">' in page
    assert "/static/app.css" in page
