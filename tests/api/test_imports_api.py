"""POST /api/v1/imports/{kind}: CSV in, counts and errors by line and column out, all or nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from tracker.models import AuditEvent, OutboxMessage, Project, User

PEOPLE = "email,name,role\nada@example.com,Ada,contractor\nbob@example.com,Bob,contractor\n"


def _post(client, token, kind, body, query="", content_type="text/csv"):
    return client.post(
        f"/api/v1/imports/{kind}{query}",
        data=body,
        content_type=content_type,
        headers={"Authorization": f"Bearer {token}"},
    )


def _count(db, model):
    return db.scalar(select(func.count()).select_from(model))


def test_an_admin_imports_people_and_a_dry_run_writes_nothing(client, make, db):
    token = make.token(make.admin())
    users_before = _count(db, User)
    preview = _post(client, token, "users", PEOPLE, "?dry_run=1")
    assert preview.status_code == 200
    assert preview.get_json() == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "errors": [],
        "dry_run": True,
    }
    assert _count(db, User) == users_before
    done = _post(client, token, "users", PEOPLE)
    assert done.status_code == 200
    assert done.get_json()["created"] == 2
    assert _count(db, User) == users_before + 2
    assert _count(db, OutboxMessage) == 2
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "import.users"))
    assert event.data["created"] == 2
    again = _post(client, token, "users", PEOPLE.encode("utf-8-sig"))
    assert again.get_json()["unchanged"] == 2


def test_any_error_is_422_with_the_same_shape_and_nothing_written(client, make, db):
    token = make.token(make.admin())
    body = "code;name;hourly_rate;colour\r\nCHORDUS;Chordus;50.00;red\r\n"
    response = _post(client, token, "projects", body)
    assert response.status_code == 422
    assert response.get_json() == {
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "dry_run": False,
        "errors": [
            {
                "line": 1,
                "column": "colour",
                "message": "Unknown column 'colour'; the columns of this import are: code, name, "
                "client, seats, skills, hourly_rate, currency, open_to_reassignment.",
            }
        ],
    }
    response = _post(client, token, "projects", "code,name,hourly_rate\nCHORDUS,Chordus,1.999\n")
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"line": 2, "column": "hourly_rate", "message": "Use at most two decimals (cents)."}
    ]
    assert _count(db, Project) == 0


def test_bad_requests_are_clear_4xx(app, client, make):
    token = make.token(make.admin())
    assert _post(client, token, "users", PEOPLE, content_type="application/json").status_code == 415
    bad_flag = _post(client, token, "users", PEOPLE, "?dry_run=maybe")
    assert bad_flag.status_code == 422
    assert bad_flag.get_json()["errors"][0]["column"] == "dry_run"
    assert _post(client, token, "people", PEOPLE).status_code == 404
    binary = _post(client, token, "users", b"\x00\x01\x02binary", content_type="text/csv")
    assert binary.status_code == 422
    assert binary.get_json()["errors"][0]["line"] == 1
    app.config["IMPORT_MAX_BYTES"] = 1000
    too_big = _post(client, token, "users", PEOPLE + "x" * 100_000)
    assert too_big.status_code == 413
    assert too_big.get_json()["error"]["code"] == "too_large"
    just_over = _post(client, token, "users", PEOPLE + "x" * 1000)
    assert just_over.status_code == 413


def test_only_admins_import(client, make):
    for role in ("contractor", "payroll"):
        token = make.token(make.user(role))
        assert _post(client, token, "users", PEOPLE).status_code == 403


def test_the_openapi_document_describes_the_csv_body(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/imports/{kind}"]["post"]
    assert "text/csv" in operation["requestBody"]["content"]
    assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ImportResult"
    }


def test_a_file_larger_than_other_requests_may_be_is_taken(app, client, make):
    token = make.token(make.admin())
    padded = PEOPLE.encode() + b"\n" * (app.config["MAX_CONTENT_LENGTH"] + 1000)
    response = _post(client, token, "users", padded, "?dry_run=1")
    assert response.status_code == 200
    assert response.get_json()["created"] == 2
