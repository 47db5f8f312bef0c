"""The documented ProjectUpdate body names code and currency and says a change is refused."""

from __future__ import annotations


def test_project_update_documents_code_and_currency_as_fixed(client, api, make):
    spec = client.get("/api/v1/openapi.json").get_json()
    schema = spec["components"]["schemas"]["ProjectUpdate"]["properties"]
    for field in ("code", "currency"):
        assert schema[field]["type"] == "string"
        assert "422" in schema[field]["description"]
        assert "different" in schema[field]["description"]
    ref = spec["paths"]["/projects/{project_id}"]["patch"]["requestBody"]
    assert ref["content"]["application/json"]["schema"]["$ref"].endswith("/ProjectUpdate")
    # What the description says is what the API does.
    project = make.project(code="FIXED")
    admin = api(make.admin())
    same = admin.patch(f"/projects/{project.id}", json={"code": "FIXED", "currency": "EUR"})
    assert same.status_code == 200
    changed = admin.patch(f"/projects/{project.id}", json={"currency": "USD"})
    assert changed.status_code == 422
    assert "currency" in changed.get_json()["error"]["fields"]
