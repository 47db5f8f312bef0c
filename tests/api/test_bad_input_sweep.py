"""No input makes a 5xx: generated values at every API route, as an admin and as a contractor.

The routes come from the app's URL map; each route's query parameters and request body from the
OpenAPI document the app serves at /api/v1/openapi.json. Path parameters, query parameters and
body fields get values from tests/hostile.py (the database's integer edges, odd digits, the
calendar's ends, wrong JSON types, NUL, deep JSON) mixed with valid ones, so requests also get
past the first check. Every answer is below 500 and every refusal has the documented error shape.

The number of examples per route comes from the Hypothesis profile (tests/conftest.py): a few
in the suite, many with HYPOTHESIS_PROFILE=thorough.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.hostile import (
    DATES,
    app_routes,
    assert_error_shape,
    deep_json,
    json_values,
    path_segments,
    text_values,
)

_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


OPERATIONS = [(m, rule) for m, rule, _roles in app_routes() if rule.startswith("/api/v1")]


@dataclass
class World:
    tokens: dict[str, str]
    ids: list[int]


@pytest.fixture
def world(make: Any) -> World:
    """An admin, contractors, open, held and closed projects, entries: real ids to aim at."""
    admin = make.admin()
    contractor = make.contractor(skills=["python"])
    other = make.contractor()
    project = make.project()
    held = make.project()
    target = make.project(open_to_reassignment=True, seats=5)
    for p in (project, held):
        make.assign(p, contractor)
    make.assign(project, other)
    make.hold(held)
    entry = make.entry(contractor, project)
    theirs = make.entry(other, project)
    return World(
        tokens={"admin": make.token(admin), "contractor": make.token(contractor)},
        ids=[
            admin.id,
            contractor.id,
            other.id,
            project.id,
            held.id,
            target.id,
            entry.id,
            theirs.id,
        ],
    )


def _schema_value(schema: dict[str, Any], ids: list[int]) -> st.SearchStrategy[Any]:
    """A valid-looking value for a body field's schema (so deeper checks are reached)."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    types = schema.get("type", "string")
    types = types if isinstance(types, list) else [types]
    options: list[st.SearchStrategy[Any]] = []
    for kind in types:
        if kind == "integer":
            options.append(st.sampled_from(ids) | st.integers(-5, 50))
        elif kind == "number":
            options.append(st.floats(-50, 50))
        elif kind == "boolean":
            options.append(st.booleans())
        elif kind == "array":
            options.append(st.lists(_schema_value(schema.get("items", {}), ids), max_size=3))
        elif kind == "null":
            options.append(st.none())
        elif schema.get("format") == "date":
            options.append(st.sampled_from(DATES) | st.dates().map(lambda d: d.isoformat()))
        else:
            options.append(st.sampled_from(["7.5", "7:30", "2h", "EUR", "A note", "CODE1"]))
    return st.one_of(options)


def _body(schema: dict[str, Any], ids: list[int]) -> st.SearchStrategy[dict[str, Any]]:
    """An object with any subset of the schema's fields, each valid-looking or hostile."""
    fields = {
        name: st.one_of(_schema_value(prop, ids), json_values())
        for name, prop in schema.get("properties", {}).items()
    }
    return st.fixed_dictionaries({}, optional=fields)  # type: ignore[arg-type]


def _request_body(schema: dict[str, Any] | None, ids: list[int]) -> st.SearchStrategy[Any]:
    """Keyword arguments for the request: a JSON object mostly; sometimes anything else."""
    if schema is None:
        return st.just({})
    return st.one_of(
        _body(schema, ids).map(lambda body: {"json": body}),
        _body(schema, ids).map(lambda body: {"json": body}),
        json_values().map(lambda body: {"json": body}),
        deep_json().map(lambda text: {"data": text, "content_type": "application/json"}),
        st.sampled_from(["{", "", "nul\x00l", "\xff"]).map(
            lambda text: {"data": text, "content_type": "application/json"}
        ),
    )


def _operation_doc(spec: dict[str, Any], method: str, rule: str) -> dict[str, Any]:
    path = "/" + _CONVERTER.sub(r"{\1}", rule).removeprefix("/api/v1/")
    operation: dict[str, Any] = spec["paths"][path][method.lower()]
    return operation


def _request_schema(spec: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    name = content["schema"]["$ref"].rsplit("/", 1)[-1]
    schema: dict[str, Any] = spec["components"]["schemas"][name]
    return schema


def test_the_sweep_covers_every_api_route_of_the_app(app):
    served = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert served == set(OPERATIONS)


@pytest.mark.parametrize("role", ["admin", "contractor"])
@pytest.mark.parametrize(("method", "rule"), OPERATIONS, ids=[f"{m} {r}" for m, r in OPERATIONS])
def test_no_input_makes_a_5xx(client, world, role, method, rule):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = _operation_doc(spec, method, rule)
    query = {p["name"]: text_values() for p in operation["parameters"] if p["in"] == "query"}
    body = _request_body(_request_schema(spec, operation), world.ids)
    names = _CONVERTER.findall(rule)
    headers = {"Authorization": f"Bearer {world.tokens[role]}"}

    @given(
        segments=st.tuples(*[path_segments(world.ids) for _ in names]),
        params=st.fixed_dictionaries({}, optional=query),  # type: ignore[arg-type]
        extra=body,
    )
    def attempt(segments: tuple[str, ...], params: dict[str, str], extra: dict[str, Any]) -> None:
        path = rule
        for name, segment in zip(names, segments, strict=True):
            path = re.sub(rf"<(?:[^:<>]+:)?{name}>", lambda _m, s=segment: s, path)
        response = client.open(path, method=method, query_string=params, headers=headers, **extra)
        assert_error_shape(response, f"{role}: {method} {path} {params!r} {extra!r:.300}")

    attempt()
