"""GET /api/v1/openapi.json describes every /api/v1 route the app serves, and only those."""

from __future__ import annotations

import re
from typing import Any

SKIP_METHODS = {"HEAD", "OPTIONS"}


def _spec(client: Any) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _openapi_path(rule: str) -> str:
    return "/" + re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule).removeprefix("/api/v1/")


def _routes(app: Any) -> set[tuple[str, str]]:
    return {
        (_openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
        for method in (rule.methods or set()) - SKIP_METHODS
    }


def test_the_document_is_openapi_3_1(client):
    spec = _spec(client)
    assert spec["openapi"].startswith("3.1")
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_every_api_route_and_method_is_described(app, client):
    paths = _spec(client)["paths"]
    described = {(path, method) for path, ops in paths.items() for method in ops}
    missing = sorted(_routes(app) - described)
    assert missing == [], f"routes missing from openapi.json: {missing}"


def test_nothing_is_described_that_the_app_does_not_serve(app, client):
    paths = _spec(client)["paths"]
    described = {(path, method) for path, ops in paths.items() for method in ops}
    assert sorted(described - _routes(app)) == []


def test_the_endpoints_of_the_contract_are_there(client):
    paths = _spec(client)["paths"]
    for path, method in (
        ("/me", "get"),
        ("/users", "post"),
        ("/users", "get"),
        ("/users/{user_id}", "patch"),
        ("/projects", "post"),
        ("/projects", "get"),
        ("/projects/{project_id}", "get"),
        ("/projects/{project_id}", "patch"),
        ("/projects/{project_id}/assignments", "post"),
        ("/projects/{project_id}/assignments", "get"),
        ("/assignments/{assignment_id}", "delete"),
        ("/audit", "get"),
        ("/outbox", "get"),
        ("/outbox/{delivery_id}/retry", "post"),
        ("/webhooks", "post"),
        ("/webhooks", "get"),
        ("/webhooks/{webhook_id}", "delete"),
    ):
        assert method in paths.get(path, {}), f"{method.upper()} {path}"


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_every_ref_resolves_to_a_component_schema(client):
    spec = _spec(client)
    schemas = spec["components"]["schemas"]
    refs = set(_refs(spec))
    assert refs, "the document uses no $ref at all"
    broken = sorted(
        ref
        for ref in refs
        if not ref.startswith("#/components/schemas/")
        or ref.removeprefix("#/components/schemas/") not in schemas
    )
    assert broken == []


def test_operations_state_roles_and_error_responses(client):
    spec = _spec(client)
    create_user = spec["paths"]["/users"]["post"]
    assert create_user["x-roles"] == ["admin"]
    assert {"201", "401", "403", "422", "429"} <= set(create_user["responses"])
    assert "Retry-After" in create_user["responses"]["429"]["headers"]
    assert create_user["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/UserCreate"
    )
    path_params = spec["paths"]["/projects/{project_id}"]["get"]["parameters"]
    assert path_params[0] == {
        "name": "project_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
    }


def test_operation_ids_are_unique(client):
    spec = _spec(client)
    ids = [op["operationId"] for ops in spec["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def test_delivery_operations_are_admin_only_and_describe_their_bodies(client):
    paths = _spec(client)["paths"]
    for path, method in (
        ("/outbox", "get"),
        ("/outbox/{delivery_id}/retry", "post"),
        ("/webhooks", "post"),
        ("/webhooks", "get"),
        ("/webhooks/{webhook_id}", "delete"),
    ):
        assert paths[path][method]["x-roles"] == ["admin"], f"{method.upper()} {path}"
    created = paths["/webhooks"]["post"]["responses"]["201"]["content"]["application/json"]
    assert created["schema"]["$ref"].endswith("/WebhookCreated")
    assert "422" in paths["/webhooks"]["post"]["responses"]
    assert "409" in paths["/outbox/{delivery_id}/retry"]["post"]["responses"]


def test_every_operation_documents_the_503_a_database_outage_gives(client):
    spec = _spec(client)
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert "503" in operation["responses"], f"{method.upper()} {path}"


def test_public_operations_say_public_and_claim_no_401_or_403(app, client):
    spec = _spec(client)
    public = [
        (path, method, operation)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if "public" in operation["x-roles"]
    ]
    assert public, "the document and the token sign-in are public"
    for path, method, operation in public:
        where = f"{method.upper()} {path}"
        assert operation["x-roles"] == ["public"], where
        assert "401" not in operation["responses"], where
        assert "403" not in operation["responses"], where
        assert operation["security"] == [], where
    # Every role list names real roles or "public", never the letters of a word.
    for operations in spec["paths"].values():
        for operation in operations.values():
            assert set(operation["x-roles"]) <= {"admin", "contractor", "payroll", "public"}
