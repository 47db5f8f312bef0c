"""API authentication and request plumbing: tokens, /me, /healthz, and malformed requests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from tracker.models import ApiToken, AuditEvent, Project, utcnow


def _get(client, token: str | None, path: str = "/api/v1/me"):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.get(path, headers=headers)


def test_me_describes_the_caller(api, make):
    user = make.contractor(name="Mo Meyer", timezone="Europe/Lisbon", skills=["go"])
    body = api(user).get("/me").get_json()
    assert {k: body[k] for k in ("id", "email", "name", "role", "timezone", "skills")} == {
        "id": user.id,
        "email": user.email,
        "name": "Mo Meyer",
        "role": "contractor",
        "timezone": "Europe/Lisbon",
        "skills": ["go"],
    }


def test_no_token_unknown_token_or_wrong_scheme_is_401(client, make):
    raw = make.token(make.contractor())
    for headers in (
        {},
        {"Authorization": "Bearer trk_unknown"},
        {"Authorization": raw},
        {"Authorization": f"Basic {raw}"},
        {"Authorization": "Bearer "},
    ):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401, headers
        assert response.get_json()["error"]["code"] == "unauthorized"


def test_a_revoked_token_is_401(client, make, db):
    user = make.contractor()
    raw = make.token(user)
    token = db.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    token.revoked_at = utcnow()
    db.commit()
    assert _get(client, raw).status_code == 401


def test_an_expired_token_is_401(client, make, db):
    user = make.contractor()
    raw = make.token(user)
    token = db.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    token.expires_at = utcnow() - dt.timedelta(seconds=1)
    db.commit()
    assert _get(client, raw).status_code == 401


def test_a_token_of_a_disabled_user_is_401(client, make, db):
    user = make.contractor()
    raw = make.token(user)
    user.active = False
    db.merge(user)
    db.commit()
    assert _get(client, raw).status_code == 401


def test_tokens_are_stored_only_as_hashes_and_record_last_use(client, make, db):
    user = make.contractor()
    raw = make.token(user)
    assert _get(client, raw).status_code == 200
    token = db.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert raw not in (token.token_hash, token.prefix)
    assert token.last_used_at is not None


def test_refused_calls_are_audited_without_the_token(client, make, db):
    raw = make.token(make.contractor())
    client.get("/api/v1/users", headers={"Authorization": f"Bearer {raw}"})
    client.get("/api/v1/me", headers={"Authorization": "Bearer trk_guess"})
    denied = db.scalars(select(AuditEvent).where(AuditEvent.action == "api.denied")).all()
    assert {e.data["reason"] for e in denied} == {"role", "no valid token"}
    assert all(raw not in str(e.data) and "trk_guess" not in str(e.data) for e in denied)


def _projects(db) -> int:
    return db.scalar(select(func.count()).select_from(Project))


def test_malformed_json_is_400(api, make, db):
    admin = api(make.admin())
    response = admin.client.post(
        "/api/v1/projects",
        data="{not json",
        headers={**admin.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"
    not_an_object = admin.client.post(
        "/api/v1/projects",
        data="[1, 2]",
        headers={**admin.headers, "Content-Type": "application/json"},
    )
    assert not_an_object.status_code == 400
    assert _projects(db) == 0


def test_a_wrong_content_type_is_415(api, make, db):
    admin = api(make.admin())
    response = admin.client.post(
        "/api/v1/projects",
        data="code=X&name=Y",
        headers={**admin.headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"
    assert _projects(db) == 0


def test_an_oversized_body_is_413(api, make, db, app):
    admin = api(make.admin())
    limit = app.config["MAX_CONTENT_LENGTH"]
    big = '{"code": "BIG", "name": "' + "x" * (limit + 10) + '", "hourly_rate": "1"}'
    response = admin.client.post(
        "/api/v1/projects", data=big, headers={**admin.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert _projects(db) == 0


def test_unknown_fields_and_query_parameters_are_ignored(api, make, db):
    admin = api(make.admin())
    response = admin.post(
        "/projects?debug=1&admin=yes",
        json={
            "code": "EXTRA",
            "name": "Extra keys",
            "hourly_rate": "10",
            "status": "frozen",
            "id": 12345,
            "created_at": "2000-01-01",
        },
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "open"
    assert body["id"] != 12345


def test_unknown_api_paths_and_methods_answer_json(client, api, make):
    admin = api(make.admin())
    missing = admin.get("/no-such-thing")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
    wrong = admin.client.put("/api/v1/me", headers=admin.headers, json={})
    assert wrong.status_code == 405
    assert wrong.get_json()["error"]["code"] == "method_not_allowed"


def test_healthz_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_is_503_when_the_database_does_not_answer(app_config, tmp_path):
    from tracker import create_app

    broken = create_app(
        {**app_config, "DATABASE_URL": f"sqlite:///{tmp_path / 'missing' / 'db.sqlite'}"}
    )
    try:
        response = broken.test_client().get("/healthz")
    finally:
        broken.extensions["tracker.engine"].dispose()
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}
